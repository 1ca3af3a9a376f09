"""Bucket versioning, ListObjectVersions, object tagging and RestoreObject."""

from __future__ import annotations

from gateway import xml
from gateway.context import Context
from gateway.errors import Code, S3Error
from gateway.handlers.buckets import int_param, owner_element
from gateway.handlers.listing import MAX_KEYS, encoder
from gateway.objectmeta import validate_tags
from gateway.responses import Response, quote_etag, xml_response

TAGGING_KIND = "tagging"


async def put_bucket_versioning(ctx: Context) -> Response:
    ctx.require_integrity_header()
    doc = await ctx.read_xml("VersioningConfiguration")
    status = xml.text(doc, "Status")
    if status not in ("Enabled", "Suspended"):
        raise S3Error(Code.MalformedXML)
    if xml.text(doc, "MfaDelete") == "Enabled":
        raise S3Error(Code.NotImplemented, "MFA delete is not supported.")
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
    encoding, enc = encoder(ctx)
    limit = int_param(ctx, "max-keys", MAX_KEYS, low=0, high=MAX_KEYS, clamp=True)
    prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
    key_marker, version_marker = q.get("key-marker", ""), q.get("version-id-marker", "")
    if version_marker and not key_marker:
        raise S3Error(Code.InvalidArgument, "A version-id marker cannot be specified without a key marker.",
                      ArgumentName="version-id-marker", ArgumentValue=version_marker)
    page = await ctx.backend.list_object_versions(ctx.bucket, prefix=prefix, delimiter=delimiter,
                                                  key_marker=key_marker, version_id_marker=version_marker,
                                                  limit=limit)
    root = xml.document("ListVersionsResult")
    xml.subs(root, [("Name", ctx.bucket), ("Prefix", enc(prefix)), ("KeyMarker", enc(key_marker)),
                    ("VersionIdMarker", version_marker)])
    if page.is_truncated:
        xml.sub(root, "NextKeyMarker", enc(page.next_key_marker or ""))
        xml.sub(root, "NextVersionIdMarker", page.next_version_id_marker or "")
    xml.sub(root, "MaxKeys", limit)
    if delimiter:
        xml.sub(root, "Delimiter", enc(delimiter))
    if encoding:
        xml.sub(root, "EncodingType", encoding)
    xml.sub(root, "IsTruncated", page.is_truncated)
    for v in page.versions:
        el = xml.sub(root, "DeleteMarker" if v.delete_marker else "Version")
        xml.subs(el, [("Key", enc(v.key)), ("VersionId", v.version_id or "null"), ("IsLatest", v.is_latest),
                      ("LastModified", xml.timestamp(v.last_modified_ms))])
        if not v.delete_marker:
            xml.sub(el, "ETag", quote_etag(v.etag))
            if v.checksum is not None:
                xml.sub(el, "ChecksumAlgorithm", v.checksum.algorithm)
                xml.sub(el, "ChecksumType", v.checksum.type)
            xml.sub(el, "Size", v.size)
            xml.sub(el, "StorageClass", v.storage_class)
        owner_element(ctx, el, v.owner_id)
    for common in page.common_prefixes:
        xml.sub(xml.sub(root, "CommonPrefixes"), "Prefix", enc(common))
    return xml_response(root)


# -- tags -----------------------------------------------------------------------------------------
def parse_tagging(doc: xml.Element) -> dict[str, str]:
    tag_set = xml.child(doc, "TagSet")
    if tag_set is None:
        raise S3Error(Code.MalformedXML)
    pairs = []
    for tag in xml.children(tag_set, "Tag"):
        key, value = xml.text(tag, "Key"), xml.text(tag, "Value")
        if key is None or value is None:
            raise S3Error(Code.MalformedXML)
        pairs.append((key, value))
    return validate_tags(pairs)


def render_tagging(tags: dict[str, str]) -> xml.Element:
    root = xml.document("Tagging")
    tag_set = xml.sub(root, "TagSet")
    for key, value in tags.items():
        tag = xml.sub(tag_set, "Tag")
        xml.subs(tag, [("Key", key), ("Value", value)])
    return root


def _version_header(version_id: str | None) -> dict[str, str]:
    return {"x-amz-version-id": version_id} if version_id is not None else {}


async def get_object_tagging(ctx: Context) -> Response:
    version_id, tags = await ctx.backend.get_object_tagging(ctx.bucket, ctx.key,
                                                             version_id=ctx.req.query.get("versionId"))
    return xml_response(render_tagging(tags), headers=_version_header(version_id))


async def put_object_tagging(ctx: Context) -> Response:
    tags = parse_tagging(await ctx.read_xml("Tagging"))
    version_id = await ctx.backend.put_object_tagging(ctx.bucket, ctx.key, tags,
                                                      version_id=ctx.req.query.get("versionId"))
    return Response(200, _version_header(version_id))


async def delete_object_tagging(ctx: Context) -> Response:
    version_id = await ctx.backend.put_object_tagging(ctx.bucket, ctx.key, {},
                                                      version_id=ctx.req.query.get("versionId"))
    return Response(204, _version_header(version_id))


async def put_bucket_tagging(ctx: Context) -> Response:
    ctx.require_integrity_header()
    tags = parse_tagging(await ctx.read_xml("Tagging"))
    document = xml.render(render_tagging(tags)).decode("utf-8")
    await ctx.backend.put_bucket_config(ctx.bucket, TAGGING_KIND, document)
    return Response(204)


# -- archives ---------------------------------------------------------------------------------------
async def restore_object(ctx: Context) -> Response:
    doc = await ctx.read_xml("RestoreRequest")
    raw_days = xml.text(doc, "Days")
    try:
        days = int(raw_days) if raw_days is not None else 0
    except ValueError:
        raise S3Error(Code.MalformedXML) from None
    if days < 1:
        raise S3Error(Code.InvalidArgument, "Days must be a positive integer for restore requests.",
                      ArgumentName="Days")
    params = xml.child(doc, "GlacierJobParameters")
    tier = xml.text(params, "Tier") if params is not None else None
    if tier is not None and tier not in ("Expedited", "Standard", "Bulk"):
        raise S3Error(Code.MalformedXML)
    started = await ctx.backend.restore_object(ctx.bucket, ctx.key, version_id=ctx.req.query.get("versionId"),
                                               days=days)
    return Response(202 if started else 200)
