"""GetObjectAttributes: what HeadObject and ListParts would say of a stored object, in one call."""

from __future__ import annotations

from gateway import encryption, params
from gateway.context import Context
from gateway.limits import MAX_LIST_PARTS, MAX_PARTS
from gateway.responses import Response, http_date, xml_response
from gateway.wire.documents.attributes import render_object_attributes
from storage_backends.base import ObjectInfo, ObjectParts


async def get_object_attributes(ctx: Context) -> Response:
    wanted = params.object_attributes(ctx.req)
    version_id = params.version_id(ctx.req)
    customer_key = encryption.read_key(ctx)
    parts: ObjectParts | None = None
    marker = limit = 0
    if "ObjectParts" in wanted:
        limit = params.header_int(ctx.req, "x-amz-max-parts", MAX_LIST_PARTS, low=0, high=MAX_LIST_PARTS,
                                  clamp=True)
        marker = params.header_int(ctx.req, "x-amz-part-number-marker", 0, low=0, high=MAX_PARTS)
        info, parts = await ctx.backend.get_object_parts(ctx.bucket, ctx.key, version_id=version_id,
                                                         marker=marker, limit=limit, customer_key=customer_key)
    else:
        info = await ctx.backend.head_object(ctx.bucket, ctx.key, version_id=version_id, customer_key=customer_key)
    root = render_object_attributes(
        etag=info.etag if "ETag" in wanted else None,
        checksum=info.checksum if "Checksum" in wanted else None, parts=parts, part_number_marker=marker,
        max_parts=limit, storage_class=info.storage_class if "StorageClass" in wanted else None,
        size=info.size if "ObjectSize" in wanted else None)
    return xml_response(root, headers=_headers(info))


def _headers(info: ObjectInfo) -> dict[str, str]:
    headers = {"last-modified": http_date(info.last_modified_ms)}
    if info.version_id is not None:
        headers["x-amz-version-id"] = info.version_id
    return headers
