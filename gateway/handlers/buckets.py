"""Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re

from gateway.context import Context
from gateway.responses import Response, xml_response
from gateway.wire import xml
from gateway.wire.documents.buckets import parse_create_bucket
from gateway.wire.errors import Code, S3Error

CANNED_ACLS = ("private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
               "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write")
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


def check_canned_acl(ctx: Context) -> None:
    acl = ctx.header("x-amz-acl")
    if acl is not None and acl not in CANNED_ACLS:
        raise S3Error(Code.InvalidArgument, ArgumentName="x-amz-acl", ArgumentValue=acl)


def encode_token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode("utf-8")).decode("ascii")


def decode_token(token: str, argument: str = "continuation-token") -> str:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeError):
        raise S3Error(Code.InvalidArgument, "The continuation token provided is incorrect",
                      ArgumentName=argument) from None


def int_param(ctx: Context, name: str, default: int, *, low: int, high: int, clamp: bool = False) -> int:
    return parse_int(name, ctx.req.query.get(name), default, low=low, high=high, clamp=clamp)


def parse_int(name: str, raw: str | None, default: int, *, low: int, high: int, clamp: bool = False) -> int:
    """An integer query parameter or header; ``clamp`` caps values above ``high`` instead of refusing them."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise S3Error(Code.InvalidArgument, f"Provided {name} not an integer or within integer range",
                      ArgumentName=name, ArgumentValue=raw) from None
    if value < low or (value > high and not clamp):
        raise S3Error(Code.InvalidArgument, f"Argument {name} must be an integer between {low} and {high}",
                      ArgumentName=name, ArgumentValue=raw)
    return min(value, high)


def owner_element(ctx: Context, parent: xml.Element, canonical_id: str, tag: str = "Owner") -> None:
    owner = xml.sub(parent, tag)
    xml.sub(owner, "ID", canonical_id)
    xml.sub(owner, "DisplayName", ctx.users.display_name(canonical_id))


async def list_buckets(ctx: Context) -> Response:
    limit = int_param(ctx, "max-buckets", 10000, low=1, high=10000)
    prefix = ctx.req.query.get("prefix", "")
    token = ctx.req.query.get("continuation-token")
    region = ctx.req.query.get("bucket-region")
    after = decode_token(token) if token else ""
    paged = "max-buckets" in ctx.req.query
    buckets = await ctx.backend.list_buckets(ctx.user.canonical_id, prefix=prefix, start_after=after,
                                             limit=limit + 1)
    if region:
        buckets = [b for b in buckets if b.region == region]
    more = len(buckets) > limit
    buckets = buckets[:limit]
    root = xml.document("ListAllMyBucketsResult")
    container = xml.sub(root, "Buckets")
    for b in buckets:
        el = xml.sub(container, "Bucket")
        xml.sub(el, "Name", b.name)
        xml.sub(el, "CreationDate", xml.timestamp(b.created_ms))
        xml.sub(el, "BucketRegion", b.region)
    owner_element(ctx, root, ctx.user.canonical_id)
    if more and paged:
        xml.sub(root, "ContinuationToken", encode_token(buckets[-1].name))
    if "prefix" in ctx.req.query:
        xml.sub(root, "Prefix", prefix)
    return xml_response(root)


def _location_constraint(ctx: Context, body: bytes) -> str | None:
    if not body.strip():
        return None
    return parse_create_bucket(xml.parse(body, "CreateBucketConfiguration"))


async def create_bucket(ctx: Context) -> Response:
    validate_bucket_name(ctx.bucket)
    check_canned_acl(ctx)
    if (ctx.header("x-amz-bucket-object-lock-enabled") or "").lower() == "true":
        raise S3Error(Code.NotImplemented, "Object Lock is not supported.", Header="x-amz-bucket-object-lock-enabled")
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
        await ctx.backend.create_bucket(ctx.bucket, region=region, owner_id=ctx.user.canonical_id)
    except S3Error as exc:
        # S3 keeps a legacy answer in us-east-1: re-creating a bucket you own there is a 200.
        if not (exc.code == Code.BucketAlreadyOwnedByYou.name and region == "us-east-1"):
            raise
    return Response(200, {"location": f"/{ctx.bucket}"})


async def head_bucket(ctx: Context) -> Response:
    bucket = await ctx.backend.get_bucket(ctx.bucket)
    return Response(200, {"x-amz-bucket-region": bucket.region, "x-amz-access-point-alias": "false"})


async def delete_bucket(ctx: Context) -> Response:
    await ctx.backend.delete_bucket(ctx.bucket)
    return Response(204)


async def get_bucket_location(ctx: Context) -> Response:
    bucket = await ctx.backend.get_bucket(ctx.bucket)
    root = xml.document("LocationConstraint")
    if bucket.region != "us-east-1":
        root.text = bucket.region
    return xml_response(root)
