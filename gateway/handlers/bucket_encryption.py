"""PutBucketEncryption and DeleteBucketEncryption: the default encryption new objects get, and the blocked types.

GetBucketEncryption answers the stored document (``bucket_config.stored_document``); the stored
form is always the rendered rule, so a GET reads back what S3 would. As on S3 since April 2026, a
PutBucketEncryption that states no ``BlockedEncryptionTypes`` keeps the bucket's block as it was
(terraform-provider-aws#47320: AWS read a rule put without it back as ``SSE-C``); a rule without a
default gets SSE-S3 under ``--bucket-defaults aws`` (S3 can no longer leave new objects unencrypted).
DeleteBucketEncryption "resets the default encryption for the bucket as SSE-S3" under ``aws`` (the
block is kept, which S3 does not document either way); under ``legacy`` it removes the rule, as S3
did before 2023. Every change forgets the bucket's cached record, which writes read their default from.
"""

from __future__ import annotations

from dataclasses import replace

from gateway.access.resources import ENCRYPTION_KIND
from gateway.context import Context
from gateway.responses import Response
from gateway.wire.documents.encryption import ROOT, EncryptionRule, parse_configuration, stored_form


async def put_bucket_encryption(ctx: Context) -> Response:
    ctx.require_integrity_header()
    rule = parse_configuration(await ctx.read_xml(ROOT))
    current = (await ctx.controls.bucket(ctx.bucket)).encryption
    if rule.blocked is None and current is not None:
        rule = replace(rule, blocked=current.blocked)
    if rule.algorithm is None and ctx.settings.bucket_defaults == "aws":
        rule = replace(rule, algorithm="AES256")
    await ctx.backend.put_bucket_config(ctx.bucket, ENCRYPTION_KIND, stored_form(rule))
    ctx.controls.forget(ctx.bucket)
    return Response(200)


async def delete_bucket_encryption(ctx: Context) -> Response:
    document = None
    if ctx.settings.bucket_defaults == "aws":
        current = (await ctx.controls.bucket(ctx.bucket)).encryption
        document = stored_form(EncryptionRule(blocked=current.blocked if current is not None else None))
    await ctx.backend.put_bucket_config(ctx.bucket, ENCRYPTION_KIND, document)
    ctx.controls.forget(ctx.bucket)
    return Response(204)
