"""Bucket versioning and ListObjectVersions."""

from __future__ import annotations

from gateway import params
from gateway.context import Context
from gateway.limits import MAX_KEYS
from gateway.responses import Response, xml_response
from gateway.wire.documents.listing import render_list_versions
from gateway.wire.documents.versioning import Versioning, render_versioning, requested_status
from gateway.wire.errors import Code, S3Error


async def put_bucket_versioning(ctx: Context) -> Response:
    ctx.require_integrity_header()
    status = requested_status(await ctx.read_xml("VersioningConfiguration"))
    await ctx.backend.put_bucket_versioning(ctx.bucket, status)
    return Response(200)


async def get_bucket_versioning(ctx: Context) -> Response:
    status = await ctx.backend.get_bucket_versioning(ctx.bucket)
    return xml_response(render_versioning(Versioning(status or None)))


async def list_object_versions(ctx: Context) -> Response:
    q = ctx.req.query
    encoding, enc = params.encoding(ctx.req)
    limit = params.query_int(ctx.req, "max-keys", MAX_KEYS, low=0, high=MAX_KEYS, clamp=True)
    prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
    key_marker, version_marker = q.get("key-marker", ""), q.get("version-id-marker", "")
    if version_marker and not key_marker:
        raise S3Error(Code.InvalidArgument, "A version-id marker cannot be specified without a key marker.",
                      ArgumentName="version-id-marker", ArgumentValue=version_marker)
    page = await ctx.backend.list_object_versions(ctx.bucket, prefix=prefix, delimiter=delimiter,
                                                  key_marker=key_marker, version_id_marker=version_marker,
                                                  limit=limit)
    body = render_list_versions(
        bucket=ctx.bucket, prefix=prefix, key_marker=key_marker, version_id_marker=version_marker, max_keys=limit,
        delimiter=delimiter, encoding=encoding, enc=enc, versions=page.versions, prefixes=page.common_prefixes,
        is_truncated=page.is_truncated, next_key_marker=page.next_key_marker,
        next_version_id_marker=page.next_version_id_marker, display_name=ctx.directory.display_name)
    return Response(200, {"content-type": "application/xml"}, body)
