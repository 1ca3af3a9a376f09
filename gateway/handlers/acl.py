"""Get/PutBucketAcl and Get/PutObjectAcl: ACLs stored and answered as the grants in force.

Whether a grant lets anyone do anything is the authorize step's business; these handlers keep
the data complete and refuse, as S3 does, ACLs that Object Ownership (BucketOwnerEnforced) or
Block Public Access (BlockPublicAcls) forbid. A Put*Acl takes a canned header, grant headers, or
an AccessControlPolicy body: exactly one.
"""

from __future__ import annotations

from gateway import controls, params
from gateway.access.acl import RequestedAcl, owner_full_control
from gateway.access.resources import ACL_KIND, acl_document
from gateway.context import Context
from gateway.responses import Response, xml_response
from gateway.wire import xml
from gateway.wire.documents.acl import ROOT, AccessControlPolicy, Grants, parse_acl, render_acl
from gateway.wire.errors import Code, S3Error


def _answer(ctx: Context, owner_id: str, grants: Grants, version_id: str | None = None) -> Response:
    root = render_acl(AccessControlPolicy(owner_id, grants), ctx.directory.display_name)
    return xml_response(root, headers={"x-amz-version-id": version_id} if version_id is not None else None)


async def _requested(ctx: Context) -> RequestedAcl:
    """The one ACL a Put*Acl names: headers or a body (both: UnexpectedContent; neither: a missing header)."""
    from_headers = ctx.controls.requested(ctx.req.headers)
    body = await ctx.read_small_body()
    if body.strip():
        if from_headers is not None:
            raise S3Error(Code.UnexpectedContent)
        try:
            doc = xml.parse(body, ROOT)
        except S3Error as exc:
            if exc.code == Code.MalformedXML.name:
                raise S3Error(Code.MalformedACLError) from None
            raise
        return ctx.controls.body(parse_acl(doc))
    if from_headers is None:
        raise S3Error(Code.MissingSecurityHeader, MissingHeaderName="x-amz-acl")
    return from_headers


async def get_bucket_acl(ctx: Context) -> Response:
    access = await ctx.controls.bucket(ctx.bucket)
    grants = access.acl if access.acls_enabled else owner_full_control(access.owner_id)
    return _answer(ctx, access.owner_id, grants)


async def put_bucket_acl(ctx: Context) -> Response:
    requested = await _requested(ctx)
    access = await ctx.controls.bucket(ctx.bucket)
    grants = controls.bucket_acl(access, requested)
    document = None if grants == owner_full_control(access.owner_id) else \
        acl_document(AccessControlPolicy(access.owner_id, grants))
    await ctx.backend.put_bucket_config(ctx.bucket, ACL_KIND, document)
    ctx.controls.forget(ctx.bucket)
    return Response(200)


async def get_object_acl(ctx: Context) -> Response:
    access = await ctx.controls.bucket(ctx.bucket)
    found = await ctx.backend.get_object_acl(ctx.bucket, ctx.key, version_id=params.version_id(ctx.req))
    if not access.acls_enabled:  # "Requests to read ACLs always return ... full control for the bucket owner"
        return _answer(ctx, access.owner_id, owner_full_control(access.owner_id), found.version_id)
    return _answer(ctx, found.owner_id, found.grants or owner_full_control(found.owner_id), found.version_id)


async def put_object_acl(ctx: Context) -> Response:
    requested = await _requested(ctx)
    access = await ctx.controls.bucket(ctx.bucket)
    version_id = params.version_id(ctx.req)
    found = await ctx.backend.get_object_acl(ctx.bucket, ctx.key, version_id=version_id)
    grants = controls.object_acl(access, requested, found.owner_id)
    shown = await ctx.backend.put_object_acl(ctx.bucket, ctx.key, grants, version_id=version_id)
    return Response(200, {"x-amz-version-id": shown} if shown is not None else {})
