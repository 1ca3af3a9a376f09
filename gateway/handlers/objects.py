"""Object operations: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects."""

from __future__ import annotations

from gateway import conditions, controls, encryption, lock_headers, objectmeta, params
from gateway.auth import object_arn
from gateway.context import Context
from gateway.limits import MAX_PUT_SIZE
from gateway.request import validate_key
from gateway.responses import Response, xml_response
from gateway.wire.documents.delete import Deleted, Failed, parse_delete, render_delete_result
from gateway.wire.errors import Code, S3Error
from gateway.wire.headers import checksum_headers, content_range, quote_etag
from gateway.wire.sse_headers import render_encryption
from storage_backends.base import ObjectInfo, ObjectStream


def written_headers(info: ObjectInfo, *, context: bool = True) -> dict[str, str]:
    """What S3 answers a successful write with (``context``: the encryption context too; not on POST)."""
    headers = {"etag": quote_etag(info.etag), **objectmeta.lifecycle_headers(info), **objectmeta.written_version(info),
               **render_encryption(info.encryption, context=context)}
    if info.checksum is not None:
        headers.update(checksum_headers(info.checksum))
    return headers


async def put_object(ctx: Context) -> Response:
    new = await controls.for_new_object(ctx, objectmeta.new_object(ctx))
    new = await lock_headers.with_lock(ctx, new, ctx.req.headers, ctx.key, body="Put Object")
    new = await encryption.with_encryption(ctx, new, ctx.req.headers, ctx.key)
    when = params.write_conditions(ctx.req)
    body = ctx.open_body(max_size=MAX_PUT_SIZE)
    info = await ctx.backend.put_object(ctx.bucket, ctx.key, body, new, when)
    return Response(200, written_headers(info))


def _read_response(ctx: Context, stream: ObjectStream, status_for_slice: bool) -> tuple[int, dict[str, str]]:
    """Status and headers for a GET/HEAD of ``stream`` (whole object, a range or a part)."""
    info = stream.info
    headers = objectmeta.object_headers(info, with_checksum=False)
    if params.checksum_mode(ctx.req) and stream.checksum is not None:
        headers.update(checksum_headers(stream.checksum))
    objectmeta.apply_response_overrides(ctx, headers)
    if "partNumber" in ctx.req.query and info.parts_count:
        headers["x-amz-mp-parts-count"] = str(info.parts_count)
    if status_for_slice:
        headers["content-range"] = content_range(stream.start, stream.end, info.size)
        return 206, headers
    return 200, headers


async def _open(ctx: Context) -> ObjectStream:
    byte_range = params.byte_range(ctx.req)
    number = params.read_part_number(ctx.req)
    headers_in = ctx.req.headers
    customer_key = encryption.read_key(ctx)

    def precondition(info: ObjectInfo) -> None:
        objectmeta.check_readable(info)
        conditions.check_read(headers_in, info)

    return await ctx.backend.get_object(
        ctx.bucket, ctx.key, version_id=params.version_id(ctx.req), byte_range=byte_range, part_number=number,
        precondition=precondition, customer_key=customer_key)


def _is_slice(ctx: Context) -> bool:
    return "partNumber" in ctx.req.query or params.byte_range(ctx.req) is not None


async def get_object(ctx: Context) -> Response:
    stream = await _open(ctx)
    try:
        status, headers = _read_response(ctx, stream, _is_slice(ctx))
        headers.update(await lock_headers.visible(ctx, stream.info))
    except BaseException:
        await stream.aclose()
        raise
    return Response(status, headers, stream=stream, length=stream.end - stream.start + 1)


async def head_object(ctx: Context) -> Response:
    if _is_slice(ctx):  # the slice's bounds and checksum come from opening it
        stream = await _open(ctx)
        await stream.aclose()
        status, headers = _read_response(ctx, stream, True)
        headers.update(await lock_headers.visible(ctx, stream.info))
        return Response(status, headers, length=stream.end - stream.start + 1)
    info = await ctx.backend.head_object(ctx.bucket, ctx.key, version_id=params.version_id(ctx.req),
                                         customer_key=encryption.read_key(ctx))
    conditions.check_read(ctx.req.headers, info)
    headers = objectmeta.object_headers(info, with_checksum=params.checksum_mode(ctx.req))
    objectmeta.apply_response_overrides(ctx, headers)
    headers.update(await lock_headers.visible(ctx, info))
    return Response(200, headers, length=info.size)


async def delete_object(ctx: Context) -> Response:
    bypass = await lock_headers.bypass(ctx, ctx.key, delete=True)
    result = await ctx.backend.delete_object(ctx.bucket, ctx.key, version_id=params.version_id(ctx.req),
                                             bypass_governance=bypass)
    headers = {}
    if result.version_id is not None:
        headers["x-amz-version-id"] = result.version_id
    if result.delete_marker:
        headers["x-amz-delete-marker"] = "true"
    return Response(204, headers)


async def delete_objects(ctx: Context) -> Response:
    ctx.require_integrity_header()
    request = parse_delete(await ctx.read_xml("Delete"))
    items = request.objects
    bypass = await lock_headers.bypass_requested(ctx, delete=True)
    invalid: dict[int, S3Error] = {}
    for i, (key, version_id) in enumerate(items):
        try:
            validate_key(key)
            if not key:
                raise S3Error(Code.InvalidArgument, "The key must not be empty")
            await ctx.authorize("s3:DeleteObject", object_arn(ctx.bucket, key), version_id=version_id)
            if bypass:  # each key's bypass is asked for: AccessDenied for that key alone
                await lock_headers.authorize_bypass(ctx, key)
        except S3Error as exc:
            invalid[i] = exc
    valid = [item for i, item in enumerate(items) if i not in invalid]
    results = iter(await ctx.backend.delete_objects(ctx.bucket, valid, bypass_governance=bypass))
    entries: list[Deleted | Failed] = []
    for i, (key, version_id) in enumerate(items):
        error = invalid.get(i)
        result = None if error is not None else next(results)
        if result is not None and result.error is not None:
            error = result.error
        if error is not None:
            entries.append(Failed(key, version_id, error.code, error.message))
        elif not request.quiet and result is not None:
            marker_id = result.delete_marker_version_id or result.version_id
            entries.append(Deleted(key, version_id, result.delete_marker,
                                   marker_id if result.delete_marker and version_id is None else None))
    return xml_response(render_delete_result(entries))
