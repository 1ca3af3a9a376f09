"""Object metadata as upstream headers: what a write sends, what a read's answer means."""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlencode

from gateway.wire import checksums
from storage_backends.base import CONTENT_HEADERS, Checksum, NewObject, ObjectInfo, Restore, WriteConditions

META_PREFIX = "x-amz-meta-"


def new_object_headers(new: NewObject) -> dict[str, str]:
    """Content headers, user metadata, storage class and tags of an object being written."""
    headers = dict(new.content)
    for name, value in new.metadata.items():
        headers[META_PREFIX + name] = value
    if new.storage_class != "STANDARD":
        headers["x-amz-storage-class"] = new.storage_class
    if new.tags:
        headers["x-amz-tagging"] = urlencode(list(new.tags.items()), quote_via=quote)
    return headers


def condition_headers(conditions: WriteConditions | None) -> dict[str, str]:
    """Conditional writes go upstream, which checks them atomically where it commits."""
    headers: dict[str, str] = {}
    if conditions is not None:
        if conditions.if_none_match:
            headers["if-none-match"] = "*"
        if conditions.if_match is not None:
            headers["if-match"] = f'"{conditions.if_match}"'
    return headers


def http_date_ms(value: str | None) -> int:
    if not value:
        return 0
    try:
        return int(parsedate_to_datetime(value).timestamp() * 1000)
    except (TypeError, ValueError, IndexError):
        return 0


def checksum_of(headers: Mapping[str, str], prefix: str = "x-amz-checksum-") -> Checksum | None:
    """The first ``x-amz-checksum-<algorithm>`` header (with its type) in an upstream answer."""
    for algorithm in checksums.ALGORITHMS:
        value = headers.get(prefix + algorithm.lower())
        if value:
            return Checksum(algorithm, value, headers.get("x-amz-checksum-type", "FULL_OBJECT").upper())
    return None


def unquote_etag(value: str | None) -> str:
    return (value or "").strip().removeprefix("W/").strip('"')


def object_info(bucket: str, key: str, headers: Mapping[str, str], owner_id: str, size: int) -> ObjectInfo:
    """An ObjectInfo from the headers of a HEAD/GET answer (``size`` of the whole object)."""
    parts = headers.get("x-amz-mp-parts-count")
    return ObjectInfo(
        bucket=bucket,
        key=key,
        size=size,
        etag=unquote_etag(headers.get("etag")),
        last_modified_ms=http_date_ms(headers.get("last-modified")),
        owner_id=owner_id,
        version_id=headers.get("x-amz-version-id"),
        storage_class=headers.get("x-amz-storage-class", "STANDARD"),
        content={name: headers[name] for name in CONTENT_HEADERS if name in headers},
        metadata={name[len(META_PREFIX):]: value for name, value in headers.items() if name.startswith(META_PREFIX)},
        checksum=checksum_of(headers),
        parts_count=int(parts) if parts and parts.isdigit() else None,
        tag_count=int(count) if (count := headers.get("x-amz-tagging-count", "")).isdigit() else None,
        expiration=expiration_of(headers.get("x-amz-expiration")),
        restore=restore_of(headers.get("x-amz-restore")),
    )


def _quoted_fields(value: str) -> dict[str, str]:
    """``a="x", b="y"`` -> {"a": "x", "b": "y"} (the shape of x-amz-expiration and x-amz-restore)."""
    fields = {}
    for part in value.split('", '):
        name, _, rest = part.partition("=")
        fields[name.strip()] = rest.strip().strip('"')
    return fields


def expiration_of(value: str | None) -> tuple[int, str] | None:
    if not value:
        return None
    fields = _quoted_fields(value)
    return http_date_ms(fields.get("expiry-date")), fields.get("rule-id", "")


def restore_of(value: str | None) -> Restore | None:
    if not value:
        return None
    fields = _quoted_fields(value)
    expiry = fields.get("expiry-date")
    return Restore(fields.get("ongoing-request") == "true", http_date_ms(expiry) if expiry else None)


def content_range(value: str | None) -> tuple[int, int, int] | None:
    """``bytes 0-9/10`` -> (0, 9, 10)."""
    if not value or not value.startswith("bytes "):
        return None
    span, _, total = value[6:].partition("/")
    first, _, last = span.partition("-")
    try:
        return int(first), int(last), int(total)
    except ValueError:
        return None
