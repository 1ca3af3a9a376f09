"""Bucket and object sub-resources that s3gate reports but does not (yet) enforce.

Tools probe these (s3cmd reads ``?acl`` and ``?policy``; Terraform reads a dozen) and expect
S3's own "not configured" answers, so each gets the exact error or empty document S3 returns
for a bucket that never had it set. The public access block and ownership controls that
Terraform and CDK set on every bucket they create are validated and stored, so they read back
as written; nothing is public or ACL-governed here in the first place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from gateway import params
from gateway.context import Context
from gateway.render import owner_element
from gateway.responses import Response, xml_response
from gateway.wire import xml
from gateway.wire.errors import Code, S3Error

Handler = Callable[[Context], Awaitable[Response]]


def not_configured(code: Code) -> Handler:
    async def handler(ctx: Context) -> Response:
        await ctx.backend.get_bucket(ctx.bucket)
        raise S3Error(code, BucketName=ctx.bucket)

    return handler


def empty_document(root: str, *children: tuple[str, str]) -> Handler:
    async def handler(ctx: Context) -> Response:
        await ctx.backend.get_bucket(ctx.bucket)
        doc = xml.document(root)
        xml.subs(doc, children)
        return xml_response(doc)

    return handler


def stored_document(kind: str, missing: Code) -> Handler:
    """GET of a bucket sub-resource kept as an XML document (cors, tagging)."""

    async def handler(ctx: Context) -> Response:
        document = await ctx.backend.get_bucket_config(ctx.bucket, kind)
        if document is None:
            raise S3Error(missing, BucketName=ctx.bucket)
        return Response(200, {"content-type": "application/xml"}, document.encode("utf-8"))

    return handler


def delete_document(kind: str) -> Handler:
    async def handler(ctx: Context) -> Response:
        await ctx.backend.put_bucket_config(ctx.bucket, kind, None)
        return Response(204)

    return handler


PUBLIC_ACCESS_BLOCK_KIND = "publicAccessBlock"
OWNERSHIP_CONTROLS_KIND = "ownershipControls"
_PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
_OBJECT_OWNERSHIP = frozenset({"BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"})


async def put_public_access_block(ctx: Context) -> Response:
    """Stored with every flag spelled out (an omitted flag is false, as in S3)."""
    ctx.require_integrity_header()
    doc = await ctx.read_xml("PublicAccessBlockConfiguration")
    stored = xml.document("PublicAccessBlockConfiguration")
    for flag in _PUBLIC_ACCESS_FLAGS:
        value = (xml.text(doc, flag) or "false").strip().lower()
        if value not in ("true", "false"):
            raise S3Error(Code.MalformedXML)
        xml.sub(stored, flag, value)
    await ctx.backend.put_bucket_config(ctx.bucket, PUBLIC_ACCESS_BLOCK_KIND, xml.render(stored).decode("utf-8"))
    return Response(200)


async def put_ownership_controls(ctx: Context) -> Response:
    ctx.require_integrity_header()
    rules = xml.children(await ctx.read_xml("OwnershipControls"), "Rule")
    ownership = xml.text(rules[0], "ObjectOwnership") if len(rules) == 1 else None
    if ownership not in _OBJECT_OWNERSHIP:
        raise S3Error(Code.MalformedXML)
    stored = xml.document("OwnershipControls")
    xml.sub(xml.sub(stored, "Rule"), "ObjectOwnership", ownership)
    await ctx.backend.put_bucket_config(ctx.bucket, OWNERSHIP_CONTROLS_KIND, xml.render(stored).decode("utf-8"))
    return Response(200)


ENCRYPTION_KIND = "encryption"
_SSE_ALGORITHMS = frozenset({"AES256", "aws:kms", "aws:kms:dsse", "aws:fsx", "aws:backup"})


async def put_bucket_encryption(ctx: Context) -> Response:
    """Validated and kept as sent (plus S3's explicit BucketKeyEnabled), so IaC tools read their rule back.

    s3gate itself does not encrypt at rest (that is the data volume's job); README says so.
    """
    ctx.require_integrity_header()
    doc = await ctx.read_xml("ServerSideEncryptionConfiguration")
    rules = xml.children(doc, "Rule")
    if not rules:
        raise S3Error(Code.MalformedXML)
    for rule in rules:
        default = xml.child(rule, "ApplyServerSideEncryptionByDefault")
        if default is not None:
            algorithm = xml.text(default, "SSEAlgorithm")
            if algorithm not in _SSE_ALGORITHMS:
                raise S3Error(Code.MalformedXML)
            if xml.child(default, "KMSMasterKeyID") is not None and not algorithm.startswith("aws:kms"):
                raise S3Error(Code.InvalidArgument, "a KMSMasterKeyID is not applicable if the default sse "
                              "algorithm is not aws:kms or aws:kms:dsse",
                              ArgumentName="ApplyServerSideEncryptionByDefault")
        enabled = xml.text(rule, "BucketKeyEnabled")
        if enabled is None:
            xml.sub(rule, "BucketKeyEnabled", False)  # S3 reads it back as false
        elif enabled.strip() not in ("true", "false"):
            raise S3Error(Code.MalformedXML)
    await ctx.backend.put_bucket_config(ctx.bucket, ENCRYPTION_KIND, xml.render(doc).decode("utf-8"))
    return Response(200)


def _acl_document(ctx: Context, owner_id: str) -> Response:
    root = xml.document("AccessControlPolicy")
    owner_element(ctx, root, owner_id)
    grants = xml.sub(root, "AccessControlList")
    grant = xml.sub(grants, "Grant")
    grantee = xml.sub(grant, "Grantee")
    grantee.set("{http://www.w3.org/2001/XMLSchema-instance}type", "CanonicalUser")
    xml.sub(grantee, "ID", owner_id)
    xml.sub(grantee, "DisplayName", ctx.directory.display_name(owner_id))
    xml.sub(grant, "Permission", "FULL_CONTROL")
    return xml_response(root)


async def get_bucket_acl(ctx: Context) -> Response:
    bucket = await ctx.backend.get_bucket(ctx.bucket)
    return _acl_document(ctx, bucket.owner_id)


async def get_object_acl(ctx: Context) -> Response:
    info = await ctx.backend.head_object(ctx.bucket, ctx.key, version_id=params.version_id(ctx.req))
    response = _acl_document(ctx, info.owner_id)
    if info.version_id is not None:
        response.headers["x-amz-version-id"] = info.version_id
    return response


async def put_bucket_acl(ctx: Context) -> Response:
    """Accepted and validated; every user has full access until policies exist."""
    params.canned_acl(ctx.req)
    await ctx.backend.get_bucket(ctx.bucket)
    body = await ctx.read_small_body()
    if body.strip():
        xml.parse(body, "AccessControlPolicy")
    return Response(200)


async def put_object_acl(ctx: Context) -> Response:
    params.canned_acl(ctx.req)
    await ctx.backend.head_object(ctx.bucket, ctx.key, version_id=params.version_id(ctx.req))
    body = await ctx.read_small_body()
    if body.strip():
        xml.parse(body, "AccessControlPolicy")
    return Response(200)
