"""Bucket versioning, ListObjectVersions, object tagging and RestoreObject."""

from __future__ import annotations

from gateway import xml
from gateway.context import Context
from gateway.errors import Code, S3Error
from gateway.handlers.buckets import int_param
from gateway.handlers.listing import MAX_KEYS, Encode, common_prefixes, encoder, owner_text
from gateway.objectmeta import validate_tags
from gateway.responses import Response, xml_response
from storage_backends.base import ObjectInfo

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
