"""PostObject: browser uploads with an HTML form and a signed POST policy.

The request carries its own credentials (the signed policy) in the body, so the pipeline cannot
verify them before the handler has read the form's fields: the handler hands the fields to
``ctx.authenticate_form`` (the pipeline's authenticate logic for this scheme; a form without
signing fields is the anonymous caller), and asks ``ctx.authorize_operation`` for the final key,
``${filename}`` expanded, before the file is stored. The file streams from the form straight into
storage; the policy's ``content-length-range`` stops an oversized file as soon as it crosses the
limit.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote, urlencode

from gateway import controls, encryption, forms, lock_headers, objectmeta, post_policy
from gateway.context import Context
from gateway.limits import MAX_PUT_SIZE
from gateway.payload import receive_stream, verified_stream
from gateway.request import validate_key
from gateway.responses import Response, quote_etag, xml_response
from gateway.wire import checksums, xml
from gateway.wire.documents.tagging import parse_tagging
from gateway.wire.errors import Code, S3Error
from gateway.wire.sse_headers import render_encryption
from storage_backends.base import NewObject

SUCCESS_STATUSES = {"200": 200, "201": 201, "204": 204}


def _tags(fields: dict[str, str]) -> dict[str, str]:
    raw = fields.get("tagging")
    if not raw:
        return {}
    return objectmeta.validate_tags(parse_tagging(xml.parse(raw.encode("utf-8"), "Tagging"), strict=False))


def _checksum_field(fields: dict[str, str]) -> tuple[str | None, str | None]:
    found = [(algo, value) for name, value in fields.items() if (algo := checksums.algorithm_of_header(name))]
    if len(found) > 1:
        raise S3Error(Code.InvalidRequest, "Expecting a single x-amz-checksum- field.")
    if not found:
        return None, None
    algo, value = found[0]
    if not checksums.is_valid_value(algo, value):
        raise S3Error(Code.InvalidRequest, f"Value for {checksums.header_name(algo)} field is invalid.")
    return algo, value


async def post_object(ctx: Context) -> Response:
    reader = forms.FormReader(receive_stream(ctx.receive), forms.boundary_of(ctx.header("content-type") or ""))
    fields, file_part = await reader.fields()
    if "key" not in fields:  # S3 names a missing key before a missing signing field
        raise post_policy.missing_field("key")
    await ctx.authenticate_form(fields)
    if file_part is None:
        raise S3Error(Code.InvalidArgument, "POST requires exactly one file upload per request.",
                      ArgumentName="file", ArgumentValue="0")
    fields = post_policy.expand_filename(fields, file_part.filename)
    length_range = None
    if not ctx.principal.anonymous:  # an anonymous form's policy, if it has one, is signed by no one
        policy = post_policy.parse_policy(fields["policy"])
        post_policy.check(policy, fields, ctx.bucket, ctx.now)
        length_range = policy.length_range
    key = fields["key"]
    if not key:
        raise S3Error(Code.InvalidArgument, "User key must have a length greater than 0.", ArgumentName="key")
    validate_key(key)
    requested = ctx.controls.requested(fields, "acl")
    await ctx.authorize_operation(key)
    new = NewObject(owner_id=ctx.writer_id, content=objectmeta.content_headers(fields),
                    metadata=objectmeta.user_metadata(fields), storage_class=objectmeta.storage_class(fields),
                    tags=_tags(fields))
    owner, grants = controls.new_object(await ctx.controls.bucket(ctx.bucket), requested, ctx.writer_id)
    new = replace(new, owner_id=owner, acl=grants)
    new = await lock_headers.with_lock(ctx, new, fields, key)
    new = await encryption.with_encryption(ctx, new, fields, key)
    low, high = length_range or (0, MAX_PUT_SIZE)
    algorithm, expected = _checksum_field(fields)
    body = verified_stream(reader.file(), algorithm=algorithm, expected=expected, min_size=low,
                           max_size=min(high, MAX_PUT_SIZE))
    info = await ctx.backend.put_object(ctx.bucket, key, body, new)
    scheme = "https" if ctx.req.is_tls else "http"
    location = f"{scheme}://{ctx.req.host}/{ctx.bucket}/{quote(key, safe='/')}"
    headers = {"etag": quote_etag(info.etag), "location": location, **objectmeta.written_version(info),
               **render_encryption(info.encryption)}
    redirect = fields.get("success_action_redirect") or fields.get("redirect")
    if redirect:
        query = urlencode({"bucket": ctx.bucket, "key": key, "etag": quote_etag(info.etag)})
        headers["location"] = f"{redirect}{'&' if '?' in redirect else '?'}{query}"
        return Response(303, headers)
    status = SUCCESS_STATUSES.get(fields.get("success_action_status", ""), 204)
    if status == 201:
        root = xml.document("PostResponse", namespace=False)
        xml.subs(root, [("Location", location), ("Bucket", ctx.bucket), ("Key", key),
                        ("ETag", quote_etag(info.etag))])
        return xml_response(root, 201, headers)
    return Response(status, headers)
