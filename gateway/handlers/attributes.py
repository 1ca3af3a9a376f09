"""GetObjectAttributes: what HeadObject and ListParts would say of a stored object, in one call."""

from __future__ import annotations

from dataclasses import replace

from gateway import params
from gateway.context import Context
from gateway.limits import MAX_LIST_PARTS, MAX_PARTS
from gateway.render import checksum_elements
from gateway.responses import Response, http_date, xml_response
from gateway.wire import xml
from storage_backends.base import ObjectInfo, ObjectParts


async def get_object_attributes(ctx: Context) -> Response:
    wanted = params.object_attributes(ctx.req)
    version_id = params.version_id(ctx.req)
    parts: ObjectParts | None = None
    if "ObjectParts" in wanted:
        limit = params.header_int(ctx.req, "x-amz-max-parts", MAX_LIST_PARTS, low=0, high=MAX_LIST_PARTS,
                                  clamp=True)
        marker = params.header_int(ctx.req, "x-amz-part-number-marker", 0, low=0, high=MAX_PARTS)
        info, parts = await ctx.backend.get_object_parts(ctx.bucket, ctx.key, version_id=version_id,
                                                         marker=marker, limit=limit)
    else:
        info = await ctx.backend.head_object(ctx.bucket, ctx.key, version_id=version_id)
    root = xml.document("GetObjectAttributesResponse")
    if "ETag" in wanted:
        xml.sub(root, "ETag", info.etag)  # unquoted here, unlike everywhere else in S3
    if "Checksum" in wanted and info.checksum is not None:
        # a composite checksum is the checksum of the parts' checksums, without HeadObject's "-<parts>"
        checksum_elements(xml.sub(root, "Checksum"),
                          replace(info.checksum, value=info.checksum.value.split("-", 1)[0]))
    if parts is not None:
        _parts_element(root, parts, marker, limit)
    if "StorageClass" in wanted:
        xml.sub(root, "StorageClass", info.storage_class)
    if "ObjectSize" in wanted:
        xml.sub(root, "ObjectSize", info.size)
    return xml_response(root, headers=_headers(info))


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


def _headers(info: ObjectInfo) -> dict[str, str]:
    headers = {"last-modified": http_date(info.last_modified_ms)}
    if info.version_id is not None:
        headers["x-amz-version-id"] = info.version_id
    return headers
