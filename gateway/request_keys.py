"""The condition keys of one S3 request (``aws:SourceIp``, ``s3:prefix``, ``s3:x-amz-acl``...), computed
only when a policy's condition asks for one: most requests' policies reference none, so building
the whole context up front would cost every request for nothing.

Keys are looked up lower-cased (``Context`` folds them); a key this request does not have is
absent (None), as IAM treats it. ``s3:ExistingObjectTag/KEY`` reads the object's tags, which the
authorizer fetches beforehand only when a policy names such a key (``tags``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import parse_qsl

from gateway.access.matching import LazyKeys, Value
from gateway.request import S3Request

REST_HEADER, REST_QUERY, POST = "REST-HEADER", "REST-QUERY-STRING", "POST"
SIGV4, SIGV2 = "AWS4-HMAC-SHA256", "AWS"
_HEADER_KEYS = ("x-amz-acl", "x-amz-grant-full-control", "x-amz-grant-read", "x-amz-grant-read-acp",
                "x-amz-grant-write", "x-amz-grant-write-acp", "x-amz-content-sha256",
                "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
                "x-amz-server-side-encryption-customer-algorithm", "x-amz-storage-class", "x-amz-copy-source",
                "x-amz-metadata-directive")
_LISTINGS = frozenset({"s3:listbucket", "s3:listbucketversions"})
_LISTING_KEYS = {"s3:prefix": "prefix", "s3:delimiter": "delimiter", "s3:max-keys": "max-keys"}
_TLS_VERSIONS = {0x0301: "TLSv1", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2", 0x0304: "TLSv1.3"}
REQUEST_TAG, EXISTING_TAG = "s3:requestobjecttag/", "s3:existingobjecttag/"


def auth_type(req: S3Request, *, form: bool, anonymous: bool) -> str | None:
    if anonymous:
        return None
    if form:
        return POST
    return REST_HEADER if "authorization" in req.headers else REST_QUERY


class RequestKeys(LazyKeys):
    """The request context of one authorization question (``action``), each key computed on demand."""

    __slots__ = ("req", "action", "now", "owner_account", "auth", "tags", "_tagging", "consulted", "_memo")

    def __init__(self, req: S3Request, action: str, now: datetime, *, owner_account: str | None,
                 auth: str | None, tags: dict[str, str] | None = None) -> None:
        self.req = req
        self.action = action.lower()
        self.now = now
        self.owner_account = owner_account
        self.auth = auth
        self.tags = tags
        self._tagging: dict[str, str] | None = None
        self.consulted: list[tuple[str, Value | None]] = []  # what an evaluation read, in order
        self._memo: dict[str, Value | None] = {}  # several statements often read the same key

    def lookup(self, key: str) -> Value | None:
        """The key's value; every answer is recorded in ``consulted`` (the authorizer's decision cache
        is valid for another request only while these same keys have these same values)."""
        value = self.value(key)
        self.consulted.append((key, value))
        return value

    def value(self, key: str) -> Value | None:
        """The key's value, unrecorded (each computed once per request)."""
        memo = self._memo
        if key in memo:
            return memo[key]
        found = memo[key] = self._compute(key)
        return found

    def _compute(self, key: str) -> Value | None:
        computed = _COMPUTED.get(key)
        if computed is not None:
            return computed(self)
        h = self.req.headers
        if key.startswith("s3:") and key[3:] in _HEADER_KEYS:
            return h.get(key[3:])
        listing = _LISTING_KEYS.get(key)
        if listing is not None:
            return self.req.query.get(listing) if self.action in _LISTINGS else None
        if key.startswith(REQUEST_TAG):
            return self.request_tags().get(key[len(REQUEST_TAG):]) if "x-amz-tagging" in h else None
        if key.startswith(EXISTING_TAG) and self.tags is not None:
            return _tag(self.tags, key[len(EXISTING_TAG):])
        return None

    def request_tags(self) -> dict[str, str]:
        if self._tagging is None:
            self._tagging = dict(parse_qsl(self.req.headers.get("x-amz-tagging", ""), keep_blank_values=True))
        return self._tagging

    # Mapping, for completeness (the evaluator only calls ``lookup``): the keys this request has.
    def __getitem__(self, key: str) -> Value:
        found = self.value(key.lower())
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        names = [*_COMPUTED, *(f"s3:{n}" for n in _HEADER_KEYS), *_LISTING_KEYS]
        names += [REQUEST_TAG + k for k in (self.request_tags() if "x-amz-tagging" in self.req.headers else {})]
        names += [EXISTING_TAG + k for k in (self.tags or {})]
        return iter([n for n in names if self.value(n) is not None])

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _tag(tags: dict[str, str], name: str) -> str | None:
    """Tag keys compare as the policy spells them; fold case only when no exact match exists
    (``Context`` lower-cases the key it asks for)."""
    if name in tags:
        return tags[name]
    for key, value in tags.items():
        if key.lower() == name:
            return value
    return None


def _source_ip(k: RequestKeys) -> str | None:
    client = k.req.scope.get("client")
    return str(client[0]) if client else None


def _signature_version(k: RequestKeys) -> str | None:
    if k.auth == REST_HEADER:
        return SIGV4 if k.req.headers.get("authorization", "").startswith(SIGV4) else SIGV2
    if k.auth == REST_QUERY:
        return SIGV4 if "X-Amz-Algorithm" in k.req.query else SIGV2
    if k.auth == POST:
        return k.req.scope.get("s3gate.form_signature")  # set by the POST handler's hook, if known
    return None


def _signed_at(k: RequestKeys) -> datetime | None:
    text = k.req.headers.get("x-amz-date") or k.req.query.get("X-Amz-Date")
    if text:
        try:
            return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return None
    date = k.req.headers.get("date")
    if date:
        try:
            return parsedate_to_datetime(date)
        except (TypeError, ValueError):
            return None
    return None


def _signature_age(k: RequestKeys) -> str | None:
    if k.auth is None:
        return None
    signed = _signed_at(k)
    return None if signed is None else str(max(0, int((k.now - signed).total_seconds() * 1000)))


@lru_cache(maxsize=4)
def _iso_second(epoch: int) -> str:
    """aws:CurrentTime; the requests of one second share one formatting."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _tls_version(k: RequestKeys) -> str | None:
    tls = k.req.scope.get("extensions", {}).get("tls")
    version = tls.get("tls_version") if isinstance(tls, dict) else None
    return _TLS_VERSIONS.get(version) if isinstance(version, int) else None


def _tag_keys(k: RequestKeys) -> Value | None:
    return list(k.request_tags()) if "x-amz-tagging" in k.req.headers else None


_COMPUTED: dict[str, Callable[[RequestKeys], Value | None]] = {
    "aws:sourceip": _source_ip,
    "aws:securetransport": lambda k: "true" if k.req.is_tls else "false",
    "aws:currenttime": lambda k: _iso_second(int(k.now.timestamp())),
    "aws:epochtime": lambda k: str(int(k.now.timestamp())),
    "aws:useragent": lambda k: k.req.headers.get("user-agent"),
    "aws:referer": lambda k: k.req.headers.get("referer"),
    "s3:versionid": lambda k: k.req.query.get("versionId"),
    "s3:signatureversion": _signature_version,
    "s3:authtype": lambda k: k.auth,
    "s3:signatureage": _signature_age,
    "s3:tlsversion": _tls_version,
    "s3:resourceaccount": lambda k: k.owner_account,
    "s3:requestobjecttagkeys": _tag_keys,
}
