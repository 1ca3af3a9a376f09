"""Multipart uploads: create, upload (and copy) parts, complete, abort, list parts and uploads."""

from __future__ import annotations

from gateway import conditions, objectmeta, params
from gateway.auth import object_arn
from gateway.context import Context
from gateway.limits import MAX_LIST_PARTS, MAX_PART_SIZE, MAX_PARTS, MAX_UPLOADS
from gateway.payload import client_checksum
from gateway.render import checksum_elements, owner_element
from gateway.responses import Response, quote_etag, xml_response
from gateway.wire import checksums, xml
from gateway.wire.documents.multipart import parse_complete
from gateway.wire.errors import Code, S3Error
from storage_backends.base import UploadInfo


def _checksum_choice(ctx: Context) -> tuple[str | None, str | None]:
    algorithm = params.checksum_algorithm(ctx.req)
    kind = ctx.header("x-amz-checksum-type")
    if kind is not None:
        kind = kind.upper()
        if kind not in ("COMPOSITE", "FULL_OBJECT"):
            raise S3Error(Code.InvalidRequest, "Value for x-amz-checksum-type header is invalid.")
        if algorithm is None:
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
    params.canned_acl(ctx.req)
    new = objectmeta.new_object(ctx)
    algorithm, kind = _checksum_choice(ctx)
    upload = await ctx.backend.create_multipart_upload(ctx.bucket, ctx.key, new, checksum_algorithm=algorithm,
                                                       checksum_type=kind)
    root = xml.document("InitiateMultipartUploadResult")
    xml.subs(root, [("Bucket", ctx.bucket), ("Key", ctx.key), ("UploadId", upload.upload_id)])
    headers = {}
    if algorithm is not None and kind is not None:
        headers = {"x-amz-checksum-algorithm": algorithm, "x-amz-checksum-type": kind}
    return xml_response(root, headers=headers)


async def _upload(ctx: Context) -> UploadInfo:
    return await ctx.backend.get_multipart_upload(ctx.bucket, ctx.key, params.upload_id(ctx.req))


async def upload_part(ctx: Context) -> Response:
    number = params.part_number(ctx.req)
    upload = await _upload(ctx)
    sent, _, _ = client_checksum(ctx.req, ctx.signed)
    expected = upload.checksum_algorithm
    if expected is not None and sent is not None and sent != expected:
        raise S3Error(Code.InvalidRequest, f"Checksum Type mismatch occurred, expected checksum Type: "
                      f"{expected.lower()}, actual checksum Type: {sent.lower()}")
    body = ctx.open_body(max_size=MAX_PART_SIZE, store_algorithm=expected)
    part = await ctx.backend.upload_part(ctx.bucket, ctx.key, upload.upload_id, number, body)
    headers = {"etag": quote_etag(part.etag)}
    if part.checksum is not None and (expected is not None or sent is not None):
        headers[checksums.header_name(part.checksum.algorithm)] = part.checksum.value
    return Response(200, headers)


async def upload_part_copy(ctx: Context) -> Response:
    number = params.part_number(ctx.req)
    upload = await _upload(ctx)
    h = ctx.req.headers
    src_bucket, src_key, src_version = params.copy_source(h["x-amz-copy-source"])
    byte_range = params.copy_source_range(h.get("x-amz-copy-source-range"))
    await ctx.authorize("s3:GetObject", object_arn(src_bucket, src_key), version_id=src_version)
    src = await ctx.backend.head_object(src_bucket, src_key, version_id=src_version)
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
                                              src.version_id, byte_range)
    root = xml.document("CopyPartResult")
    xml.sub(root, "ETag", quote_etag(part.etag))
    xml.sub(root, "LastModified", xml.timestamp(part.last_modified_ms))
    if upload.checksum_algorithm is not None:
        checksum_elements(root, part.checksum, with_type=False)
    headers = {"x-amz-copy-source-version-id": src.version_id} if src.version_id is not None else {}
    return xml_response(root, headers=headers)


