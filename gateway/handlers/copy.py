"""CopyObject: COPY/REPLACE metadata directives, copy-source preconditions, copy-onto-itself rules."""

from __future__ import annotations

import dataclasses

from gateway import conditions, controls, encryption, lock_headers, objectmeta, params
from gateway.auth import object_arn
from gateway.context import Context
from gateway.limits import MAX_COPY_SIZE
from gateway.responses import Response, xml_response
from gateway.wire.documents.copy import render_copy_result
from gateway.wire.errors import Code, S3Error
from gateway.wire.sse_headers import render_encryption
from storage_backends.base import NewObject, ObjectInfo


def copy_target(ctx: Context, src: ObjectInfo) -> NewObject:
    """The destination's metadata, resolved from the directives."""
    h = ctx.req.headers
    replace = params.metadata_directive(ctx.req) == "REPLACE"
    replace_tags = params.tagging_directive(ctx.req) == "REPLACE"
    return NewObject(
        owner_id=ctx.writer_id,
        content=objectmeta.content_headers(h) if replace else dict(src.content),
        metadata=objectmeta.user_metadata(h) if replace else dict(src.metadata),
        storage_class=objectmeta.storage_class(h),  # not inherited: S3 defaults a copy to STANDARD
        tags=objectmeta.tagging_header(h) if replace_tags else dict(src.tags),
    )


async def copy_object(ctx: Context) -> Response:
    """The destination gets the request's ACL (default private), Object Lock and encryption (else the
    destination bucket's default encryption), never the source's, as in S3; an SSE-C source is read
    with the ``x-amz-copy-source-server-side-encryption-customer-*`` key."""
    requested = ctx.controls.requested(ctx.req.headers)
    h = ctx.req.headers
    src_bucket, src_key, src_version = params.copy_source(h["x-amz-copy-source"])
    algorithm = params.checksum_algorithm(ctx.req)
    replace = params.metadata_directive(ctx.req) == "REPLACE"
    params.tagging_directive(ctx.req)
    objectmeta.storage_class(h)
    src_customer_key = encryption.source_key(ctx)
    await ctx.authorize("s3:GetObject", object_arn(src_bucket, src_key), version_id=src_version)
    src = await ctx.backend.head_object(src_bucket, src_key, version_id=src_version, customer_key=src_customer_key)
    objectmeta.check_readable(src)
    conditions.check_copy_source(h, src)
    if src.size > MAX_COPY_SIZE:
        raise S3Error(Code.InvalidRequest, "The specified copy source is larger than the maximum allowable size "
                      f"for a copy source: {MAX_COPY_SIZE}")
    target = copy_target(ctx, src)
    owner, grants = controls.new_object(await ctx.controls.bucket(ctx.bucket), requested, ctx.writer_id)
    target = dataclasses.replace(target, owner_id=owner, acl=grants)
    target = await lock_headers.with_lock(ctx, target, h, ctx.key)
    target = await encryption.with_encryption(ctx, target, h, ctx.key, action="s3:CopyObject")
    onto_itself = (src_bucket, src_key) == (ctx.bucket, ctx.key) and src_version in (None, src.version_id)
    changes = (
        replace
        or ("x-amz-storage-class" in h and target.storage_class != src.storage_class)
        or "x-amz-website-redirect-location" in h
        or encryption.names_encryption(h)
        or (algorithm is not None and (src.checksum is None or algorithm != src.checksum.algorithm))
    )
    if onto_itself and not changes:
        raise S3Error(Code.InvalidRequest, "This copy request is illegal because it is trying to copy an object "
                      "to itself without changing the object's metadata, storage class, website redirect "
                      "location or encryption attributes.")
    info = await ctx.backend.copy_object(src_bucket, src_key, src.version_id, ctx.bucket, ctx.key, target,
                                         checksum_algorithm=algorithm, conditions=params.write_conditions(ctx.req),
                                         src_customer_key=src_customer_key)
    root = render_copy_result(info.etag, info.last_modified_ms, info.checksum)
    headers = {**objectmeta.written_version(info), **render_encryption(info.encryption, context=True)}
    if src.version_id is not None:
        headers["x-amz-copy-source-version-id"] = src.version_id
    return xml_response(root, headers=headers)
