"""Bucket versioning and ListObjectVersions."""

from __future__ import annotations

from gateway import params
from gateway.context import Context
from gateway.limits import MAX_KEYS
from gateway.params import Encode
from gateway.render import common_prefixes, owner_text
from gateway.responses import Response, xml_response
from gateway.wire import xml
from gateway.wire.documents.versioning import requested_status
from gateway.wire.errors import Code, S3Error
from storage_backends.base import ObjectInfo


async def put_bucket_versioning(ctx: Context) -> Response:
    ctx.require_integrity_header()
    status = requested_status(await ctx.read_xml("VersioningConfiguration"))
    await ctx.backend.put_bucket_versioning(ctx.bucket, status)
    return Response(200)


async def get_bucket_versioning(ctx: Context) -> Response:
    status = await ctx.backend.get_bucket_versioning(ctx.bucket)
    root = xml.document("VersioningConfiguration")
    if status:
        xml.sub(root, "Status", status)
    return xml_response(root)


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
    doc = xml.Writer("ListVersionsResult")
    for tag, value in (("Name", ctx.bucket), ("Prefix", enc(prefix)), ("KeyMarker", enc(key_marker)),
                       ("VersionIdMarker", version_marker)):
        doc.element(tag, value)
    if page.is_truncated:
        doc.element("NextKeyMarker", enc(page.next_key_marker or ""))
        doc.element("NextVersionIdMarker", page.next_version_id_marker or "")
    doc.element("MaxKeys", limit)
    if delimiter:
        doc.element("Delimiter", enc(delimiter))
    doc.element("EncodingType", encoding)
    doc.element("IsTruncated", page.is_truncated)
    doc.raw("".join(_version_entry(ctx, v, enc) for v in page.versions))
    common_prefixes(doc, page.common_prefixes, enc)
    return Response(200, {"content-type": "application/xml"}, doc.render())


def _version_entry(ctx: Context, v: ObjectInfo, enc: Encode) -> str:
    tag = "DeleteMarker" if v.delete_marker else "Version"
    head = (f"<{tag}><Key>{xml.escape(enc(v.key))}</Key><VersionId>{xml.escape(v.version_id or 'null')}</VersionId>"
            f"<IsLatest>{'true' if v.is_latest else 'false'}</IsLatest>"
            f"<LastModified>{xml.timestamp(v.last_modified_ms)}</LastModified>")
    body = ""
    if not v.delete_marker:
        checksum = (f"<ChecksumAlgorithm>{v.checksum.algorithm}</ChecksumAlgorithm>"
                    f"<ChecksumType>{v.checksum.type}</ChecksumType>") if v.checksum is not None else ""
        body = (f"<ETag>&quot;{xml.escape(v.etag)}&quot;</ETag>{checksum}<Size>{v.size}</Size>"
                f"<StorageClass>{v.storage_class}</StorageClass>")
    return f"{head}{body}{owner_text(ctx, v.owner_id)}</{tag}>"
