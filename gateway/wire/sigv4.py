"""SigV4 signing math: signing keys, canonical URI/query/headers, the string to sign.

Pure functions shared by the gateway's verifier (``gateway.auth.sigv4``) and the S3 client that signs
requests (``storage_backends.s3client``): both sides compute the same canonical request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

UNSIGNED = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING_MODES = (STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER)
_SPACES = re.compile(r" +")


@lru_cache(maxsize=1024)
def signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    key = hmac.digest(("AWS4" + secret).encode(), day.encode(), "sha256")
    key = hmac.digest(key, region.encode(), "sha256")
    key = hmac.digest(key, service.encode(), "sha256")
    return hmac.digest(key, b"aws4_request", "sha256")


def hmac_hex(key: bytes, message: str) -> str:
    return hmac.digest(key, message.encode("utf-8"), "sha256").hex()  # OpenSSL's one-shot: no HMAC object


# Text already in canonical form: unreserved characters, plus escapes (upper-case hex) of
# characters that must stay escaped. Most paths and queries are, so they skip decode/re-encode.
_CANONICAL_PATH = re.compile(r"[A-Za-z0-9\-._~/]*")
_CANONICAL_NAME = re.compile(r"[A-Za-z0-9\-._~]*")
# (Possessive: a run of unreserved characters is matched in one step and never backtracked into.)
_CANONICAL_VALUE = re.compile(r"(?:[A-Za-z0-9\-._~]++|%[0-9A-F]{2})*+")
_CANONICAL_PAIR = r"[A-Za-z0-9\-._~]++(?:=(?:[A-Za-z0-9\-._~]++|%[0-9A-F]{2})*+)?"
_CANONICAL_QUERY = re.compile(rf"{_CANONICAL_PAIR}(?:&{_CANONICAL_PAIR})*+")
_ESCAPED_UNRESERVED = re.compile(r"%(?:3[0-9]|4[1-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9AE]|2[DE])")


def canonical_uri(raw_path: str) -> str:
    if _CANONICAL_PATH.fullmatch(raw_path):
        return raw_path
    return quote(unquote(raw_path), safe="/~")


def canonical_query(query_string: str, exclude: str | None = None) -> str:
    if _CANONICAL_QUERY.fullmatch(query_string) and not ("%" in query_string
                                                         and _ESCAPED_UNRESERVED.search(query_string)):
        # The usual case (every SDK's presigned URL): already canonical, only the order may differ.
        fast = [(name, value) for name, _, value in (part.partition("=") for part in query_string.split("&"))
                if name != exclude]
        fast.sort()
        return "&".join([f"{n}={v}" for n, v in fast])
    pairs: list[tuple[str, str]] = []
    for part in query_string.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if not (_CANONICAL_NAME.fullmatch(name) and _CANONICAL_VALUE.fullmatch(value)
                and not ("%" in value and _ESCAPED_UNRESERVED.search(value))):
            name, value = quote(unquote(name), safe="~"), quote(unquote(value), safe="~")
        if (unquote(name) if "%" in name else name) == exclude:
            continue
        pairs.append((name, value))
    pairs.sort()
    return "&".join(f"{n}={v}" for n, v in pairs)


def header_block(pairs: Iterable[tuple[str, str]]) -> str:
    """Canonical header lines: values trimmed, inner runs of spaces folded."""
    lines = []
    for name, value in pairs:
        value = value.strip()
        lines.append(f"{name}:{_SPACES.sub(' ', value) if '  ' in value else value}\n")
    return "".join(lines)


def string_to_sign(method: str, uri: str, query: str, headers: str, signed_list: str, payload_hash: str,
                   amz_date: str, scope: str) -> tuple[str, str]:
    """(canonical request, string to sign): shared by verification and the upstream client's signing."""
    creq = "\n".join((method, uri, query, headers, signed_list, payload_hash))
    return creq, "\n".join((ALGORITHM, amz_date, scope, hashlib.sha256(creq.encode("utf-8")).hexdigest()))


def sign(method: str, raw_path: str, query: str, headers: dict[str, str], payload_hash: str, *, access_key: str,
         secret_key: str, region: str, service: str, now: datetime | None = None) -> None:
    """Sign a request being sent: adds x-amz-date and the Authorization header (every header in
    ``headers``, lower-case names, is signed). Used by the upstream S3 client and the SQS target."""
    amz_date = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    headers["x-amz-date"] = amz_date
    signed = sorted(headers)
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    _, sts = string_to_sign(method, canonical_uri(raw_path), canonical_query(query),
                            header_block((n, headers[n]) for n in signed), ";".join(signed), payload_hash,
                            amz_date, scope)
    signature = hmac_hex(signing_key(secret_key, amz_date[:8], region, service), sts)
    headers["authorization"] = (f"{ALGORITHM} Credential={access_key}/{scope}, "
                                f"SignedHeaders={';'.join(signed)}, Signature={signature}")


@lru_cache(maxsize=256)  # concurrent requests carry the same few stamps
def parse_amz_date(value: str) -> datetime | None:
    """``20261125T160117Z`` (parsed by hand: strptime costs more than the rest of the check)."""
    if len(value) != 16 or value[8] != "T" or value[15] != "Z" or not (value[:8] + value[9:15]).isdigit():
        return None
    try:
        return datetime(int(value[:4]), int(value[4:6]), int(value[6:8]), int(value[9:11]), int(value[11:13]),
                        int(value[13:15]), tzinfo=UTC)
    except ValueError:
        return None
