"""GetObjectAttributesResponse: the server renders it, the upstream backend reads its ``<ObjectParts>``."""

from __future__ import annotations

from dataclasses import dataclass, replace

from gateway.wire import xml
from gateway.wire.checksums import Checksum
from gateway.wire.documents.multipart import PartInfo, parse_parts
from gateway.wire.documents.values import checksum_elements, integer

ROOT = "GetObjectAttributesResponse"


@dataclass(slots=True)
class ObjectParts:
    """A page of a completed multipart object's parts (storage re-exports it)."""

    total: int
    parts: list[PartInfo]
    is_truncated: bool


def render_object_attributes(*, etag: str | None = None, checksum: Checksum | None = None,
                             parts: ObjectParts | None = None, part_number_marker: int = 0, max_parts: int = 0,
                             storage_class: str | None = None, size: int | None = None) -> xml.Element:
    """The attributes asked for (None: not asked, or not known); ``parts`` None leaves ObjectParts out."""
    root = xml.document(ROOT)
    if etag is not None:
        xml.sub(root, "ETag", etag)  # unquoted here, unlike everywhere else in S3
    if checksum is not None:
        # a composite checksum is the checksum of the parts' checksums, without HeadObject's "-<parts>"
        checksum_elements(xml.sub(root, "Checksum"), replace(checksum, value=checksum.value.split("-", 1)[0]))
    if parts is not None:
        _parts_element(root, parts, part_number_marker, max_parts)
    if storage_class is not None:
        xml.sub(root, "StorageClass", storage_class)
    if size is not None:
        xml.sub(root, "ObjectSize", size)
    return root


def _parts_element(root: xml.Element, page: ObjectParts, marker: int, limit: int) -> None:
    """Parts are listed only when they carry checksums, as S3 does for general purpose buckets."""
    el = xml.sub(root, "ObjectParts")
    xml.sub(el, "PartsCount", page.total)
    xml.sub(el, "PartNumberMarker", marker)
    if page.parts:
        xml.sub(el, "NextPartNumberMarker", page.parts[-1].part_number)
    xml.sub(el, "MaxParts", limit)
    xml.sub(el, "IsTruncated", page.is_truncated)
    if any(part.checksum is None for part in page.parts):
        return
    for part in page.parts:
        entry = xml.sub(el, "Part")
        xml.sub(entry, "PartNumber", part.part_number)
        xml.sub(entry, "Size", part.size)
        checksum_elements(entry, part.checksum, with_type=False)


def parse_object_parts(doc: xml.Element) -> ObjectParts | None:
    """The answer's ``<ObjectParts>``, if it has one."""
    el = xml.child(doc, "ObjectParts")
    if el is None:
        return None
    found, truncated, _ = parse_parts(el)
    return ObjectParts(integer(el, "PartsCount"), found, truncated)
