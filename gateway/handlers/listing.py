"""ListObjects (v1) and ListObjectsV2: the same page from the backend, two wire shapes."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from gateway import xml
from gateway.context import Context
from gateway.errors import Code, S3Error
from gateway.handlers.buckets import decode_token, encode_token, int_param, owner_element
from gateway.responses import Response, quote_etag, xml_response
from storage_backends.base import ListPage, ObjectInfo

MAX_KEYS = 1000
Encode = Callable[[str], str]


def encoder(ctx: Context) -> tuple[str | None, Encode]:
    """(EncodingType to echo, function applied to every key-like value)."""
    encoding = ctx.req.query.get("encoding-type")
    if encoding is None:
        return None, lambda v: v
    if encoding.lower() != "url":
        raise S3Error(Code.InvalidArgument, "Invalid Encoding Method specified in Request",
                      ArgumentName="encoding-type", ArgumentValue=encoding)
    return "url", lambda v: quote(v, safe="/")


def _entry(ctx: Context, parent: xml.Element, info: ObjectInfo, enc: Encode, with_owner: bool) -> None:
    el = xml.sub(parent, "Contents")
    xml.sub(el, "Key", enc(info.key))
    xml.sub(el, "LastModified", xml.timestamp(info.last_modified_ms))
    xml.sub(el, "ETag", quote_etag(info.etag))
    if info.checksum is not None:
        xml.sub(el, "ChecksumAlgorithm", info.checksum.algorithm)
        xml.sub(el, "ChecksumType", info.checksum.type)
    xml.sub(el, "Size", info.size)
    if with_owner:
        owner_element(ctx, el, info.owner_id)
    xml.sub(el, "StorageClass", info.storage_class)


async def _page(ctx: Context, after: str, limit: int) -> tuple[ListPage, str, str]:
    q = ctx.req.query
    prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
    if limit == 0:
        await ctx.backend.get_bucket(ctx.bucket)
        return ListPage([], [], False, None), prefix, delimiter
    page = await ctx.backend.list_objects(ctx.bucket, prefix=prefix, delimiter=delimiter, after=after,
                                          limit=limit)
    return page, prefix, delimiter


def _tail(ctx: Context, root: xml.Element, page: ListPage, enc: Encode, with_owner: bool) -> None:
    for info in page.objects:
        _entry(ctx, root, info, enc, with_owner)
    for common in page.common_prefixes:
        xml.sub(xml.sub(root, "CommonPrefixes"), "Prefix", enc(common))


async def list_objects(ctx: Context) -> Response:
    q = ctx.req.query
    encoding, enc = encoder(ctx)
    limit = int_param(ctx, "max-keys", MAX_KEYS, low=0, high=MAX_KEYS, clamp=True)
    marker = q.get("marker", "")
    page, prefix, delimiter = await _page(ctx, marker, limit)
    root = xml.document("ListBucketResult")
    xml.sub(root, "Name", ctx.bucket)
    xml.sub(root, "Prefix", enc(prefix))
    xml.sub(root, "Marker", enc(marker))
    if page.is_truncated and delimiter and page.next_marker is not None:
        xml.sub(root, "NextMarker", enc(page.next_marker))
    xml.sub(root, "MaxKeys", limit)
    if delimiter:
        xml.sub(root, "Delimiter", enc(delimiter))
    xml.sub(root, "IsTruncated", page.is_truncated)
    if encoding:
        xml.sub(root, "EncodingType", encoding)
    _tail(ctx, root, page, enc, with_owner=True)
    return xml_response(root)


async def list_objects_v2(ctx: Context) -> Response:
    q = ctx.req.query
    encoding, enc = encoder(ctx)
    limit = int_param(ctx, "max-keys", MAX_KEYS, low=0, high=MAX_KEYS, clamp=True)
    token = q.get("continuation-token")
    if token is not None and token == "":
        raise S3Error(Code.InvalidArgument, "The continuation token provided is incorrect",
                      ArgumentName="continuation-token")
    start_after = q.get("start-after", "")
    after = decode_token(token) if token else start_after
    page, prefix, delimiter = await _page(ctx, after, limit)
    root = xml.document("ListBucketResult")
    xml.sub(root, "Name", ctx.bucket)
    xml.sub(root, "Prefix", enc(prefix))
    if token:
        xml.sub(root, "ContinuationToken", token)
    if page.is_truncated and page.next_marker is not None:
        xml.sub(root, "NextContinuationToken", encode_token(page.next_marker))
    xml.sub(root, "KeyCount", len(page.objects) + len(page.common_prefixes))
    xml.sub(root, "MaxKeys", limit)
    if delimiter:
        xml.sub(root, "Delimiter", enc(delimiter))
    if encoding:
        xml.sub(root, "EncodingType", encoding)
    xml.sub(root, "IsTruncated", page.is_truncated)
    if "start-after" in q:
        xml.sub(root, "StartAfter", enc(start_after))
    _tail(ctx, root, page, enc, with_owner=q.get("fetch-owner", "").lower() == "true")
    return xml_response(root)
