"""AWS Signature Version 4: Authorization header, presigned query string, chunk signatures.

The canonical request follows AWS's rules for S3: the path is URI-encoded once (not
normalised), query parameters are decoded, re-encoded and sorted, signed header values are
trimmed with inner runs of spaces folded. The signing math lives in ``gateway.wire.sigv4``.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from gateway.credentials import Credential
from gateway.request import S3Request
from gateway.wire.errors import Code, S3Error
from gateway.wire.headers import parse_http_date
from gateway.wire.sigv4 import (
    ALGORITHM,
    EMPTY_SHA256,
    STREAMING_MODES,
    STREAMING_SIGNED,
    STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER,
    UNSIGNED,
    canonical_query,
    canonical_uri,
    header_block,
    hmac_hex,
    parse_amz_date,
    signing_key,
    string_to_sign,
)

MAX_SKEW = timedelta(minutes=15)
MAX_PRESIGN_EXPIRY = 7 * 24 * 3600
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_INTEGER = re.compile(r"-?[0-9]+")

__all__ = ["ALGORITHM", "STREAMING_MODES", "STREAMING_SIGNED", "STREAMING_SIGNED_TRAILER",
           "STREAMING_UNSIGNED_TRAILER", "UNSIGNED", "ChunkSigner", "verify_header", "verify_presigned"]


@dataclass(frozen=True, slots=True)
class ChunkSigner:
    """What verifying ``aws-chunked`` chunk and trailer signatures needs."""

    key: bytes
    amz_date: str
    scope: str
    seed_signature: str

    def chunk_signature(self, previous: str, chunk_sha256: str) -> str:
        return hmac_hex(self.key, "\n".join(
            ("AWS4-HMAC-SHA256-PAYLOAD", self.amz_date, self.scope, previous, EMPTY_SHA256, chunk_sha256)))

    def trailer_signature(self, previous: str, trailer_sha256: str) -> str:
        return hmac_hex(self.key, "\n".join(
            ("AWS4-HMAC-SHA256-TRAILER", self.amz_date, self.scope, previous, trailer_sha256)))


@dataclass(frozen=True, slots=True)
class V4Result:
    credential: Credential
    payload_hash: str
    signer: ChunkSigner | None


def canonical_headers(req: S3Request, signed: list[str], host: str | None = None) -> str:
    # A signed header that did not arrive canonicalises as empty: the signature then fails.
    return header_block((name, host if name == "host" and host is not None else req.headers.get(name, ""))
                        for name in signed)


def _host_variants(req: S3Request) -> list[str]:
    host = req.headers.get("host", "")
    default = ":443" if req.is_tls else ":80"
    if host.endswith(default):
        return [host[: -len(default)]]
    if not host.endswith("]") and ":" not in host.rsplit("]", 1)[-1]:
        return [host + default]
    return []


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def check_request_time(when: datetime | None, sent: str, now: datetime) -> None:
    """A header-signed request's time stamp (SigV2 and SigV4 alike). S3 answers one it cannot
    read, or one before 1970, as invalid (403 AccessDenied) and only a readable one as skewed."""
    if when is None or when < _EPOCH:
        raise S3Error(Code.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
    if abs(now - when) > MAX_SKEW:
        raise S3Error(Code.RequestTimeTooSkewed, RequestTime=sent, ServerTime=_iso(now),
                      MaxAllowedSkewMilliseconds="900000")


@dataclass(frozen=True, slots=True)
class _Credential:
    access_key: str
    day: str
    region: str
    service: str

    @property
    def scope(self) -> str:
        return f"{self.day}/{self.region}/{self.service}/aws4_request"


@lru_cache(maxsize=256)  # a client's scope is the same all day: parsed once (errors are raised each time)
def _parse_credential(value: str, error: Code, services: tuple[str, ...] = ("s3",)) -> _Credential:
    parts = value.split("/")
    if len(parts) != 5 or not all(parts):
        raise S3Error(error, "The authorization header is malformed; the Credential is mal-formed; "
                      'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".')
    access_key, day, region, service, terminal = parts
    if terminal != "aws4_request":
        raise S3Error(error, 'The authorization header is malformed; incorrect terminal "'
                      f'{terminal}". This endpoint uses "aws4_request".')
    if service not in services:
        raise S3Error(error, f'The authorization header is malformed; incorrect service "{service}". '
                      f'This endpoint belongs to "{services[0]}".')
    if len(day) != 8 or not (day.isascii() and day.isdigit()):
        raise S3Error(error, f"The authorization header is malformed; invalid credential date {day!r}.")
    return _Credential(access_key, day, region, service)


def _lookup(keys: Mapping[str, Credential], access_key: str) -> Credential:
    """The active key's credential; an unknown or Inactive key is InvalidAccessKeyId, as in S3."""
    credential = keys.get(access_key)
    if credential is None:
        raise S3Error(Code.InvalidAccessKeyId, AWSAccessKeyId=access_key)
    return credential


