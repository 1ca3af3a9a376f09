"""S3's XML documents, the other way round: built for the upstream, parsed from its answers.

Listings are asked for with ``encoding-type=url`` (keys with characters XML 1.0 cannot carry
survive) and decoded only if the upstream says it encoded them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote

from gateway.wire import checksums, xml
from gateway.wire.documents import delete as delete_doc
from gateway.wire.errors import S3Error
from gateway.wire.headers import unquote_etag
from storage_backends.base import (
    Checksum,
    DeleteResult,
    ObjectInfo,
    ObjectParts,
    PartInfo,
)


def timestamp_ms(value: str | None) -> int:
    """``2026-11-25T16:01:17.000Z`` -> milliseconds since the epoch (0 if absent or unreadable)."""
    if not value:
        return 0
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return 0


def _decode(doc: xml.Element, value: str) -> str:
    return unquote(value) if (xml.text(doc, "EncodingType") or "").lower() == "url" else value


def checksum_in(el: xml.Element, kind: str | None = None) -> Checksum | None:
    """``<ChecksumCRC32>`` (and ``<ChecksumType>``) children of ``el``."""
    for algorithm in checksums.ALGORITHMS:
        value = xml.text(el, f"Checksum{algorithm}")
        if value:
            return Checksum(algorithm, value, kind or (xml.text(el, "ChecksumType") or "FULL_OBJECT").upper())
    return None


def _int(el: xml.Element, name: str, default: int = 0) -> int:
    try:
        return int(xml.text(el, name) or default)
    except ValueError:
        return default


def _true(el: xml.Element, name: str) -> bool:
    return (xml.text(el, name) or "").strip().lower() == "true"


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
            size=_int(el, "Size"),
            etag=unquote_etag(xml.text(el, "ETag")),
            last_modified_ms=timestamp_ms(xml.text(el, "LastModified")),
            owner_id=owner_id,
            storage_class=xml.text(el, "StorageClass") or "STANDARD",
            # listings name the algorithm, not the value
            checksum=Checksum(algorithm.upper(), "", (xml.text(el, "ChecksumType") or "FULL_OBJECT").upper())
            if algorithm else None,
        ))
    prefixes = [_decode(doc, xml.text(p, "Prefix") or "") for p in xml.children(doc, "CommonPrefixes")]
    return Listing(objects, prefixes, _true(doc, "IsTruncated"))


# -- objects --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Written:
    """What a copy or completion answered: ETag, time, checksum."""

    etag: str
    last_modified_ms: int
    checksum: Checksum | None


def copy_result(doc: xml.Element) -> Written:
    """CopyObjectResult and CopyPartResult."""
    return Written(unquote_etag(xml.text(doc, "ETag")), timestamp_ms(xml.text(doc, "LastModified")),
                   checksum_in(doc))


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
def upload_id(doc: xml.Element) -> str:
    return xml.text(doc, "UploadId") or ""


def complete_result(doc: xml.Element) -> Written:
    return Written(unquote_etag(xml.text(doc, "ETag")), 0, checksum_in(doc))


@dataclass(frozen=True, slots=True)
class UploadFields:
    """What ListParts and ListMultipartUploads say about an upload."""

    storage_class: str
    checksum_algorithm: str | None
    checksum_type: str | None


def upload_fields(el: xml.Element) -> UploadFields:
    algorithm = (xml.text(el, "ChecksumAlgorithm") or "").upper() or None
    kind = (xml.text(el, "ChecksumType") or "").upper() or None
    if algorithm is not None and kind is None:  # an upstream that predates checksum types: S3's defaults
        kind = "FULL_OBJECT" if algorithm == "CRC64NVME" else "COMPOSITE"
    return UploadFields(xml.text(el, "StorageClass") or "STANDARD", algorithm, kind)


def parts(doc: xml.Element) -> tuple[list[PartInfo], bool, int | None]:
    """ListParts: (parts, truncated, next part number marker)."""
    found = [PartInfo(_int(el, "PartNumber"), _int(el, "Size"), unquote_etag(xml.text(el, "ETag")),
                      timestamp_ms(xml.text(el, "LastModified")), checksum_in(el, "PART"))
             for el in xml.children(doc, "Part")]
    truncated = _true(doc, "IsTruncated")
    return found, truncated, _int(doc, "NextPartNumberMarker") if truncated else None


def object_parts(doc: xml.Element) -> ObjectParts | None:
    """GetObjectAttributes' ``<ObjectParts>``, if the upstream sent it."""
    el = xml.child(doc, "ObjectParts")
    if el is None:
        return None
    found, truncated, _ = parts(el)
    return ObjectParts(_int(el, "PartsCount"), found, truncated)


@dataclass(frozen=True, slots=True)
class ListedUpload:
    key: str
    upload_id: str
    initiated_ms: int
    fields: UploadFields


@dataclass(slots=True)
class UploadListing:
    uploads: list[ListedUpload]
    common_prefixes: list[str]
    is_truncated: bool
    next_key_marker: str | None
    next_upload_id_marker: str | None


def uploads(doc: xml.Element) -> UploadListing:
    found = [ListedUpload(_decode(doc, xml.text(el, "Key") or ""), xml.text(el, "UploadId") or "",
                          timestamp_ms(xml.text(el, "Initiated")), upload_fields(el))
             for el in xml.children(doc, "Upload")]
    prefixes = [_decode(doc, xml.text(p, "Prefix") or "") for p in xml.children(doc, "CommonPrefixes")]
    truncated = _true(doc, "IsTruncated")
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
            bucket=bucket, key=_decode(doc, xml.text(el, "Key") or ""), size=_int(el, "Size"),
            etag=unquote_etag(xml.text(el, "ETag")), last_modified_ms=timestamp_ms(xml.text(el, "LastModified")),
            owner_id=owner_id, version_id=xml.text(el, "VersionId") or "null",
            storage_class=xml.text(el, "StorageClass") or "STANDARD", is_latest=_true(el, "IsLatest"),
            delete_marker=kind == "DeleteMarker",
            checksum=Checksum(algorithm.upper(), "", (xml.text(el, "ChecksumType") or "FULL_OBJECT").upper())
            if algorithm else None))
    prefixes = [_decode(doc, xml.text(p, "Prefix") or "") for p in xml.children(doc, "CommonPrefixes")]
    next_key = xml.text(doc, "NextKeyMarker")
    return VersionListing(entries, prefixes, _true(doc, "IsTruncated"),
                          _decode(doc, next_key) if next_key else None, xml.text(doc, "NextVersionIdMarker") or None)
