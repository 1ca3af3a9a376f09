"""Multipart documents, both ways: the CompleteMultipartUpload request, and the server's answers
(InitiateMultipartUploadResult, CompleteMultipartUploadResult, ListPartsResult, ListMultipartUploadsResult)
that the upstream backend reads back.

Owners' display names are the caller's to resolve (``owner_name``, ``display_name``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from gateway.wire import checksums, xml
from gateway.wire.checksums import Checksum
from gateway.wire.documents.copy import Written
from gateway.wire.documents.values import (
    checksum_elements,
    checksum_in,
    common_prefixes,
    decoded,
    integer,
    owner_element,
    owner_id,
    timestamp_ms,
    true,
)
from gateway.wire.errors import Code, S3Error
from gateway.wire.headers import quote_etag, unquote_etag

COMPLETE_ROOT = "CompleteMultipartUpload"
INITIATE_RESULT_ROOT = "InitiateMultipartUploadResult"
COMPLETE_RESULT_ROOT = "CompleteMultipartUploadResult"
PARTS_ROOT = "ListPartsResult"
UPLOADS_ROOT = "ListMultipartUploadsResult"


@dataclass(frozen=True, slots=True)
class CompletedPart:
    """A part as listed in a CompleteMultipartUpload request."""

    part_number: int
    etag: str
    checksums: dict[str, str] = field(default_factory=dict)  # algorithm -> base64 value, if sent


def render_complete(parts: list[CompletedPart]) -> xml.Element:
    root = xml.document(COMPLETE_ROOT)
    for part in parts:
        el = xml.sub(root, "Part")
        xml.sub(el, "PartNumber", part.part_number)
        xml.sub(el, "ETag", quote_etag(part.etag))
        for algorithm, value in part.checksums.items():
            xml.sub(el, f"Checksum{algorithm}", value)
    return root


def parse_complete(doc: xml.Element) -> list[CompletedPart]:
    """MalformedXML without parts or with a part lacking its number or ETag; InvalidPartOrder unless ascending."""
    parts: list[CompletedPart] = []
    for el in xml.children(doc, "Part"):
        raw_number = xml.text(el, "PartNumber")
        etag = xml.text(el, "ETag")
        if raw_number is None or etag is None:
            raise S3Error(Code.MalformedXML)
        try:
            number = int(raw_number)
        except ValueError:
            raise S3Error(Code.MalformedXML) from None
        sent = {algo: value for algo in checksums.ALGORITHMS if (value := xml.text(el, f"Checksum{algo}"))}
        # only quotes come off: a weak (W/) ETag names no part
        parts.append(CompletedPart(number, etag.strip().strip('"'), sent))
    if not parts:
        raise S3Error(Code.MalformedXML)
    if any(b.part_number <= a.part_number for a, b in zip(parts, parts[1:], strict=False)):
        raise S3Error(Code.InvalidPartOrder)
    return parts


# -- InitiateMultipartUploadResult, CompleteMultipartUploadResult --------------------------------------
def render_initiate_result(bucket: str, key: str, upload_id: str) -> xml.Element:
    root = xml.document(INITIATE_RESULT_ROOT)
    xml.subs(root, [("Bucket", bucket), ("Key", key), ("UploadId", upload_id)])
    return root


def parse_upload_id(doc: xml.Element) -> str:
    """InitiateMultipartUploadResult's UploadId."""
    return xml.text(doc, "UploadId") or ""


def render_complete_result(location: str, bucket: str, key: str, etag: str,
                           checksum: Checksum | None) -> xml.Element:
    root = xml.document(COMPLETE_RESULT_ROOT)
    xml.sub(root, "Location", location)
    xml.subs(root, [("Bucket", bucket), ("Key", key), ("ETag", quote_etag(etag))])
    checksum_elements(root, checksum)
    return root


def parse_complete_result(doc: xml.Element) -> Written:
    """CompleteMultipartUploadResult: its ETag and checksum (it says no time)."""
    return Written(unquote_etag(xml.text(doc, "ETag")), 0, checksum_in(doc))


# -- ListPartsResult --------------------------------------------------------------------------------
@dataclass(slots=True)
class PartInfo:
    """An uploaded part (storage re-exports it: the backends list these)."""

    part_number: int
    size: int
    etag: str
    last_modified_ms: int
    checksum: Checksum | None = None


def _initiator(parent: xml.Element, canonical_id: str, display_name: str) -> None:
    owner_element(parent, canonical_id, display_name, "Initiator")
    owner_element(parent, canonical_id, display_name, "Owner")


def render_list_parts(*, bucket: str, key: str, upload_id: str, owner: str, owner_name: str, storage_class: str,
                      part_number_marker: int, next_part_number_marker: int | None, max_parts: int,
                      is_truncated: bool, checksum_algorithm: str | None, checksum_type: str | None,
                      parts: Sequence[PartInfo]) -> xml.Element:
    """Parts' checksums are listed only for an upload that asked for a checksum algorithm."""
    root = xml.document(PARTS_ROOT)
    xml.subs(root, [("Bucket", bucket), ("Key", key), ("UploadId", upload_id)])
    _initiator(root, owner, owner_name)
    xml.sub(root, "StorageClass", storage_class)
    xml.sub(root, "PartNumberMarker", part_number_marker)
    if next_part_number_marker is not None:
        xml.sub(root, "NextPartNumberMarker", next_part_number_marker)
    xml.sub(root, "MaxParts", max_parts)
    xml.sub(root, "IsTruncated", is_truncated)
    if checksum_algorithm is not None:
        xml.sub(root, "ChecksumAlgorithm", checksum_algorithm)
        xml.sub(root, "ChecksumType", checksum_type)
    for part in parts:
        el = xml.sub(root, "Part")
        xml.sub(el, "PartNumber", part.part_number)
        xml.sub(el, "LastModified", xml.timestamp(part.last_modified_ms))
        xml.sub(el, "ETag", quote_etag(part.etag))
        xml.sub(el, "Size", part.size)
        if checksum_algorithm is not None:
            checksum_elements(el, part.checksum, with_type=False)
    return root


