"""Server-side encryption on object requests: what a write is encrypted with, the SSE-C keys reads bring.

Shared by the object, copy, multipart, attributes and POST handlers (S3 checks these the same way
for each). A write's SSE headers (POST: form fields) are parsed by ``gateway.sse_params``; one that
names none gets the bucket's default encryption, read from the per-gateway bucket record
(``ctx.controls``: no catalog read per request). SSE-C over plain HTTP is refused as S3 refuses it
(``--allow-sse-c-over-http`` lets a local developer through), then on a bucket whose encryption
rule blocks SSE-C (every new bucket under ``--bucket-defaults aws``, as on S3 since April 2026) a
write naming SSE-C is 403 AccessDenied, with S3's message, before its key is looked at.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

from gateway import sse_params
from gateway.auth import object_arn
from gateway.context import Context
from gateway.wire import sse
from gateway.wire.documents.encryption import EncryptionRule
from gateway.wire.errors import Code, S3Error
from gateway.wire.sse_headers import SSE
from storage_backends.base import CustomerKey, Encryption, NewObject, UploadInfo

INSECURE = ("Requests specifying Server Side Encryption with Customer provided keys must be made over a secure "
            "connection.")


def _require_secure(ctx: Context) -> None:
    if not ctx.req.is_tls and not ctx.settings.allow_sse_c_over_http:
        raise S3Error(Code.InvalidRequest, INSECURE)


def _blocked(ctx: Context, action: str, key: str) -> S3Error:
    """S3's answer ("Troubleshoot access denied (403 Forbidden) errors") to SSE-C on a bucket that blocks it."""
    identity = ctx.principal.identity
    who = identity.arn if identity is not None else "anonymous"
    return S3Error(Code.AccessDenied, f'User: {who} is not authorized to perform: {action} on resource: '
                   f'"{object_arn(ctx.bucket, key)}" because this bucket has blocked upload requests that specify '
                   "Server Side Encryption with Customer provided keys (SSE-C). Please specify a different "
                   "server-side encryption type")


async def _rule(ctx: Context) -> EncryptionRule | None:
    return (await ctx.controls.bucket(ctx.bucket)).encryption


async def _check_customer_write(ctx: Context, fields: Mapping[str, str], action: str, key: str) -> None:
    if sse_params.specifies_customer_key(fields):
        _require_secure(ctx)
        rule = await _rule(ctx)
        if rule is not None and rule.blocks_sse_c:
            raise _blocked(ctx, action, key)


def default_encryption(rule: EncryptionRule | None, bucket_key: bool | None = None) -> Encryption | None:
    """The bucket's default encryption (one S3 itself applies: not aws:fsx or aws:backup)."""
    if rule is None or rule.algorithm not in sse_params.WRITABLE:
        return None
    kms = rule.algorithm in sse_params.KMS
    return Encryption(rule.algorithm, kms_key_id=rule.kms_key_id if kms else None,
                      bucket_key=kms and (rule.bucket_key if bucket_key is None else bucket_key))


async def with_encryption(ctx: Context, new: NewObject, fields: Mapping[str, str], key: str, *,
                          action: str = "s3:PutObject") -> NewObject:
    """``new`` encrypted as the write asks, else as the bucket's default encryption says (``encryption_default``)."""
    await _check_customer_write(ctx, fields, action, key)
    asked = sse_params.write_encryption(fields)
    rule = await _rule(ctx)
    enc = asked.encryption
    if enc is None:
        default = default_encryption(rule, asked.bucket_key)
        return replace(new, encryption=default, encryption_default=default is not None) if default else new
    if enc.algorithm in sse_params.KMS:
        wanted = asked.bucket_key if asked.bucket_key is not None else rule is not None and rule.bucket_key
        enc = replace(enc, bucket_key=enc.algorithm == "aws:kms" and wanted)  # none for DSSE-KMS, as in S3
    return replace(new, encryption=enc, customer_key=asked.customer_key)


def names_encryption(fields: Mapping[str, str]) -> bool:
    """The request names encryption attributes (a copy onto itself may then change nothing else)."""
    return SSE in fields or sse_params.specifies_customer_key(fields)


def read_key(ctx: Context) -> CustomerKey | None:
    """GET, HEAD, GetObjectAttributes: the SSE-C key to read with (no x-amz-server-side-encryption)."""
    h = ctx.req.headers
    sse_params.refuse_on_read(h)
    if sse_params.specifies_customer_key(h):
        _require_secure(ctx)
    return sse_params.customer_key(h)


def source_key(ctx: Context) -> CustomerKey | None:
    """CopyObject, UploadPartCopy: the source's SSE-C key (``x-amz-copy-source-server-side-encryption-*``)."""
    h = ctx.req.headers
    if sse_params.specifies_customer_key(h, copy_source=True):
        _require_secure(ctx)
    return sse_params.customer_key(h, copy_source=True)


async def part_key(ctx: Context, upload: UploadInfo, *, completion: bool = False) -> CustomerKey | None:
    """UploadPart, UploadPartCopy (and, ``completion``, CompleteMultipartUpload): the upload's SSE-C key.

    A part of an SSE-C upload must bring the key it was created with, and a part of an upload known
    not to be SSE-C none (S3's "initiate requested encryption" refusal); a completion needs the key
    only as S3 does, when it carries one. An upload whose encryption is not known (an upstream's,
    after the gateway forgot it) is left to the backend. SSE-C parts on a bucket that now blocks
    SSE-C are refused as writes are.
    """
    h = ctx.req.headers
    if completion:
        if sse_params.specifies_customer_key(h):
            _require_secure(ctx)
    else:
        await _check_customer_write(ctx, h, "s3:PutObject", ctx.key)
    key = sse_params.customer_key(h)
    enc = upload.encryption
    if enc is not None and enc.customer:
        if key is None and not completion:
            raise sse.part_key_required()
        if key is not None and enc.customer_key_md5 and key.md5 != enc.customer_key_md5:
            raise sse.part_key_mismatch()
    elif enc is not None and key is not None:
        raise sse.part_key_required()
    return key


async def completion_key(ctx: Context, upload: Callable[[], Awaitable[UploadInfo]]) -> CustomerKey | None:
    """CompleteMultipartUpload's SSE-C key, if it brings one (the upload is looked up only then)."""
    if not sse_params.specifies_customer_key(ctx.req.headers):
        return None
    return await part_key(ctx, await upload(), completion=True)
