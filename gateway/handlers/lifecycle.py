"""Put/Get/DeleteBucketLifecycleConfiguration."""

from __future__ import annotations

from gateway.context import Context
from gateway.responses import Response, xml_response
from gateway.wire.errors import Code, S3Error
from gateway.wire.lifecycle_xml import parse_configuration, render_configuration

MIN_SIZE_HEADER = "x-amz-transition-default-minimum-object-size"


async def put_bucket_lifecycle(ctx: Context) -> Response:
    ctx.require_integrity_header()
    config = parse_configuration(await ctx.read_xml("LifecycleConfiguration"), ctx.header(MIN_SIZE_HEADER))
    await ctx.backend.put_bucket_lifecycle(ctx.bucket, config)
    return Response(200, {MIN_SIZE_HEADER: config.min_transition_size})


async def get_bucket_lifecycle(ctx: Context) -> Response:
    config = await ctx.backend.get_bucket_lifecycle(ctx.bucket)
    if config is None:
        raise S3Error(Code.NoSuchLifecycleConfiguration, BucketName=ctx.bucket)
    return xml_response(render_configuration(config), headers={MIN_SIZE_HEADER: config.min_transition_size})


async def delete_bucket_lifecycle(ctx: Context) -> Response:
    await ctx.backend.get_bucket(ctx.bucket)
    await ctx.backend.put_bucket_lifecycle(ctx.bucket, None)
    return Response(204)
