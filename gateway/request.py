"""Turn an ASGI scope into an :class:`S3Request`: bucket, key, query and headers.

Keys come from ``scope["raw_path"]`` (never the percent-decoded ``path``), so ``%2F``, ``+``,
``..`` and friends reach storage exactly as the client meant them. Virtual-hosted-style
requests (``bucket.<domain>``) are recognised for every configured domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

from gateway.wire.errors import Code, S3Error

MAX_KEY_BYTES = 1024


@dataclass(slots=True)
class S3Request:
    scope: dict[str, Any]
    method: str
    raw_path: str
    query_string: str
    query: dict[str, str]
    headers: dict[str, str]
    host: str
    bucket: str | None
    key: str | None
    virtual_host: bool
    request_id: str

    @property
    def resource(self) -> str:
        """The path AWS names as ``<Resource>`` in errors."""
        if self.bucket is None:
            return "/"
        return f"/{self.bucket}/{self.key}" if self.key else f"/{self.bucket}"

    @property
    def level(self) -> str:
        if self.bucket is None:
            return "service"
        return "object" if self.key else "bucket"

    @property
    def is_tls(self) -> bool:
        return bool(self.scope.get("scheme") == "https")


@lru_cache(maxsize=1024)
def _unquote_plus(text: str) -> str:
    """A form-encoded value (``+`` is a space); cached: a presigned URL's credential scope, say, repeats."""
    return unquote(text.replace("+", " "))


def parse_query(query_string: str) -> dict[str, str]:
    """Decode ``a=1&b&c=%20`` into a dict; a name without ``=`` maps to ``""``; first value wins."""
    query: dict[str, str] = {}
    if not query_string:
        return query
    for part in query_string.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in name or "+" in name:
            name = _unquote_plus(name) if len(name) <= 256 else unquote(name.replace("+", " "))
        if name not in query:
            if "%" in value or "+" in value:
                value = _unquote_plus(value) if len(value) <= 256 else unquote(value.replace("+", " "))
            query[name] = value
    return query


def decode_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Lower-case names; repeated headers joined with ``,`` as RFC 9110 allows."""
    headers: dict[str, str] = {}
    for name_b, value_b in raw:
        name = name_b.decode("latin-1").lower()
        value = value_b.decode("latin-1")
        if name in headers:
            headers[name] = f"{headers[name]},{value}"
        else:
            headers[name] = value
    return headers


def split_host(host_header: str) -> str:
    """The host name without port (IPv6 literals keep their brackets)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if ":" in host else host


def bucket_from_host(host: str, domains: tuple[str, ...]) -> str | None:
    """``photos.s3.example.com`` with domain ``s3.example.com`` -> ``photos``."""
    for domain in domains:
        if host.endswith("." + domain) and len(host) > len(domain) + 1:
            return host[: -len(domain) - 1]
    return None


def decode_path(raw: str) -> str:
    if "%" not in raw:  # nothing escaped: decoding would give ``raw`` back
        return raw
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise S3Error(Code.InvalidURI) from None


def validate_key(key: str) -> str:
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise S3Error(Code.KeyTooLongError, Size=str(len(key.encode("utf-8"))), MaxSizeAllowed="1024")
    for ch in key:
        # XML 1.0 cannot carry these in listings; S3 clients cannot read them back either.
        if ch < " " and ch not in "\t\n\r" or ch in "\ufffe\uffff":
            raise S3Error(Code.InvalidArgument, "Object key contains a character that is not allowed "
                          f"(U+{ord(ch):04X}).", ArgumentName="key")
    return key


def parse_request(scope: dict[str, Any], domains: tuple[str, ...], request_id: str) -> S3Request:
    raw_path_b: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    raw_path = raw_path_b.decode("latin-1").split("?", 1)[0]
    query_string = scope.get("query_string", b"").decode("latin-1")
    headers = decode_headers(scope["headers"])
    host_header = headers.get("host", "")
    host = split_host(host_header)
    vhost_bucket = bucket_from_host(host, domains) if domains else None

    path = decode_path(raw_path)
    if not path.startswith("/"):
        raise S3Error(Code.InvalidURI)
    bucket: str | None
    key: str | None
    if vhost_bucket is not None:
        bucket, key = vhost_bucket, path[1:]
    else:
        bucket, _, key = path[1:].partition("/")
        if not bucket:
            bucket, key = None, None
    if key is not None and key:
        validate_key(key)
    return S3Request(
        scope=scope,
        method=scope["method"],
        raw_path=raw_path,
        query_string=query_string,
        query=parse_query(query_string),
        headers=headers,
        host=host_header,
        bucket=bucket,
        key=key or None,
        virtual_host=vhost_bucket is not None,
        request_id=request_id,
    )
