"""Multipart documents: the CompleteMultipartUpload request both ways, and the answers the upstream backend reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.wire import checksums, xml
from gateway.wire.documents.copy import Written
from gateway.wire.documents.values import checksum_in
from gateway.wire.errors import Code, S3Error
from gateway.wire.headers import quote_etag, unquote_etag

COMPLETE_ROOT = "CompleteMultipartUpload"


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


# -- answers the upstream backend reads ------------------------------------------------------------
def parse_upload_id(doc: xml.Element) -> str:
    """InitiateMultipartUploadResult's UploadId."""
    return xml.text(doc, "UploadId") or ""


def parse_complete_result(doc: xml.Element) -> Written:
    """CompleteMultipartUploadResult: its ETag and checksum (it says no time)."""
    return Written(unquote_etag(xml.text(doc, "ETag")), 0, checksum_in(doc))


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
