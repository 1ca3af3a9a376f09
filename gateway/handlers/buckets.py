"""Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation."""

from __future__ import annotations

import ipaddress
import re

from gateway import controls, params
from gateway.access.resources import ACL_KIND, ENCRYPTION_KIND, OWNERSHIP_KIND, PUBLIC_ACCESS_BLOCK_KIND, acl_document
from gateway.auth import bucket_arn
from gateway.context import Context
from gateway.limits import MAX_BUCKETS
from gateway.responses import Response, xml_response
from gateway.wire import xml
from gateway.wire.documents.acl import AccessControlPolicy
from gateway.wire.documents.buckets import parse_create_bucket, render_buckets, render_location
from gateway.wire.documents.controls import (
    BUCKET_OWNER_ENFORCED,
    OBJECT_OWNERSHIP,
    PublicAccessBlock,
    render_ownership,
    render_public_access_block,
)
from gateway.wire.documents.encryption import SSE_C, EncryptionRule, stored_form
from gateway.wire.errors import Code, S3Error

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def validate_bucket_name(name: str) -> None:
    """AWS's general-purpose bucket naming rules."""
    ok = (
        bool(_BUCKET_NAME.fullmatch(name))
        and ".." not in name
        and not name.startswith(_RESERVED_PREFIXES)
        and not name.endswith(_RESERVED_SUFFIXES)
    )
    if ok:
        try:
            ipaddress.IPv4Address(name)
            ok = False
        except ValueError:
            pass
    if not ok:
        raise S3Error(Code.InvalidBucketName, BucketName=name)


async def list_buckets(ctx: Context) -> Response:
    limit = params.query_int(ctx.req, "max-buckets", MAX_BUCKETS, low=1, high=MAX_BUCKETS)
    prefix = ctx.req.query.get("prefix", "")
    token = ctx.req.query.get("continuation-token")
    region = ctx.req.query.get("bucket-region")
    after = params.decode_token(token) if token else ""
    paged = "max-buckets" in ctx.req.query
    buckets = await ctx.backend.list_buckets(ctx.identity.canonical_id, prefix=prefix, start_after=after,
                                             limit=limit + 1)
    if region:
        buckets = [b for b in buckets if b.region == region]
    more = len(buckets) > limit
    buckets = buckets[:limit]
    owner = ctx.identity.canonical_id
    return xml_response(render_buckets(
        buckets, owner, ctx.directory.display_name(owner),
        continuation_token=params.encode_token(buckets[-1].name) if more and paged else None,
        prefix=prefix if "prefix" in ctx.req.query else None))


def _location_constraint(ctx: Context, body: bytes) -> str | None:
    if not body.strip():
        return None
    return parse_create_bucket(xml.parse(body, "CreateBucketConfiguration"))


def _initial_documents(ctx: Context) -> dict[str, str | None]:
    """Ownership controls, public access block and ACL a new bucket starts with (None: none).

    ``aws`` defaults: BucketOwnerEnforced and all four BPA flags (S3 since April 2023), SSE-S3 default
    encryption (since January 2023) with SSE-C blocked (since April 2026); ``legacy``: no ownership
    controls (ObjectWriter), no block, no default encryption. ``x-amz-object-ownership``
    overrides the ownership either way; the ACL asked for must fit both.
    """
    aws = ctx.settings.bucket_defaults == "aws"
    ownership = ctx.header("x-amz-object-ownership")
    if ownership is not None and ownership not in OBJECT_OWNERSHIP:
        raise S3Error(Code.InvalidArgument, "Invalid x-amz-object-ownership header",
                      ArgumentName="x-amz-object-ownership", ArgumentValue=ownership)
    ownership = ownership or (BUCKET_OWNER_ENFORCED if aws else None)
    owner = ctx.identity.canonical_id
    grants = controls.new_bucket_acl(ctx.controls.requested(ctx.req.headers), owner, ownership=ownership,
                                     block_public_acls=aws)
    documents: dict[str, str | None] = {
        OWNERSHIP_KIND: xml.render(render_ownership(ownership)).decode("utf-8") if ownership else None,
        PUBLIC_ACCESS_BLOCK_KIND:
            xml.render(render_public_access_block(PublicAccessBlock.all_on())).decode("utf-8") if aws else None,
    }
    if aws:
        documents[ENCRYPTION_KIND] = stored_form(EncryptionRule(blocked=(SSE_C,)))
    if grants is not None:
        documents[ACL_KIND] = acl_document(AccessControlPolicy(owner, grants))
    return documents


async def create_bucket(ctx: Context) -> Response:
    validate_bucket_name(ctx.bucket)
    documents = _initial_documents(ctx)
    object_lock = (ctx.header("x-amz-bucket-object-lock-enabled") or "").strip().lower() == "true"
    if object_lock:  # the bucket does not exist yet: the caller's identity policies decide, as for CreateBucket
        for action in ("s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning"):
            await ctx.authorize(action, bucket_arn(ctx.bucket), identity_only=True)
    constraint = _location_constraint(ctx, await ctx.read_small_body())
    server_region = ctx.settings.region
    if constraint == "EU":
        constraint = "eu-west-1"
    if constraint is None:
        if server_region != "us-east-1":
            raise S3Error(Code.IllegalLocationConstraintException,
                          "The unspecified location constraint is incompatible for the region specific "
                          "endpoint this request was sent to.")
        region = "us-east-1"
    else:
        if constraint == "us-east-1" or not _REGION.fullmatch(constraint):
            raise S3Error(Code.InvalidLocationConstraint, LocationConstraint=constraint)
        if server_region != "us-east-1" and constraint != server_region:
            raise S3Error(Code.IllegalLocationConstraintException,
                          f"The {constraint} location constraint is incompatible for the region specific "
                          "endpoint this request was sent to.")
        region = constraint
    try:
        await ctx.backend.create_bucket(ctx.bucket, region=region, owner_id=ctx.identity.canonical_id,
                                        configs=documents, object_lock=object_lock)
    except S3Error as exc:
        # S3 keeps a legacy answer in us-east-1: re-creating a bucket you own there is a 200.
        if not (exc.code == Code.BucketAlreadyOwnedByYou.name and region == "us-east-1"):
            raise
    ctx.controls.forget(ctx.bucket)
    return Response(200, {"location": f"/{ctx.bucket}"})


async def head_bucket(ctx: Context) -> Response:
    bucket = await ctx.backend.get_bucket(ctx.bucket)
    return Response(200, {"x-amz-bucket-region": bucket.region, "x-amz-access-point-alias": "false"})


async def delete_bucket(ctx: Context) -> Response:
    await ctx.backend.delete_bucket(ctx.bucket)
    ctx.controls.forget(ctx.bucket)
    return Response(204)


async def get_bucket_location(ctx: Context) -> Response:
    bucket = await ctx.backend.get_bucket(ctx.bucket)
    return xml_response(render_location(bucket.region))
