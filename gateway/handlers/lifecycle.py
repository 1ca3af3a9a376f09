"""Put/Get/DeleteBucketLifecycleConfiguration and the lifecycle admin endpoint."""

from __future__ import annotations

import json

from gateway import lifecycle
from gateway.context import Context
from gateway.errors import Code, S3Error
from gateway.responses import Response, xml_response

MIN_SIZE_HEADER = "x-amz-transition-default-minimum-object-size"


async def put_bucket_lifecycle(ctx: Context) -> Response:
    ctx.require_integrity_header()
    config = lifecycle.parse_configuration(await ctx.read_xml("LifecycleConfiguration"), ctx.header(MIN_SIZE_HEADER))
    await ctx.backend.put_bucket_lifecycle(ctx.bucket, config)
    return Response(200, {MIN_SIZE_HEADER: config.min_transition_size})


async def get_bucket_lifecycle(ctx: Context) -> Response:
    config = await ctx.backend.get_bucket_lifecycle(ctx.bucket)
    if config is None:
        raise S3Error(Code.NoSuchLifecycleConfiguration, BucketName=ctx.bucket)
    return xml_response(lifecycle.render_configuration(config), headers={MIN_SIZE_HEADER: config.min_transition_size})


async def delete_bucket_lifecycle(ctx: Context) -> Response:
    await ctx.backend.get_bucket(ctx.bucket)
    await ctx.backend.put_bucket_lifecycle(ctx.bucket, None)
    return Response(204)


async def run_lifecycle(ctx: Context) -> Response:
    """``POST /_s3gate/admin/lifecycle?advance-days=N``: move the lifecycle clock, then apply all rules now.

    Root credentials only (SigV4, like any S3 request). Answers JSON: the clock and what the pass did.
    """
    if ctx.user.access_key != ctx.settings.access_key:
        raise S3Error(Code.AccessDenied, "The admin endpoint needs the root credentials.")
    raw = ctx.req.query.get("advance-days", "0")
    try:
        days = float(raw)
    except ValueError:
        raise S3Error(Code.InvalidArgument, "advance-days must be a number", ArgumentName="advance-days",
                      ArgumentValue=raw) from None
    if days < 0:
        raise S3Error(Code.InvalidArgument, "The lifecycle clock only moves forward.", ArgumentName="advance-days")
    report = await ctx.backend.run_lifecycle(advance_days=days)
    return Response(200, {"content-type": "application/json"}, json.dumps(report).encode())
