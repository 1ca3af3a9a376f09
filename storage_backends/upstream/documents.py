"""The upstream's listing answers as the backend's types (ObjectInfo, PartInfo, ...).

The documents themselves are :mod:`gateway.wire.documents`; what is left here turns the listings
(ListObjectsV2, ListVersionsResult, ListParts, ListMultipartUploads) and DeleteResult into storage types.

Listings are asked for with ``encoding-type=url`` (keys with characters XML 1.0 cannot carry
survive) and decoded only if the upstream says it encoded them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from gateway.wire import xml
from gateway.wire.documents import delete as delete_doc
from gateway.wire.documents import multipart as multipart_doc
from gateway.wire.documents.values import checksum_in, integer, timestamp_ms, true
from gateway.wire.errors import S3Error
from gateway.wire.headers import unquote_etag
from storage_backends.base import (
    Checksum,
    DeleteResult,
    ObjectInfo,
    ObjectParts,
    PartInfo,
)


def _decode(doc: xml.Element, value: str) -> str:
    return unquote(value) if (xml.text(doc, "EncodingType") or "").lower() == "url" else value


# -- listing --------------------------------------------------------------------------------------
@dataclass(slots=True)
class Listing:
    objects: list[ObjectInfo]
    common_prefixes: list[str]
    is_truncated: bool


def objects_v2(doc: xml.Element, bucket: str, owner_id: str) -> Listing:
    objects = []
    for el in xml.children(doc, "Contents"):
        algorithm = xml.text(el, "ChecksumAlgorithm")
        objects.append(ObjectInfo(
            bucket=bucket,
            key=_decode(doc, xml.text(el, "Key") or ""),
            size=integer(el, "Size"),
            etag=unquote_etag(xml.text(el, "ETag")),
            last_modified_ms=timestamp_ms(xml.text(el, "LastModified")),
            owner_id=owner_id,
            storage_class=xml.text(el, "StorageClass") or "STANDARD",
            # listings name the algorithm, not the value
            checksum=Checksum(algorithm.upper(), "", (xml.text(el, "ChecksumType") or "FULL_OBJECT").upper())
            if algorithm else None,
        ))
    prefixes = [_decode(doc, xml.text(p, "Prefix") or "") for p in xml.children(doc, "CommonPrefixes")]
    return Listing(objects, prefixes, true(doc, "IsTruncated"))


def delete_results(doc: xml.Element) -> dict[tuple[str, str | None], DeleteResult]:
    """DeleteResult entries by (key, version id as asked)."""
    results: dict[tuple[str, str | None], DeleteResult] = {}
    for entry in delete_doc.parse_delete_result(doc):
        if isinstance(entry, delete_doc.Failed):
            result = DeleteResult(entry.key, entry.version_id, error=S3Error(entry.code, entry.message))
        else:
            result = DeleteResult(entry.key, entry.version_id, entry.delete_marker, entry.delete_marker_version_id)
        results[(entry.key, entry.version_id)] = result
    return results


# -- multipart ------------------------------------------------------------------------------------
def parts(doc: xml.Element) -> tuple[list[PartInfo], bool, int | None]:
    """ListParts: (parts, truncated, next part number marker)."""
    found = [PartInfo(integer(el, "PartNumber"), integer(el, "Size"), unquote_etag(xml.text(el, "ETag")),
                      timestamp_ms(xml.text(el, "LastModified")), checksum_in(el, "PART"))
             for el in xml.children(doc, "Part")]
    truncated = true(doc, "IsTruncated")
    return found, truncated, integer(doc, "NextPartNumberMarker") if truncated else None


def object_parts(doc: xml.Element) -> ObjectParts | None:
    """GetObjectAttributes' ``<ObjectParts>``, if the upstream sent it."""
    el = xml.child(doc, "ObjectParts")
    if el is None:
        return None
    found, truncated, _ = parts(el)
    return ObjectParts(integer(el, "PartsCount"), found, truncated)


@dataclass(frozen=True, slots=True)
class ListedUpload:
    key: str
    upload_id: str
    initiated_ms: int
    fields: multipart_doc.UploadFields


@dataclass(slots=True)
class UploadListing:
    uploads: list[ListedUpload]
    common_prefixes: list[str]
    is_truncated: bool
    next_key_marker: str | None
    next_upload_id_marker: str | None


def uploads(doc: xml.Element) -> UploadListing:
    found = [ListedUpload(_decode(doc, xml.text(el, "Key") or ""), xml.text(el, "UploadId") or "",
                          timestamp_ms(xml.text(el, "Initiated")), multipart_doc.parse_upload_fields(el))
             for el in xml.children(doc, "Upload")]
    prefixes = [_decode(doc, xml.text(p, "Prefix") or "") for p in xml.children(doc, "CommonPrefixes")]
    truncated = true(doc, "IsTruncated")
    next_key = xml.text(doc, "NextKeyMarker")
    return UploadListing(found, prefixes, truncated, _decode(doc, next_key) if truncated and next_key else None,
                         (xml.text(doc, "NextUploadIdMarker") or None) if truncated else None)


# -- versions, tags, lifecycle, restores --------------------------------------------------------------
@dataclass(slots=True)
class VersionListing:
    versions: list[ObjectInfo]
    common_prefixes: list[str]
    is_truncated: bool
    next_key_marker: str | None
    next_version_id_marker: str | None


def versions(doc: xml.Element, bucket: str, owner_id: str) -> VersionListing:
    """ListVersionsResult: ``Version`` and ``DeleteMarker`` entries in document order."""
    entries = []
    for el in doc:
        kind = xml.local(el)
        if kind not in ("Version", "DeleteMarker"):
            continue
        algorithm = xml.text(el, "ChecksumAlgorithm")
        entries.append(ObjectInfo(
            bucket=bucket, key=_decode(doc, xml.text(el, "Key") or ""), size=integer(el, "Size"),
            etag=unquote_etag(xml.text(el, "ETag")), last_modified_ms=timestamp_ms(xml.text(el, "LastModified")),
            owner_id=owner_id, version_id=xml.text(el, "VersionId") or "null",
            storage_class=xml.text(el, "StorageClass") or "STANDARD", is_latest=true(el, "IsLatest"),
            delete_marker=kind == "DeleteMarker",
            checksum=Checksum(algorithm.upper(), "", (xml.text(el, "ChecksumType") or "FULL_OBJECT").upper())
            if algorithm else None))
    prefixes = [_decode(doc, xml.text(p, "Prefix") or "") for p in xml.children(doc, "CommonPrefixes")]
    next_key = xml.text(doc, "NextKeyMarker")
    return VersionListing(entries, prefixes, true(doc, "IsTruncated"),
                          _decode(doc, next_key) if next_key else None, xml.text(doc, "NextVersionIdMarker") or None)
