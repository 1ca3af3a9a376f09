"""Object operations: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects."""

from __future__ import annotations

from gateway import conditions, objectmeta
from gateway.auth import object_arn
from gateway.context import Context
from gateway.handlers.buckets import check_canned_acl
from gateway.request import validate_key
from gateway.responses import Response, quote_etag, xml_response
from gateway.wire import checksums, xml
from gateway.wire.errors import Code, S3Error
from storage_backends.base import ObjectInfo, ObjectStream, WriteConditions

MAX_PUT_SIZE = 5 * 1024**3
MAX_DELETE_KEYS = 1000


def write_conditions(ctx: Context) -> WriteConditions | None:
    """``If-None-Match: *`` / ``If-Match: <etag>`` on writes, checked when the write commits."""
    none_match = ctx.header("if-none-match")
    match = ctx.header("if-match")
    if none_match is None and match is None:
        return None
    if none_match is not None and none_match.strip() != "*":
        raise S3Error(Code.NotImplemented, "If-None-Match on writes only supports '*'", Header="If-None-Match")
    return WriteConditions(if_none_match=none_match is not None,
                           if_match=match.strip().removeprefix("W/").strip('"') if match is not None else None)


def written_headers(info: ObjectInfo) -> dict[str, str]:
    """What S3 answers a successful write with."""
    headers = {"etag": quote_etag(info.etag), **objectmeta.lifecycle_headers(info)}
    if info.version_id is not None:
        headers["x-amz-version-id"] = info.version_id
    if info.checksum is not None:
        headers[f"x-amz-checksum-{info.checksum.algorithm.lower()}"] = info.checksum.value
        headers["x-amz-checksum-type"] = info.checksum.type
    return headers


def _checksum_mode(ctx: Context) -> bool:
    return (ctx.header("x-amz-checksum-mode") or "").upper() == "ENABLED"


async def put_object(ctx: Context) -> Response:
    check_canned_acl(ctx)
    new = objectmeta.new_object(ctx)
    when = write_conditions(ctx)
    body = ctx.open_body(max_size=MAX_PUT_SIZE)
    info = await ctx.backend.put_object(ctx.bucket, ctx.key, body, new, when)
    return Response(200, written_headers(info))


def _part_number(ctx: Context) -> int | None:
    if "partNumber" not in ctx.req.query:
        return None
    from gateway.handlers.multipart import part_number

    if ctx.header("range") is not None:
        raise S3Error(Code.InvalidRequest, "Cannot specify both Range header and partNumber query parameter")
    return part_number(ctx)


def _read_response(ctx: Context, stream: ObjectStream, status_for_slice: bool) -> tuple[int, dict[str, str]]:
    """Status and headers for a GET/HEAD of ``stream`` (whole object, a range or a part)."""
    info = stream.info
    headers = objectmeta.object_headers(info, with_checksum=False)
    if _checksum_mode(ctx) and stream.checksum is not None:
        headers[checksums.header_name(stream.checksum.algorithm)] = stream.checksum.value
        headers["x-amz-checksum-type"] = stream.checksum.type
    objectmeta.apply_response_overrides(ctx, headers)
    if "partNumber" in ctx.req.query and info.parts_count:
        headers["x-amz-mp-parts-count"] = str(info.parts_count)
    if status_for_slice:
        headers["content-range"] = f"bytes {stream.start}-{stream.end}/{info.size}"
        return 206, headers
    return 200, headers


async def _open(ctx: Context) -> ObjectStream:
    byte_range = conditions.parse_range(ctx.header("range"))
    number = _part_number(ctx)
    headers_in = ctx.req.headers

    def precondition(info: ObjectInfo) -> None:
        objectmeta.check_readable(info)
        conditions.check_read(headers_in, info)

    return await ctx.backend.get_object(
        ctx.bucket, ctx.key, version_id=ctx.req.query.get("versionId"), byte_range=byte_range, part_number=number,
        precondition=precondition)


def _is_slice(ctx: Context) -> bool:
    return "partNumber" in ctx.req.query or conditions.parse_range(ctx.header("range")) is not None


async def get_object(ctx: Context) -> Response:
    stream = await _open(ctx)
    try:
        status, headers = _read_response(ctx, stream, _is_slice(ctx))
    except BaseException:
        await stream.aclose()
        raise
    return Response(status, headers, stream=stream, length=stream.end - stream.start + 1)


async def head_object(ctx: Context) -> Response:
    if _is_slice(ctx):  # the slice's bounds and checksum come from opening it
        stream = await _open(ctx)
        await stream.aclose()
        status, headers = _read_response(ctx, stream, True)
        return Response(status, headers, length=stream.end - stream.start + 1)
    info = await ctx.backend.head_object(ctx.bucket, ctx.key, version_id=ctx.req.query.get("versionId"))
    conditions.check_read(ctx.req.headers, info)
    headers = objectmeta.object_headers(info, with_checksum=_checksum_mode(ctx))
    objectmeta.apply_response_overrides(ctx, headers)
    return Response(200, headers, length=info.size)


async def delete_object(ctx: Context) -> Response:
    result = await ctx.backend.delete_object(ctx.bucket, ctx.key, version_id=ctx.req.query.get("versionId"))
    headers = {}
    if result.version_id is not None:
        headers["x-amz-version-id"] = result.version_id
    if result.delete_marker:
        headers["x-amz-delete-marker"] = "true"
    return Response(204, headers)


async def delete_objects(ctx: Context) -> Response:
    ctx.require_integrity_header()
    doc = await ctx.read_xml("Delete")
    quiet = (xml.text(doc, "Quiet") or "").strip().lower() == "true"
    objects = xml.children(doc, "Object")
    if not objects or len(objects) > MAX_DELETE_KEYS:
        raise S3Error(Code.MalformedXML)
    items: list[tuple[str, str | None]] = []
    invalid: dict[int, S3Error] = {}
    for i, el in enumerate(objects):
        key = xml.text(el, "Key")
        if key is None:
            raise S3Error(Code.MalformedXML)
        version_id = xml.text(el, "VersionId") or None
        try:
            validate_key(key)
            if not key:
                raise S3Error(Code.InvalidArgument, "The key must not be empty")
            await ctx.authorize("s3:DeleteObject", object_arn(ctx.bucket, key), version_id=version_id)
        except S3Error as exc:
            invalid[i] = exc
        items.append((key, version_id))
    valid = [item for i, item in enumerate(items) if i not in invalid]
    results = iter(await ctx.backend.delete_objects(ctx.bucket, valid))
    root = xml.document("DeleteResult")
    for i, (key, version_id) in enumerate(items):
        error = invalid.get(i)
        result = None if error is not None else next(results)
        if result is not None and result.error is not None:
            error = result.error
        if error is not None:
            el = xml.sub(root, "Error")
            xml.subs(el, [("Key", key), ("VersionId", version_id), ("Code", error.code),
                          ("Message", error.message)])
        elif not quiet and result is not None:
            el = xml.sub(root, "Deleted")
            xml.sub(el, "Key", key)
            if version_id is not None:
                xml.sub(el, "VersionId", version_id)
            if result.delete_marker:
                xml.sub(el, "DeleteMarker", True)
                marker_id = result.delete_marker_version_id or result.version_id
                if version_id is None and marker_id is not None:
                    xml.sub(el, "DeleteMarkerVersionId", marker_id)
    return xml_response(root)