def parse_parts(doc: xml.Element) -> tuple[list[PartInfo], bool, int | None]:
    """ListPartsResult (or GetObjectAttributes' ObjectParts): (parts, truncated, next part number marker)."""
    found = [PartInfo(integer(el, "PartNumber"), integer(el, "Size"), unquote_etag(xml.text(el, "ETag")),
                      timestamp_ms(xml.text(el, "LastModified")), checksum_in(el, "PART"))
             for el in xml.children(doc, "Part")]
    truncated = true(doc, "IsTruncated")
    return found, truncated, integer(doc, "NextPartNumberMarker") if truncated else None


@dataclass(frozen=True, slots=True)
class UploadFields:
    """What ListParts and ListMultipartUploads say about an upload."""

    storage_class: str
    checksum_algorithm: str | None
    checksum_type: str | None


def parse_upload_fields(el: xml.Element) -> UploadFields:
    algorithm = (xml.text(el, "ChecksumAlgorithm") or "").upper() or None
    kind = (xml.text(el, "ChecksumType") or "").upper() or None
    if algorithm is not None and kind is None:  # an S3 that predates checksum types: S3's defaults
        kind = "FULL_OBJECT" if algorithm == "CRC64NVME" else "COMPOSITE"
    return UploadFields(xml.text(el, "StorageClass") or "STANDARD", algorithm, kind)


# -- ListMultipartUploadsResult ------------------------------------------------------------------------
class Upload(Protocol):
    """What a listing says of an upload (the storage's ``UploadInfo`` fits)."""

    @property
    def key(self) -> str: ...
    @property
    def upload_id(self) -> str: ...
    @property
    def owner_id(self) -> str: ...
    @property
    def storage_class(self) -> str: ...
    @property
    def initiated_ms(self) -> int: ...
    @property
    def checksum_algorithm(self) -> str | None: ...
    @property
    def checksum_type(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class ListedUpload:
    key: str
    upload_id: str
    initiated_ms: int
    storage_class: str
    checksum_algorithm: str | None
    checksum_type: str | None
    owner_id: str = ""


def render_list_uploads(*, bucket: str, key_marker: str, upload_id_marker: str, next_key_marker: str | None,
                        next_upload_id_marker: str | None, delimiter: str, prefix: str, max_uploads: int,
                        is_truncated: bool, encoding: str | None, enc: Callable[[str], str],
                        uploads: Sequence[Upload], prefixes: Sequence[str],
                        display_name: Callable[[str], str]) -> xml.Element:
    root = xml.document(UPLOADS_ROOT)
    xml.sub(root, "Bucket", bucket)
    xml.sub(root, "KeyMarker", enc(key_marker))
    xml.sub(root, "UploadIdMarker", upload_id_marker)
    if is_truncated:
        xml.sub(root, "NextKeyMarker", enc(next_key_marker or ""))
        xml.sub(root, "NextUploadIdMarker", next_upload_id_marker or "")
    if delimiter:
        xml.sub(root, "Delimiter", enc(delimiter))
    xml.sub(root, "Prefix", enc(prefix))
    xml.sub(root, "MaxUploads", max_uploads)
    xml.sub(root, "IsTruncated", is_truncated)
    if encoding:
        xml.sub(root, "EncodingType", encoding)
    for upload in uploads:
        el = xml.sub(root, "Upload")
        xml.sub(el, "Key", enc(upload.key))
        xml.sub(el, "UploadId", upload.upload_id)
        _initiator(el, upload.owner_id, display_name(upload.owner_id))
        xml.sub(el, "StorageClass", upload.storage_class)
        xml.sub(el, "Initiated", xml.timestamp(upload.initiated_ms))
        if upload.checksum_algorithm is not None:
            xml.sub(el, "ChecksumAlgorithm", upload.checksum_algorithm)
            xml.sub(el, "ChecksumType", upload.checksum_type)
    for common in prefixes:
        xml.sub(xml.sub(root, "CommonPrefixes"), "Prefix", enc(common))
    return root


@dataclass(slots=True)
class UploadListing:
    uploads: list[ListedUpload]
    common_prefixes: list[str]
    is_truncated: bool
    next_key_marker: str | None
    next_upload_id_marker: str | None


def parse_list_uploads(doc: xml.Element) -> UploadListing:
    """ListMultipartUploadsResult (keys decoded if the answer says ``EncodingType`` url)."""
    found = []
    for el in xml.children(doc, "Upload"):
        fields = parse_upload_fields(el)
        found.append(ListedUpload(decoded(doc, xml.text(el, "Key") or ""), xml.text(el, "UploadId") or "",
                                  timestamp_ms(xml.text(el, "Initiated")), fields.storage_class,
                                  fields.checksum_algorithm, fields.checksum_type, owner_id(el)))
    truncated = true(doc, "IsTruncated")
    next_key = xml.text(doc, "NextKeyMarker")
    return UploadListing(found, common_prefixes(doc), truncated,
                         decoded(doc, next_key) if truncated and next_key else None,
                         (xml.text(doc, "NextUploadIdMarker") or None) if truncated else None)
