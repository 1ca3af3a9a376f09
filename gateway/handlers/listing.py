"""ListObjects (v1) and ListObjectsV2: the same page from the backend, two wire shapes."""

from __future__ import annotations

from gateway import params
from gateway.context import Context
from gateway.limits import MAX_KEYS
from gateway.params import Encode
from gateway.render import common_prefixes, owner_text
from gateway.responses import Response
from gateway.wire import xml
from storage_backends.base import ListPage, ObjectInfo


def _entry(ctx: Context, info: ObjectInfo, enc: Encode, with_owner: bool) -> str:
    """One ``<Contents>``: the hot loop of every listing, written as one formatted string."""
    checksum = (f"<ChecksumAlgorithm>{info.checksum.algorithm}</ChecksumAlgorithm>"
                f"<ChecksumType>{info.checksum.type}</ChecksumType>") if info.checksum is not None else ""
    owner = owner_text(ctx, info.owner_id) if with_owner else ""
    return (f"<Contents><Key>{xml.escape(enc(info.key))}</Key>"
            f"<LastModified>{xml.timestamp(info.last_modified_ms)}</LastModified>"
            f"<ETag>&quot;{xml.escape(info.etag)}&quot;</ETag>{checksum}<Size>{info.size}</Size>{owner}"
            f"<StorageClass>{info.storage_class}</StorageClass></Contents>")


async def _page(ctx: Context, after: str, limit: int) -> tuple[ListPage, str, str]:
    q = ctx.req.query
    prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
    if limit == 0:
        await ctx.backend.get_bucket(ctx.bucket)
        return ListPage([], [], False, None), prefix, delimiter
    page = await ctx.backend.list_objects(ctx.bucket, prefix=prefix, delimiter=delimiter, after=after,
                                          limit=limit)
    return page, prefix, delimiter


def _tail(ctx: Context, doc: xml.Writer, page: ListPage, enc: Encode, with_owner: bool) -> None:
    doc.raw("".join(_entry(ctx, info, enc, with_owner) for info in page.objects))
    common_prefixes(doc, page.common_prefixes, enc)


def _response(doc: xml.Writer) -> Response:
    return Response(200, {"content-type": "application/xml"}, doc.render())


async def list_objects(ctx: Context) -> Response:
    q = ctx.req.query
    encoding, enc = params.encoding(ctx.req)
    limit = params.query_int(ctx.req, "max-keys", MAX_KEYS, low=0, high=MAX_KEYS, clamp=True)
    marker = q.get("marker", "")
    page, prefix, delimiter = await _page(ctx, marker, limit)
    doc = xml.Writer("ListBucketResult")
    doc.element("Name", ctx.bucket)
    doc.element("Prefix", enc(prefix))
    doc.element("Marker", enc(marker))
    if page.is_truncated and delimiter and page.next_marker is not None:
        doc.element("NextMarker", enc(page.next_marker))
    doc.element("MaxKeys", limit)
    if delimiter:
        doc.element("Delimiter", enc(delimiter))
    doc.element("IsTruncated", page.is_truncated)
    doc.element("EncodingType", encoding)
    _tail(ctx, doc, page, enc, with_owner=True)
    return _response(doc)


async def list_objects_v2(ctx: Context) -> Response:
    q = ctx.req.query
    encoding, enc = params.encoding(ctx.req)
    limit = params.query_int(ctx.req, "max-keys", MAX_KEYS, low=0, high=MAX_KEYS, clamp=True)
    token = params.continuation_token(ctx.req)
    start_after = q.get("start-after", "")
    after = params.decode_token(token) if token else start_after
    page, prefix, delimiter = await _page(ctx, after, limit)
    doc = xml.Writer("ListBucketResult")
    doc.element("Name", ctx.bucket)
    doc.element("Prefix", enc(prefix))
    doc.element("ContinuationToken", token or None)
    if page.is_truncated and page.next_marker is not None:
        doc.element("NextContinuationToken", params.encode_token(page.next_marker))
    doc.element("KeyCount", len(page.objects) + len(page.common_prefixes))
    doc.element("MaxKeys", limit)
    if delimiter:
        doc.element("Delimiter", enc(delimiter))
    doc.element("EncodingType", encoding)
    doc.element("IsTruncated", page.is_truncated)
    if "start-after" in q:
        doc.element("StartAfter", enc(start_after))
    _tail(ctx, doc, page, enc, with_owner=q.get("fetch-owner", "").lower() == "true")
    return _response(doc)
