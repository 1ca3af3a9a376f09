"""Multipart uploads: create, upload (and copy) parts, complete, abort, list parts and uploads."""

from __future__ import annotations

from gateway import conditions, controls, encryption, lock_headers, objectmeta, params
from gateway.auth import object_arn
from gateway.context import Context
from gateway.limits import MAX_LIST_PARTS, MAX_PART_SIZE, MAX_PARTS, MAX_UPLOADS
from gateway.payload import client_checksum
from gateway.responses import Response, quote_etag, xml_response
from gateway.wire import checksums, completion
from gateway.wire.documents.copy import render_copy_part_result
from gateway.wire.documents.multipart import (
    parse_complete,
    render_complete_result,
    render_initiate_result,
    render_list_parts,
    render_list_uploads,
)
from gateway.wire.errors import Code, S3Error
from gateway.wire.sse_headers import render_encryption
from storage_backends.base import UploadInfo


def _checksum_choice(ctx: Context) -> tuple[str | None, str | None]:
    algorithm = params.checksum_algorithm(ctx.req)
    kind = completion.checksum_type(ctx.header("x-amz-checksum-type"))
    if kind is not None and algorithm is None:
        raise S3Error(Code.InvalidRequest, "The x-amz-checksum-type header can only be used with the "
                      "x-amz-checksum-algorithm header.")
    if algorithm is None:
        return None, None
    kind = kind or ("FULL_OBJECT" if algorithm == "CRC64NVME" else "COMPOSITE")
    if kind == "FULL_OBJECT" and algorithm not in checksums.CRC_ALGORITHMS:
        raise S3Error(Code.InvalidRequest, f"The FULL_OBJECT checksum type cannot be used with the "
                      f"{algorithm.lower()} checksum algorithm.")
    if kind == "COMPOSITE" and algorithm == "CRC64NVME":
        raise S3Error(Code.InvalidRequest, "The COMPOSITE checksum type cannot be used with the crc64nvme "
                      "checksum algorithm.")
    return algorithm, kind


async def create_multipart_upload(ctx: Context) -> Response:
    algorithm, kind = _checksum_choice(ctx)
    new = await controls.for_new_object(ctx, objectmeta.new_object(ctx))
    new = await lock_headers.with_lock(ctx, new, ctx.req.headers, ctx.key)
    new = await encryption.with_encryption(ctx, new, ctx.req.headers, ctx.key)
    upload = await ctx.backend.create_multipart_upload(ctx.bucket, ctx.key, new, checksum_algorithm=algorithm,
                                                       checksum_type=kind)
    root = render_initiate_result(ctx.bucket, ctx.key, upload.upload_id)
    headers = render_encryption(upload.encryption, context=True)
    if algorithm is not None and kind is not None:
        headers.update({"x-amz-checksum-algorithm": algorithm, "x-amz-checksum-type": kind})
    return xml_response(root, headers=headers)


async def _upload(ctx: Context) -> UploadInfo:
    return await ctx.backend.get_multipart_upload(ctx.bucket, ctx.key, params.upload_id(ctx.req))


async def upload_part(ctx: Context) -> Response:
    number = params.part_number(ctx.req)
    upload = await _upload(ctx)
    sent, _, _ = client_checksum(ctx.req, ctx.signed)
    expected = upload.checksum_algorithm
    # A COMPOSITE checksum is made of the client's part checksums: each part must bring its own.
    if expected is not None and sent != expected and (sent is not None or upload.checksum_type == "COMPOSITE"):
        raise S3Error(Code.InvalidRequest, f"Checksum Type mismatch occurred, expected checksum Type: "
                      f"{expected.lower()}, actual checksum Type: {(sent or 'null').lower()}")
    await lock_headers.check_part(ctx, upload)
    customer_key = await encryption.part_key(ctx, upload)
    body = ctx.open_body(max_size=MAX_PART_SIZE, store_algorithm=expected)
    part = await ctx.backend.upload_part(ctx.bucket, ctx.key, upload.upload_id, number, body,
                                         customer_key=customer_key)
    headers = {"etag": quote_etag(part.etag), **render_encryption(upload.encryption)}
    if part.checksum is not None and (expected is not None or sent is not None):
        headers[checksums.header_name(part.checksum.algorithm)] = part.checksum.value
    return Response(200, headers)


