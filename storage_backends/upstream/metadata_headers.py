"""Object metadata as upstream headers: what a write sends, what a read's answer means.

The header formats themselves (dates, ETags, checksums, tags, x-amz-expiration/x-amz-restore)
are :mod:`gateway.wire.headers`, shared with the server that writes them; this module only maps
them to and from the backend's types.
"""

from __future__ import annotations

from collections.abc import Mapping

from gateway.wire import headers as codec
from gateway.wire.lock_rules import parse_lock_headers, render_lock_headers
from gateway.wire.sse_headers import customer_key_headers, parse_encryption, request_headers
from storage_backends.base import CONTENT_HEADERS, NewObject, ObjectInfo, Restore, WriteConditions

META_PREFIX = "x-amz-meta-"


def new_object_headers(new: NewObject) -> dict[str, str]:
    """Content headers, user metadata, storage class, tags, Object Lock and encryption of an object being
    written: the encryption the request asked for (an SSE-C key included), never the bucket's default,
    which the upstream applies itself (it encrypts; the gateway never does so as well)."""
    headers = dict(new.content)
    for name, value in new.metadata.items():
        headers[META_PREFIX + name] = value
    if new.storage_class != "STANDARD":
        headers["x-amz-storage-class"] = new.storage_class
    if new.tags:
        headers["x-amz-tagging"] = codec.tagging_header(new.tags)
    if new.lock is not None:
        headers.update(render_lock_headers(new.lock))
    if new.encryption is not None and not new.encryption_default:
        headers.update(request_headers(new.encryption))
    headers.update(customer_key_headers(new.customer_key))
    return headers


def condition_headers(conditions: WriteConditions | None) -> dict[str, str]:
    """Conditional writes go upstream, which checks them atomically where it commits."""
    headers: dict[str, str] = {}
    if conditions is not None:
        if conditions.if_none_match:
            headers["if-none-match"] = "*"
        if conditions.if_match is not None:
            headers["if-match"] = codec.quote_etag(conditions.if_match)
    return headers


def object_info(bucket: str, key: str, headers: Mapping[str, str], owner_id: str, size: int) -> ObjectInfo:
    """An ObjectInfo from the headers of a HEAD/GET answer (``size`` of the whole object)."""
    parts = headers.get("x-amz-mp-parts-count")
    restore = codec.parse_restore(headers.get("x-amz-restore"))
    return ObjectInfo(
        bucket=bucket,
        key=key,
        size=size,
        etag=codec.unquote_etag(headers.get("etag")),
        last_modified_ms=codec.http_date_ms(headers.get("last-modified")),
        owner_id=owner_id,
        version_id=headers.get("x-amz-version-id"),
        storage_class=headers.get("x-amz-storage-class", "STANDARD"),
        content={name: headers[name] for name in CONTENT_HEADERS if name in headers},
        metadata={name[len(META_PREFIX):]: value for name, value in headers.items() if name.startswith(META_PREFIX)},
        checksum=codec.parse_checksum(headers),
        parts_count=int(parts) if parts and parts.isdigit() else None,
        tag_count=int(count) if (count := headers.get("x-amz-tagging-count", "")).isdigit() else None,
        expiration=codec.parse_expiration(headers.get("x-amz-expiration")),
        restore=Restore(*restore) if restore is not None else None,
        lock=parse_lock_headers(headers),
        encryption=parse_encryption(headers),
    )
