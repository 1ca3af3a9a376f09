"""HTTP preconditions and byte ranges, with S3's precedence rules.

GET/HEAD: a failing If-Match is 412 (If-Unmodified-Since is then not consulted); a matching
If-None-Match is 304 (If-Modified-Since is then not consulted). Copy-source conditions use the
same logic but answer 412 in every failing case, as S3 does.
"""

from __future__ import annotations

from gateway.wire import headers as wire_headers
from gateway.wire.errors import Code, S3Error
from gateway.wire.headers import http_date, quote_etag, unquote_etag
from storage_backends.base import ByteRange, ObjectInfo

FRESHNESS = ("cache-control", "expires")


def etag_matches(header: str, etag: str) -> bool:
    for candidate in header.split(","):
        if candidate.strip() == "*":
            return True
        if unquote_etag(candidate) == etag:
            return True
    return False


def parse_http_date(value: str) -> int | None:
    """Seconds since the epoch, or None for a date S3 would ignore."""
    parsed = wire_headers.parse_http_date(value)
    return int(parsed.timestamp()) if parsed is not None else None


def check(info: ObjectInfo, *, if_match: str | None, if_none_match: str | None,
          if_modified_since: str | None, if_unmodified_since: str | None, copy_source: bool = False) -> None:
    modified = info.last_modified_ms // 1000
    prefix = "x-amz-copy-source-" if copy_source else ""
    if if_match is not None:
        if not etag_matches(if_match, info.etag):
            raise S3Error(Code.PreconditionFailed, Condition=f"{prefix}If-Match")
    elif if_unmodified_since is not None:
        since = parse_http_date(if_unmodified_since)
        if since is not None and modified > since:
            raise S3Error(Code.PreconditionFailed, Condition=f"{prefix}If-Unmodified-Since")
    not_modified = False
    condition = ""
    if if_none_match is not None:
        not_modified = etag_matches(if_none_match, info.etag)
        condition = "If-None-Match"
    elif if_modified_since is not None:
        since = parse_http_date(if_modified_since)
        not_modified = since is not None and modified <= since
        condition = "If-Modified-Since"
    if not_modified:
        if copy_source:
            raise S3Error(Code.PreconditionFailed, Condition=f"{prefix}{condition}")
        # RFC 9110: a 304 carries what the 200 would of ETag, Cache-Control and Expires, so that a cache
        # that revalidates keeps (or updates) the object's freshness.
        headers = {"etag": quote_etag(info.etag), "last-modified": http_date(info.last_modified_ms)}
        headers.update((name, info.content[name]) for name in FRESHNESS if name in info.content)
        if info.version_id is not None:
            headers["x-amz-version-id"] = info.version_id
        raise S3Error(Code.NotModified, headers=headers)


def check_read(headers: dict[str, str], info: ObjectInfo) -> None:
    check(info, if_match=headers.get("if-match"), if_none_match=headers.get("if-none-match"),
          if_modified_since=headers.get("if-modified-since"),
          if_unmodified_since=headers.get("if-unmodified-since"))


def check_copy_source(headers: dict[str, str], info: ObjectInfo) -> None:
    check(info, if_match=headers.get("x-amz-copy-source-if-match"),
          if_none_match=headers.get("x-amz-copy-source-if-none-match"),
          if_modified_since=headers.get("x-amz-copy-source-if-modified-since"),
          if_unmodified_since=headers.get("x-amz-copy-source-if-unmodified-since"), copy_source=True)


def parse_range(value: str | None) -> ByteRange | None:
    """``bytes=0-99``, ``bytes=100-``, ``bytes=-100``; anything else (multiple ranges, bad syntax) is ignored."""
    if not value:
        return None
    unit, _, spec = value.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if not first:
            return ByteRange(None, int(last)) if last.isdigit() else None
        start = int(first)
        end = int(last) if last else None
    except ValueError:
        return None
    if start < 0 or (end is not None and end < start):
        return None
    return ByteRange(start, end)
