"""ListObjects (v1) and ListObjectsV2: the same page from the backend, two wire shapes."""

from __future__ import annotations

from gateway import params
from gateway.context import Context
from gateway.limits import MAX_KEYS
from gateway.responses import Response
from gateway.wire.documents.listing import render_list_objects, render_list_objects_v2
from storage_backends.base import ListPage


async def _page(ctx: Context, after: str, limit: int) -> tuple[ListPage, str, str]:
    q = ctx.req.query
    prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
    if limit == 0:
        await ctx.backend.get_bucket(ctx.bucket)
        return ListPage([], [], False, None), prefix, delimiter
    page = await ctx.backend.list_objects(ctx.bucket, prefix=prefix, delimiter=delimiter, after=after,
                                          limit=limit)
    return page, prefix, delimiter


def _response(body: bytes) -> Response:
    return Response(200, {"content-type": "application/xml"}, body)


async def list_objects(ctx: Context) -> Response:
    q = ctx.req.query
    encoding, enc = params.encoding(ctx.req)
    limit = params.query_int(ctx.req, "max-keys", MAX_KEYS, low=0, high=MAX_KEYS, clamp=True)
    marker = q.get("marker", "")
    page, prefix, delimiter = await _page(ctx, marker, limit)
    return _response(render_list_objects(
        bucket=ctx.bucket, prefix=prefix, marker=marker, max_keys=limit, delimiter=delimiter, encoding=encoding,
        enc=enc, objects=page.objects, prefixes=page.common_prefixes, is_truncated=page.is_truncated,
        next_marker=page.next_marker, display_name=ctx.directory.display_name))


async def list_objects_v2(ctx: Context) -> Response:
    q = ctx.req.query
    encoding, enc = params.encoding(ctx.req)
    limit = params.query_int(ctx.req, "max-keys", MAX_KEYS, low=0, high=MAX_KEYS, clamp=True)
    token = params.continuation_token(ctx.req)
    start_after = q.get("start-after") if token is None else None  # a token displaces it, echo included (S3)
    after = params.decode_token(token) if token else start_after or ""
    page, prefix, delimiter = await _page(ctx, after, limit)
    next_token = params.encode_token(page.next_marker) \
        if page.is_truncated and page.next_marker is not None else None
    with_owner = q.get("fetch-owner", "").lower() == "true"
    return _response(render_list_objects_v2(
        bucket=ctx.bucket, prefix=prefix, continuation_token=token, next_continuation_token=next_token,
        max_keys=limit, delimiter=delimiter, encoding=encoding, enc=enc,
        start_after=start_after, objects=page.objects,
        prefixes=page.common_prefixes, is_truncated=page.is_truncated,
        display_name=ctx.directory.display_name if with_owner else None))
