"""Bucket sub-resources kept as documents, and those s3gate answers as "not configured".

Tools probe many (Terraform reads a dozen) and expect S3's own "not configured" answers, so each
unbuilt one gets the exact error or empty document S3 returns for a bucket that never had it set.
The public access block and ownership controls are validated, stored and enforced at the API
level (``gateway.controls``: refused ACLs, object owners). The encryption rule has handlers of its
own (``bucket_encryption``); its GET is :func:`stored_document`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from gateway import controls
from gateway.access import resources
from gateway.context import Context
from gateway.responses import Response, xml_response
from gateway.wire import xml
from gateway.wire.documents.controls import (
    OWNERSHIP_ROOT,
    PUBLIC_ACCESS_BLOCK_ROOT,
    parse_ownership,
    parse_public_access_block,
    render_ownership,
    render_public_access_block,
)
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
        ctx.controls.forget(ctx.bucket)
        return Response(204)

    return handler


PUBLIC_ACCESS_BLOCK_KIND = resources.PUBLIC_ACCESS_BLOCK_KIND
OWNERSHIP_CONTROLS_KIND = resources.OWNERSHIP_KIND


async def put_public_access_block(ctx: Context) -> Response:
    """Stored with every flag spelled out (an omitted flag is false, as in S3)."""
    ctx.require_integrity_header()
    block = parse_public_access_block(await ctx.read_xml(PUBLIC_ACCESS_BLOCK_ROOT))
    await ctx.backend.put_bucket_config(ctx.bucket, PUBLIC_ACCESS_BLOCK_KIND,
                                        xml.render(render_public_access_block(block)).decode("utf-8"))
    ctx.controls.forget(ctx.bucket)
    return Response(200)


async def put_ownership_controls(ctx: Context) -> Response:
    """BucketOwnerEnforced needs a bucket ACL that grants only the owner (InvalidBucketAclWithObjectOwnership)."""
    ctx.require_integrity_header()
    ownership = parse_ownership(await ctx.read_xml(OWNERSHIP_ROOT))
    controls.check_ownership_change(await ctx.controls.bucket(ctx.bucket), ownership)
    await ctx.backend.put_bucket_config(ctx.bucket, OWNERSHIP_CONTROLS_KIND,
                                        xml.render(render_ownership(ownership)).decode("utf-8"))
    ctx.controls.forget(ctx.bucket)
    return Response(200)