async def complete_multipart_upload(ctx: Context) -> Response:
    upload_id = params.upload_id(ctx.req)
    parts = parse_complete(await ctx.read_xml("CompleteMultipartUpload"))
    info = await ctx.backend.complete_multipart_upload(ctx.bucket, ctx.key, upload_id, parts,
                                                       params.write_conditions(ctx.req))
    root = xml.document("CompleteMultipartUploadResult")
    scheme = "https" if ctx.req.is_tls else "http"
    xml.sub(root, "Location", f"{scheme}://{ctx.req.host}/{ctx.bucket}/{ctx.key}")
    xml.subs(root, [("Bucket", ctx.bucket), ("Key", ctx.key), ("ETag", quote_etag(info.etag))])
    checksum_elements(root, info.checksum)
    headers = {"x-amz-version-id": info.version_id} if info.version_id is not None else {}
    return xml_response(root, headers=headers)


async def abort_multipart_upload(ctx: Context) -> Response:
    await ctx.backend.abort_multipart_upload(ctx.bucket, ctx.key, params.upload_id(ctx.req))
    return Response(204)


def _initiator(ctx: Context, parent: xml.Element, upload: UploadInfo) -> None:
    owner_element(ctx, parent, upload.owner_id, "Initiator")
    owner_element(ctx, parent, upload.owner_id, "Owner")


async def list_parts(ctx: Context) -> Response:
    limit = params.query_int(ctx.req, "max-parts", MAX_LIST_PARTS, low=0, high=MAX_LIST_PARTS, clamp=True)
    marker = params.query_int(ctx.req, "part-number-marker", 0, low=0, high=MAX_PARTS)
    page = await ctx.backend.list_parts(ctx.bucket, ctx.key, params.upload_id(ctx.req), marker=marker,
                                        limit=limit)
    upload = page.upload
    root = xml.document("ListPartsResult")
    xml.subs(root, [("Bucket", ctx.bucket), ("Key", ctx.key), ("UploadId", upload.upload_id)])
    _initiator(ctx, root, upload)
    xml.sub(root, "StorageClass", upload.storage_class)
    xml.sub(root, "PartNumberMarker", marker)
    if page.next_marker is not None:
        xml.sub(root, "NextPartNumberMarker", page.next_marker)
    xml.sub(root, "MaxParts", limit)
    xml.sub(root, "IsTruncated", page.is_truncated)
    if upload.checksum_algorithm is not None:
        xml.sub(root, "ChecksumAlgorithm", upload.checksum_algorithm)
        xml.sub(root, "ChecksumType", upload.checksum_type)
    for part in page.parts:
        el = xml.sub(root, "Part")
        xml.sub(el, "PartNumber", part.part_number)
        xml.sub(el, "LastModified", xml.timestamp(part.last_modified_ms))
        xml.sub(el, "ETag", quote_etag(part.etag))
        xml.sub(el, "Size", part.size)
        if upload.checksum_algorithm is not None:
            checksum_elements(el, part.checksum, with_type=False)
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
    root = xml.document("ListMultipartUploadsResult")
    xml.sub(root, "Bucket", ctx.bucket)
    xml.sub(root, "KeyMarker", enc(key_marker))
    xml.sub(root, "UploadIdMarker", id_marker)
    if page.is_truncated:
        xml.sub(root, "NextKeyMarker", enc(page.next_key_marker or ""))
        xml.sub(root, "NextUploadIdMarker", page.next_upload_id_marker or "")
    if delimiter:
        xml.sub(root, "Delimiter", enc(delimiter))
    xml.sub(root, "Prefix", enc(prefix))
    xml.sub(root, "MaxUploads", limit)
    xml.sub(root, "IsTruncated", page.is_truncated)
    if encoding:
        xml.sub(root, "EncodingType", encoding)
    for upload in page.uploads:
        el = xml.sub(root, "Upload")
        xml.sub(el, "Key", enc(upload.key))
        xml.sub(el, "UploadId", upload.upload_id)
        _initiator(ctx, el, upload)
        xml.sub(el, "StorageClass", upload.storage_class)
        xml.sub(el, "Initiated", xml.timestamp(upload.initiated_ms))
        if upload.checksum_algorithm is not None:
            xml.sub(el, "ChecksumAlgorithm", upload.checksum_algorithm)
            xml.sub(el, "ChecksumType", upload.checksum_type)
    for common in page.common_prefixes:
        xml.sub(xml.sub(root, "CommonPrefixes"), "Prefix", enc(common))
    return xml_response(root)