async def upload_part_copy(ctx: Context) -> Response:
    number = params.part_number(ctx.req)
    upload = await _upload(ctx)
    h = ctx.req.headers
    src_bucket, src_key, src_version = params.copy_source(h["x-amz-copy-source"])
    byte_range = params.copy_source_range(h.get("x-amz-copy-source-range"))
    customer_key = await encryption.part_key(ctx, upload)
    src_customer_key = encryption.source_key(ctx)
    await ctx.authorize("s3:GetObject", object_arn(src_bucket, src_key), version_id=src_version)
    src = await ctx.backend.head_object(src_bucket, src_key, version_id=src_version, customer_key=src_customer_key)
    objectmeta.check_readable(src)
    conditions.check_copy_source(h, src)
    if byte_range is not None and byte_range.last is not None and (
            byte_range.first is None or byte_range.last >= src.size):
        raise S3Error(Code.InvalidArgument, f"Range specified is not valid for source object of size: {src.size}",
                      ArgumentName="x-amz-copy-source-range", ArgumentValue=str(byte_range))
    size = src.size if byte_range is None or byte_range.last is None or byte_range.first is None \
        else byte_range.last - byte_range.first + 1
    if size > MAX_PART_SIZE:
        raise S3Error(Code.EntityTooLarge, ProposedSize=str(size), MaxSizeAllowed=str(MAX_PART_SIZE))
    part = await ctx.backend.upload_part_copy(ctx.bucket, ctx.key, upload.upload_id, number, src_bucket, src_key,
                                              src.version_id, byte_range, customer_key=customer_key,
                                              src_customer_key=src_customer_key)
    root = render_copy_part_result(part.etag, part.last_modified_ms,
                                   part.checksum if upload.checksum_algorithm is not None else None)
    headers = render_encryption(upload.encryption)
    if src.version_id is not None:
        headers["x-amz-copy-source-version-id"] = src.version_id
    return xml_response(root, headers=headers)


async def complete_multipart_upload(ctx: Context) -> Response:
    upload_id = params.upload_id(ctx.req)
    checks = completion.parse_headers(ctx.req.headers)  # the object's checksum: not the XML body's
    parts = parse_complete(await ctx.read_xml("CompleteMultipartUpload", checksum_headers=False))
    customer_key = await encryption.completion_key(ctx, lambda: _upload(ctx))
    info = await ctx.backend.complete_multipart_upload(ctx.bucket, ctx.key, upload_id, parts,
                                                       params.write_conditions(ctx.req), checks,
                                                       customer_key=customer_key)
    scheme = "https" if ctx.req.is_tls else "http"
    root = render_complete_result(f"{scheme}://{ctx.req.host}/{ctx.bucket}/{ctx.key}", ctx.bucket, ctx.key,
                                  info.etag, info.checksum)
    headers = {**objectmeta.written_version(info), **render_encryption(info.encryption, customer=False)}
    return xml_response(root, headers=headers)


async def abort_multipart_upload(ctx: Context) -> Response:
    await ctx.backend.abort_multipart_upload(ctx.bucket, ctx.key, params.upload_id(ctx.req))
    return Response(204)


async def list_parts(ctx: Context) -> Response:
    limit = params.query_int(ctx.req, "max-parts", MAX_LIST_PARTS, low=0, high=MAX_LIST_PARTS, clamp=True)
    marker = params.query_int(ctx.req, "part-number-marker", 0, low=0, high=MAX_PARTS)
    page = await ctx.backend.list_parts(ctx.bucket, ctx.key, params.upload_id(ctx.req), marker=marker,
                                        limit=limit)
    upload = page.upload
    root = render_list_parts(
        bucket=ctx.bucket, key=ctx.key, upload_id=upload.upload_id, owner=upload.owner_id,
        owner_name=ctx.directory.display_name(upload.owner_id), storage_class=upload.storage_class,
        part_number_marker=marker, next_part_number_marker=page.next_marker, max_parts=limit,
        is_truncated=page.is_truncated, checksum_algorithm=upload.checksum_algorithm,
        checksum_type=upload.checksum_type, parts=page.parts)
    return xml_response(root)


async def list_multipart_uploads(ctx: Context) -> Response:
    q = ctx.req.query
    encoding, enc = params.encoding(ctx.req)
    limit = params.query_int(ctx.req, "max-uploads", MAX_UPLOADS, low=0, high=MAX_UPLOADS, clamp=True)
    prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
    key_marker, id_marker = q.get("key-marker", ""), q.get("upload-id-marker", "")
    page = await ctx.backend.list_multipart_uploads(ctx.bucket, prefix=prefix, delimiter=delimiter,
                                                    key_marker=key_marker, upload_id_marker=id_marker,
                                                    limit=limit)
    root = render_list_uploads(
        bucket=ctx.bucket, key_marker=key_marker, upload_id_marker=id_marker, next_key_marker=page.next_key_marker,
        next_upload_id_marker=page.next_upload_id_marker, delimiter=delimiter, prefix=prefix, max_uploads=limit,
        is_truncated=page.is_truncated, encoding=encoding, enc=enc, uploads=page.uploads,
        prefixes=page.common_prefixes, display_name=ctx.directory.display_name)
    return xml_response(root)
