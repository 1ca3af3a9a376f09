"""Put/Get/DeleteBucketPolicy and GetBucketPolicyStatus.

A policy is validated by ``gateway.access.policy`` as AWS validates it (its message becomes
S3's MalformedPolicy) and stored exactly as sent, so GET returns the client's own bytes. Under
BlockPublicPolicy a public policy (``gateway.access.public``) is refused with 403, as S3 does.
Evaluating the policy per request is the authorize step's business.
"""

from __future__ import annotations

from gateway.access.policy import MAX_BUCKET_POLICY_BYTES, PolicyError, parse_policy
from gateway.access.public import is_public_policy
from gateway.access.resources import POLICY_KIND
from gateway.context import Context
from gateway.responses import Response, xml_response
from gateway.wire.documents.controls import render_policy_status
from gateway.wire.errors import Code, S3Error

# Read a little past the limit, so an oversized policy gets the policy language's own message.
_READ_LIMIT = MAX_BUCKET_POLICY_BYTES + 1


async def put_bucket_policy(ctx: Context) -> Response:
    try:
        body = await ctx.read_small_body(_READ_LIMIT)
    except S3Error as exc:
        if exc.code != Code.MalformedXML.name:
            raise
        body = b" " * _READ_LIMIT  # over the limit: parse_policy answers with AWS's size message
    try:
        policy = parse_policy(body, kind="resource", bucket=ctx.bucket)
    except PolicyError as exc:
        raise S3Error(Code.MalformedPolicy, exc.message) from None
    access = await ctx.controls.bucket(ctx.bucket)
    if access.block.block_public_policy and is_public_policy(policy):
        raise S3Error(Code.AccessDenied)
    await ctx.backend.put_bucket_config(ctx.bucket, POLICY_KIND, policy.text)
    ctx.controls.forget(ctx.bucket)
    return Response(204)


async def get_bucket_policy(ctx: Context) -> Response:
    access = await ctx.controls.bucket(ctx.bucket)
    if access.policy_text is None:
        raise S3Error(Code.NoSuchBucketPolicy, BucketName=ctx.bucket)
    return Response(200, {"content-type": "application/json"}, access.policy_text.encode("utf-8"))


async def delete_bucket_policy(ctx: Context) -> Response:
    await ctx.backend.put_bucket_config(ctx.bucket, POLICY_KIND, None)
    ctx.controls.forget(ctx.bucket)
    return Response(204)


async def get_bucket_policy_status(ctx: Context) -> Response:
    access = await ctx.controls.bucket(ctx.bucket)
    if access.policy_text is None:
        raise S3Error(Code.NoSuchBucketPolicy, BucketName=ctx.bucket)
    return xml_response(render_policy_status(access.policy_is_public))