def _verify(req: S3Request, user: Credential, cred: _Credential, amz_date: str, signed: list[str],
            payload_hash: str, provided: str, exclude: str | None) -> bytes:
    """Check the signature; returns the signing key (chunk signatures need it)."""
    key = signing_key(user.secret_key, cred.day, cred.region, cred.service)
    query = canonical_query(req.query_string, exclude)
    headers = canonical_headers(req, signed)
    signed_list = ";".join(signed)

    def attempt(uri: str, block: str) -> tuple[str, str, bool]:
        creq, sts = string_to_sign(req.method, uri, query, block, signed_list, payload_hash, amz_date, cred.scope)
        return creq, sts, hmac.compare_digest(hmac_hex(key, sts), provided.lower())

    uri = canonical_uri(req.raw_path)
    creq, sts, ok = attempt(uri, headers)
    if not ok:
        # Spellings that reach us differently from how the client signed them: the path exactly as
        # sent, and the Host with or without its default port (proxies and SDKs disagree on both).
        uris = [uri] if req.raw_path == uri else [uri, req.raw_path]
        hosts = _host_variants(req) if "host" in signed else []
        ok = any(attempt(u, canonical_headers(req, signed, host))[2] for u in uris for host in [None, *hosts]
                 if (u, host) != (uri, None))
    if not ok:
        raise S3Error(
            Code.SignatureDoesNotMatch,
            AWSAccessKeyId=user.access_key,
            StringToSign=sts,
            SignatureProvided=provided,
            StringToSignBytes=" ".join(f"{b:02x}" for b in sts.encode()),
            CanonicalRequest=creq,
            CanonicalRequestBytes=" ".join(f"{b:02x}" for b in creq.encode()),
        )
    return key


def check_payload_hash(value: str) -> str:
    if value in (UNSIGNED, *STREAMING_MODES) or _HEX64.fullmatch(value):
        return value
    if value.startswith("STREAMING-AWS4-ECDSA"):
        raise S3Error(Code.NotImplemented, "SigV4a (ECDSA) signing is not supported.")
    raise S3Error(Code.InvalidArgument, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                  "STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
                  ArgumentName="x-amz-content-sha256", ArgumentValue=value)


def authorization_fields(header: str) -> dict[str, str]:
    """``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`` -> its named fields."""
    _, _, rest = header.partition(" ")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, eq, value = part.strip().partition("=")
        if eq:
            fields[name.strip()] = value.strip()
    return fields


def verify_header(req: S3Request, keys: Mapping[str, Credential], now: datetime) -> V4Result:
    """``Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``."""
    fields = authorization_fields(req.headers["authorization"])
    missing = [f for f in ("Credential", "SignedHeaders", "Signature") if f not in fields]
    if missing:
        raise S3Error(Code.AuthorizationHeaderMalformed,
                      f"The authorization header is malformed; missing {', '.join(missing)}.")
    cred = _parse_credential(fields["Credential"], Code.AuthorizationHeaderMalformed)
    user = _lookup(keys, cred.access_key)

    amz_date = req.headers.get("x-amz-date")
    if amz_date is not None:
        when = parse_amz_date(amz_date)
    else:
        when = parse_http_date(req.headers.get("date", ""))
        amz_date = when.strftime("%Y%m%dT%H%M%SZ") if when else ""
    check_request_time(when, amz_date, now)
    if amz_date[:8] != cred.day:
        raise S3Error(Code.AuthorizationHeaderMalformed, "The authorization header is malformed; Invalid "
                      f"credential date \"{cred.day}\". This date is not the same as X-Amz-Date: \"{amz_date[:8]}\".")

    payload_hash = req.headers.get("x-amz-content-sha256")
    if payload_hash is None:
        raise S3Error(Code.InvalidRequest, "Missing required header for this request: x-amz-content-sha256")
    check_payload_hash(payload_hash)
    signed = fields["SignedHeaders"].lower().split(";")
    if "host" not in signed:
        raise S3Error(Code.AuthorizationHeaderMalformed,
                      "The authorization header is malformed; SignedHeaders must include host.")
    key = _verify(req, user, cred, amz_date, signed, payload_hash, fields["Signature"], None)
    signer = None
    if payload_hash.startswith("STREAMING-AWS4-HMAC-SHA256"):
        signer = ChunkSigner(key, amz_date, cred.scope, fields["Signature"].lower())
    return V4Result(user, payload_hash, signer)


