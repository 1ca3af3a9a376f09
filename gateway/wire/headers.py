"""S3's header value formats, each once and both ways: what the server writes, the upstream client reads.

HTTP dates (RFC 7231, and the RFC 850 / asctime forms ``email.utils`` also accepts), ETags
(quoted on the wire, bare everywhere else), ``x-amz-expiration`` and ``x-amz-restore`` (quoted
``name="value"`` lists), ``x-amz-checksum-*``, ``x-amz-tagging`` and ``Content-Range``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode

from gateway.wire.checksums import ALGORITHMS, Checksum, header_name

CHECKSUM_PREFIX = "x-amz-checksum-"
CHECKSUM_TYPE = "x-amz-checksum-type"


# -- HTTP dates ------------------------------------------------------------------------------------
def http_date(ms: int) -> str:
    """RFC 7231 date, as S3 sends Last-Modified: ``Wed, 25 Nov 2026 16:01:17 GMT``."""
    return _http_date(ms // 1000)


@lru_cache(maxsize=4096)
def _http_date(seconds: int) -> str:
    return formatdate(seconds, usegmt=True)


def parse_http_date(value: str | None) -> datetime | None:
    """An aware datetime (a date without a zone is UTC), or None if absent or unreadable."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def http_date_ms(value: str | None) -> int:
    """Milliseconds since the epoch (0 if absent or unreadable)."""
    parsed = parse_http_date(value)
    return int(parsed.timestamp() * 1000) if parsed is not None else 0


# -- ETags ---------------------------------------------------------------------------------------
def quote_etag(etag: str) -> str:
    return f'"{etag}"'


def unquote_etag(value: str | None) -> str:
    """``"abc"``, ``W/"abc"``, `` abc `` -> ``abc``."""
    return (value or "").strip().removeprefix("W/").strip('"')


# -- x-amz-expiration and x-amz-restore ---------------------------------------------------------------
def _quoted_fields(value: str) -> dict[str, str]:
    """``a="x", b="y"`` -> {"a": "x", "b": "y"}."""
    fields = {}
    for part in value.split('", '):
        name, _, rest = part.partition("=")
        fields[name.strip()] = rest.strip().strip('"')
    return fields


def expiration_header(expiry_ms: int, rule_id: str) -> str:
    """``x-amz-expiration``: a lifecycle rule will expire this version."""
    return f'expiry-date="{http_date(expiry_ms)}", rule-id="{rule_id}"'


def parse_expiration(value: str | None) -> tuple[int, str] | None:
    """``x-amz-expiration`` -> (expiry ms, rule id)."""
    if not value:
        return None
    fields = _quoted_fields(value)
    return http_date_ms(fields.get("expiry-date")), fields.get("rule-id", "")


def restore_header(ongoing: bool, expiry_ms: int | None) -> str:
    """``x-amz-restore``: a restore in progress, or a restored copy readable until ``expiry_ms``."""
    if ongoing:
        return 'ongoing-request="true"'
    expiry = f', expiry-date="{http_date(expiry_ms)}"' if expiry_ms else ""
    return f'ongoing-request="false"{expiry}'


def parse_restore(value: str | None) -> tuple[bool, int | None] | None:
    """``x-amz-restore`` -> (ongoing, expiry ms or None)."""
    if not value:
        return None
    fields = _quoted_fields(value)
    expiry = fields.get("expiry-date")
    return fields.get("ongoing-request") == "true", http_date_ms(expiry) if expiry else None


# -- checksums, tags, ranges ---------------------------------------------------------------------
def checksum_headers(checksum: Checksum) -> dict[str, str]:
    """``x-amz-checksum-<algorithm>`` and ``x-amz-checksum-type``."""
    return {header_name(checksum.algorithm): checksum.value, CHECKSUM_TYPE: checksum.type}


def parse_checksum(headers: Mapping[str, str], prefix: str = CHECKSUM_PREFIX) -> Checksum | None:
    """The first ``x-amz-checksum-<algorithm>`` header (with its type; FULL_OBJECT if none)."""
    for algorithm in ALGORITHMS:
        value = headers.get(prefix + algorithm.lower())
        if value:
            return Checksum(algorithm, value, headers.get(CHECKSUM_TYPE, "FULL_OBJECT").upper())
    return None


def tagging_header(tags: Mapping[str, str]) -> str:
    """``x-amz-tagging``: tags as a URL query string."""
    return urlencode(list(tags.items()), quote_via=quote)


def parse_tagging_header(value: str) -> list[tuple[str, str]]:
    """``x-amz-tagging`` -> (key, value) pairs in order, duplicates kept (the caller validates)."""
    return parse_qsl(value, keep_blank_values=True)


def content_range(start: int, end: int, size: int) -> str:
    return f"bytes {start}-{end}/{size}"


def parse_content_range(value: str | None) -> tuple[int, int, int] | None:
    """``bytes 0-9/10`` -> (0, 9, 10)."""
    if not value or not value.startswith("bytes "):
        return None
    span, _, total = value[6:].partition("/")
    first, _, last = span.partition("-")
    try:
        return int(first), int(last), int(total)
    except ValueError:
        return None
