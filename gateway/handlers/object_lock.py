"""Object Lock: Get/PutObjectLockConfiguration, Get/PutObjectRetention, Get/PutObjectLegalHold.

The PUTs carry Content-MD5 or a checksum, as S3 requires (botocore marks all three
``requestChecksumRequired``); the body is read before the bucket is looked at (a missing body is
MalformedXML first). The rules a change must follow (a retention in force may only be extended,
GOVERNANCE gives way to a permitted bypass) are checked by the backend where it stores the change.
"""

from __future__ import annotations

from gateway import lock_headers, params
from gateway.context import Context
from gateway.responses import Response, xml_response
from gateway.wire.documents import object_lock as lock_doc
from gateway.wire.errors import Code, S3Error
from gateway.wire.lock_rules import MISSING_CONFIGURATION, check_future, iso_ms


async def _require_object_lock(ctx: Context) -> None:
    """Retention and legal holds exist only in buckets with Object Lock (the backend checks it again
    where it writes; the bucket's record answers sooner, and alike for every backend)."""
    if (await ctx.controls.bucket(ctx.bucket)).object_lock is None:
        raise S3Error(Code.InvalidRequest, MISSING_CONFIGURATION)


async def put_configuration(ctx: Context) -> Response:
    ctx.require_integrity_header()
    config = lock_doc.parse_configuration(await ctx.read_xml(lock_doc.CONFIGURATION_ROOT))
    await ctx.backend.put_object_lock_configuration(ctx.bucket, config)
    ctx.controls.forget(ctx.bucket)
    return Response(200)


async def get_configuration(ctx: Context) -> Response:
    config = await ctx.backend.get_object_lock_configuration(ctx.bucket)
    if config is None:
        raise S3Error(Code.ObjectLockConfigurationNotFoundError, BucketName=ctx.bucket)
    return xml_response(lock_doc.render_configuration(config))


async def put_retention(ctx: Context) -> Response:
    ctx.require_integrity_header()
    retention = lock_doc.parse_retention(await ctx.read_xml(lock_doc.RETENTION_ROOT))
    if retention is not None:
        check_future(retention, int(ctx.now.timestamp() * 1000), "RetainUntilDate", iso_ms(retention.until_ms))
    await _require_object_lock(ctx)
    bypass = await lock_headers.bypass(ctx, ctx.key, delete=False)
    await ctx.backend.put_object_retention(ctx.bucket, ctx.key, retention, version_id=params.version_id(ctx.req),
                                           bypass_governance=bypass)
    return Response(200)


async def get_retention(ctx: Context) -> Response:
    await _require_object_lock(ctx)
    retention = await ctx.backend.get_object_retention(ctx.bucket, ctx.key, version_id=params.version_id(ctx.req))
    if retention is None:
        raise S3Error(Code.NoSuchObjectLockConfiguration)
    return xml_response(lock_doc.render_retention(retention))


async def put_legal_hold(ctx: Context) -> Response:
    ctx.require_integrity_header()
    on = lock_doc.parse_legal_hold(await ctx.read_xml(lock_doc.LEGAL_HOLD_ROOT))
    await _require_object_lock(ctx)
    await ctx.backend.put_object_legal_hold(ctx.bucket, ctx.key, on, version_id=params.version_id(ctx.req))
    return Response(200)


async def get_legal_hold(ctx: Context) -> Response:
    await _require_object_lock(ctx)
    on = await ctx.backend.get_object_legal_hold(ctx.bucket, ctx.key, version_id=params.version_id(ctx.req))
    if on is None:
        raise S3Error(Code.NoSuchObjectLockConfiguration)
    return xml_response(lock_doc.render_legal_hold(on))