def _presign_expiry(value: str) -> int:
    """``X-Amz-Expires``: AWS reads it as a 64-bit integer (not ``21600.0``, nor Python's ``1_0``)."""
    expires = int(value) if _INTEGER.fullmatch(value) else None
    if expires is None or not -(2**63) <= expires < 2**63:
        raise S3Error(Code.AuthorizationQueryParametersError, "X-Amz-Expires should be a number")
    if expires < 0:
        raise S3Error(Code.AuthorizationQueryParametersError, "X-Amz-Expires must be non-negative")
    if expires > MAX_PRESIGN_EXPIRY:
        raise S3Error(Code.AuthorizationQueryParametersError, "X-Amz-Expires must be less than a week (in seconds); "
                      f"that is, the given X-Amz-Expires must be less than {MAX_PRESIGN_EXPIRY} seconds")
    return expires


_PRESIGN_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date",
                   "X-Amz-SignedHeaders", "X-Amz-Expires")


def verify_presigned(req: S3Request, keys: Mapping[str, Credential], now: datetime) -> V4Result:
    """``?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=...&X-Amz-Signature=...``."""
    q = req.query
    if any(p not in q for p in _PRESIGN_PARAMS):
        raise S3Error(Code.AuthorizationQueryParametersError,
                      "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                      "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
    if q["X-Amz-Algorithm"] != ALGORITHM:
        raise S3Error(Code.AuthorizationQueryParametersError,
                      "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
    cred = _parse_credential(q["X-Amz-Credential"], Code.AuthorizationQueryParametersError)
    when = parse_amz_date(q["X-Amz-Date"])
    if when is None:
        raise S3Error(Code.AuthorizationQueryParametersError,
                      "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    expires = _presign_expiry(q["X-Amz-Expires"])
    user = _lookup(keys, cred.access_key)
    if when - now > MAX_SKEW:
        # AWS's fields as quoted in minio/minio#2638, X-Amz-Date in epoch milliseconds included.
        raise S3Error(Code.AccessDenied, "Request is not yet valid", fields={
            "X-Amz-Date": str(int(when.timestamp()) * 1000), "Expires": _iso(when + timedelta(seconds=expires)),
            "ServerTime": _iso(now)})
    if now > when + timedelta(seconds=expires):
        raise S3Error(Code.AccessDenied, "Request has expired", fields={
            "X-Amz-Expires": str(expires), "Expires": _iso(when + timedelta(seconds=expires)),
            "ServerTime": _iso(now)})
    signed = q["X-Amz-SignedHeaders"].lower().split(";")
    if "host" not in signed:
        raise S3Error(Code.AuthorizationQueryParametersError,
                      "Query-string authentication requires the host header to be signed.")
    payload_hash = q.get("X-Amz-Content-Sha256") or req.headers.get("x-amz-content-sha256") or UNSIGNED
    check_payload_hash(payload_hash)
    if payload_hash in STREAMING_MODES and payload_hash != STREAMING_UNSIGNED_TRAILER:
        raise S3Error(Code.InvalidRequest, "Presigned requests cannot carry signed aws-chunked payloads.")
    _verify(req, user, cred, q["X-Amz-Date"], signed, payload_hash, q["X-Amz-Signature"], "X-Amz-Signature")
    return V4Result(user, payload_hash, None)
