"""Get/PutBucketLogging: S3 server access logging's configuration, validated as S3 does.

The target bucket must exist, be owned by the source bucket's owner and be in the same region; a
target whose Object Ownership is BucketOwnerEnforced takes no TargetGrants (its policy grants access).
Delivery is ``gateway.observe.bucket_logging``.
"""

from __future__ import annotations

from gateway.context import Context
from gateway.responses import Response, xml_response
from gateway.wire import xml
from gateway.wire.documents.controls import BUCKET_OWNER_ENFORCED
from gateway.wire.documents.logging import ROOT, LoggingEnabled, parse_logging, render_logging
from gateway.wire.errors import Code, S3Error

LOGGING_KIND = "logging"


async def get_bucket_logging(ctx: Context) -> Response:
    document = await ctx.backend.get_bucket_config(ctx.bucket, LOGGING_KIND)
    if document is None:
        return xml_response(render_logging(None))
    return Response(200, {"content-type": "application/xml"}, document.encode("utf-8"))


async def put_bucket_logging(ctx: Context) -> Response:
    ctx.require_integrity_header()
    enabled = parse_logging(await ctx.read_xml(ROOT))
    if enabled is not None:
        await _check_target(ctx, enabled)
    document = xml.render(render_logging(enabled)).decode("utf-8") if enabled is not None else None
    await ctx.backend.put_bucket_config(ctx.bucket, LOGGING_KIND, document)
    return Response(200)


async def _check_target(ctx: Context, enabled: LoggingEnabled) -> None:
    source = await ctx.backend.get_bucket(ctx.bucket)
    try:
        target = await ctx.backend.get_bucket(enabled.target_bucket)
    except S3Error as err:
        if err.code != Code.NoSuchBucket.name:
            raise
        raise S3Error(Code.InvalidTargetBucketForLogging, "The target bucket for logging does not exist",
                      TargetBucket=enabled.target_bucket) from None
    if target.owner_id != source.owner_id:
        raise S3Error(Code.InvalidTargetBucketForLogging, "The owner for the bucket to be logged and the target "
                      "bucket must be the same.", TargetBucket=enabled.target_bucket)
    if target.region != source.region:
        raise S3Error(Code.CrossLocationLoggingProhibited, SourceBucketLocation=source.region,
                      TargetBucketLocation=target.region)
    if enabled.grants and (await ctx.controls.bucket(enabled.target_bucket)).ownership == BUCKET_OWNER_ENFORCED:
        raise S3Error(Code.InvalidTargetBucketForLogging, "Target grants are not supported on a target bucket "
                      "whose Object Ownership is BucketOwnerEnforced: grant access with its bucket policy.",
                      TargetBucket=enabled.target_bucket)
