"""Bucket and object sub-resources that s3gate reports but does not (yet) enforce.

Tools probe these (s3cmd reads ``?acl`` and ``?policy``; Terraform reads a dozen) and expect
S3's own "not configured" answers, so each gets the exact error or empty document S3 returns
for a bucket that never had it set.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from gateway import xml
from gateway.context import Context
from gateway.errors import Code, S3Error
from gateway.handlers.buckets import check_canned_acl, owner_element
from gateway.responses import Response, xml_response

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


def _acl_document(ctx: Context, owner_id: str) -> Response:
    root = xml.document("AccessControlPolicy")
    owner_element(ctx, root, owner_id)
    grants = xml.sub(root, "AccessControlList")
    grant = xml.sub(grants, "Grant")
    grantee = xml.sub(grant, "Grantee")
    grantee.set("{http://www.w3.org/2001/XMLSchema-instance}type", "CanonicalUser")
    xml.sub(grantee, "ID", owner_id)
    xml.sub(grantee, "DisplayName", ctx.users.display_name(owner_id))
    xml.sub(grant, "Permission", "FULL_CONTROL")
    return xml_response(root)


async def get_bucket_acl(ctx: Context) -> Response:
    bucket = await ctx.backend.get_bucket(ctx.bucket)
    return _acl_document(ctx, bucket.owner_id)


async def get_object_acl(ctx: Context) -> Response:
    info = await ctx.backend.head_object(ctx.bucket, ctx.key, version_id=ctx.req.query.get("versionId"))
    response = _acl_document(ctx, info.owner_id)
    if info.version_id is not None:
        response.headers["x-amz-version-id"] = info.version_id
    return response


async def put_bucket_acl(ctx: Context) -> Response:
    """Accepted and validated; every user has full access until policies exist."""
    check_canned_acl(ctx)
    await ctx.backend.get_bucket(ctx.bucket)
    body = await ctx.read_small_body()
    if body.strip():
        xml.parse(body, "AccessControlPolicy")
    return Response(200)


async def put_object_acl(ctx: Context) -> Response:
    check_canned_acl(ctx)
    await ctx.backend.head_object(ctx.bucket, ctx.key, version_id=ctx.req.query.get("versionId"))
    body = await ctx.read_small_body()
    if body.strip():
        xml.parse(body, "AccessControlPolicy")
    return Response(200)
