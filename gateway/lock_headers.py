"""Object Lock on object requests: the lock a write asks for, the GOVERNANCE bypass, what reads show.

Shared by the object, copy, multipart and POST handlers (S3 checks these the same way for each).
A write's ``x-amz-object-lock-*`` headers (POST: form fields) are checked as S3 checks them, before
the bucket is looked at; then the caller must also be allowed s3:PutObjectRetention /
s3:PutObjectLegalHold, the bucket must have Object Lock, and an upload that will be locked (by
its headers or the bucket's default retention) must carry Content-MD5 or a checksum. Reads show
a version's retention to callers allowed s3:GetObjectRetention and its legal hold to those allowed
s3:GetObjectLegalHold, as S3 does. ``x-amz-bypass-governance-retention: true`` needs
s3:BypassGovernanceRetention (AccessDenied without it), on a bucket with Object Lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from gateway.auth import object_arn
from gateway.context import Context
from gateway.wire.errors import Code, S3Error
from gateway.wire.lock_rules import (
    MISSING_ON_WRITE,
    UNTIL_HEADER,
    ObjectLock,
    check_future,
    parse_lock_headers,
    render_lock_headers,
)
from storage_backends.base import NewObject, ObjectInfo, UploadInfo

BYPASS_HEADER = "x-amz-bypass-governance-retention"


def _integrity_required(what: str) -> S3Error:
    return S3Error(Code.InvalidRequest, f"Content-MD5 OR x-amz-checksum- HTTP header is required for {what} "
                   "requests with Object Lock parameters")


def _signed_v4(ctx: Context) -> bool:
    """Signed, and not with SigV2 (a header or presigned URL; a POST form's scheme is not told apart)."""
    if ctx.principal.anonymous:
        return False
    auth = ctx.req.headers.get("authorization")
    if auth is not None:
        return auth.startswith("AWS4-")
    return "AWSAccessKeyId" not in ctx.req.query


async def with_lock(ctx: Context, new: NewObject, fields: Mapping[str, str], key: str, *,
                    body: str | None = None) -> NewObject:
    """``new`` with the lock the write asks for, once S3's checks pass. ``body``: the request carries the
    object's bytes, and is what S3 calls it ("Put Object") when it refuses one that will be locked but
    brings neither Content-MD5 nor a checksum."""
    lock = parse_lock_headers(fields)
    if lock is None and body is None:
        return new
    if lock is not None:
        check_future(lock.retention, int(ctx.now.timestamp() * 1000), UNTIL_HEADER, fields.get(UNTIL_HEADER, ""))
        if not _signed_v4(ctx):
            raise S3Error(Code.InvalidArgument, "Put Object requests with Object Lock parameters require AWS "
                          "Signature Version 4", ArgumentName="Authorization")
        arn = object_arn(ctx.bucket, key)
        if lock.retention is not None:
            await ctx.authorize("s3:PutObjectRetention", arn)
        if lock.legal_hold is not None:
            await ctx.authorize("s3:PutObjectLegalHold", arn)
    config = (await ctx.controls.bucket(ctx.bucket)).object_lock
    if lock is not None and config is None:
        raise S3Error(Code.InvalidRequest, MISSING_ON_WRITE)
    locked = lock is not None or (config is not None and config.default is not None)
    if body is not None and locked and not ctx.has_integrity_header():
        raise _integrity_required(body)
    return replace(new, lock=lock) if lock is not None else new


async def check_part(ctx: Context, upload: UploadInfo) -> None:
    """UploadPart of an upload whose object will be locked needs Content-MD5 or a checksum too."""
    if ctx.has_integrity_header():
        return
    config = (await ctx.controls.bucket(ctx.bucket)).object_lock
    if upload.lock is not None or (config is not None and config.default is not None):
        raise _integrity_required("Put Part")


async def bypass_requested(ctx: Context, *, delete: bool) -> bool:
    """Whether the request asks to bypass GOVERNANCE retention (``x-amz-bypass-governance-retention``).

    On a delete, the header (true or false) is refused on a bucket without Object Lock, as S3 does."""
    value = ctx.header(BYPASS_HEADER)
    if value is None:
        return False
    if delete and (await ctx.controls.bucket(ctx.bucket)).object_lock is None:
        raise S3Error(Code.InvalidArgument, "x-amz-bypass-governance-retention is only applicable to Object Lock "
                      "enabled buckets.", ArgumentName=BYPASS_HEADER, ArgumentValue=value)
    return value.strip().lower() == "true"


async def authorize_bypass(ctx: Context, key: str) -> None:
    await ctx.authorize("s3:BypassGovernanceRetention", object_arn(ctx.bucket, key))


async def bypass(ctx: Context, key: str, *, delete: bool) -> bool:
    """Whether the request bypasses GOVERNANCE retention on ``key``: asked, and allowed (else AccessDenied)."""
    if not await bypass_requested(ctx, delete=delete):
        return False
    await authorize_bypass(ctx, key)
    return True


async def _allowed(ctx: Context, action: str, arn: str) -> bool:
    try:
        await ctx.authorize(action, arn)
    except S3Error as exc:
        if exc.code != Code.AccessDenied.name:
            raise
        return False
    return True


async def visible(ctx: Context, info: ObjectInfo) -> dict[str, str]:
    """The version's x-amz-object-lock-* headers this caller may see (GET and HEAD)."""
    lock: ObjectLock | None = info.lock
    if lock is None:
        return {}
    arn = object_arn(info.bucket, info.key)
    retention = lock.retention is not None and await _allowed(ctx, "s3:GetObjectRetention", arn)
    hold = lock.legal_hold is not None and await _allowed(ctx, "s3:GetObjectLegalHold", arn)
    return render_lock_headers(lock, retention=retention, legal_hold=hold)
