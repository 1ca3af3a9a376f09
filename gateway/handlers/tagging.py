"""Object and bucket tagging: Get/Put/DeleteObjectTagging, PutBucketTagging (the GET/DELETE are stored documents)."""

from __future__ import annotations

from gateway.context import Context
from gateway.objectmeta import validate_tags
from gateway.responses import Response, xml_response
from gateway.wire import xml
from gateway.wire.documents.tagging import parse_tagging, render_tagging

TAGGING_KIND = "tagging"


def _version_header(version_id: str | None) -> dict[str, str]:
    return {"x-amz-version-id": version_id} if version_id is not None else {}


async def get_object_tagging(ctx: Context) -> Response:
    version_id, tags = await ctx.backend.get_object_tagging(ctx.bucket, ctx.key,
                                                             version_id=ctx.req.query.get("versionId"))
    return xml_response(render_tagging(tags), headers=_version_header(version_id))


async def put_object_tagging(ctx: Context) -> Response:
    tags = validate_tags(parse_tagging(await ctx.read_xml("Tagging")))
    version_id = await ctx.backend.put_object_tagging(ctx.bucket, ctx.key, tags,
                                                      version_id=ctx.req.query.get("versionId"))
    return Response(200, _version_header(version_id))


async def delete_object_tagging(ctx: Context) -> Response:
    version_id = await ctx.backend.put_object_tagging(ctx.bucket, ctx.key, {},
                                                      version_id=ctx.req.query.get("versionId"))
    return Response(204, _version_header(version_id))


async def put_bucket_tagging(ctx: Context) -> Response:
    ctx.require_integrity_header()
    tags = validate_tags(parse_tagging(await ctx.read_xml("Tagging")))
    document = xml.render(render_tagging(tags)).decode("utf-8")
    await ctx.backend.put_bucket_config(ctx.bucket, TAGGING_KIND, document)
    return Response(204)
