"""AWS Signature Version 2 (HMAC-SHA1), header and query-string forms.

Still sent by older tools (s3cmd's ``signurl``, some backup software). The payload is not
signed in V2, so bodies are only checked against Content-MD5 when one is sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import unquote

from gateway.auth.sigv4 import MAX_SKEW, _iso
from gateway.credentials import Credential
from gateway.request import S3Request
from gateway.wire.errors import Code, S3Error
from gateway.wire.headers import parse_http_date
from gateway.wire.sigv4 import parse_amz_date

# Sub-resources that are part of the V2 canonical resource (as botocore's HmacV1Auth signs them).
SUBRESOURCES = frozenset({
    "accelerate", "acl", "cors", "defaultObjectAcl", "location", "logging", "partNumber", "policy",
    "requestPayment", "torrent", "versioning", "versionId", "versions", "website", "uploads", "uploadId",
    "response-content-type", "response-content-language", "response-expires", "response-cache-control",
    "response-content-disposition", "response-content-encoding", "delete", "lifecycle", "tagging", "restore",
    "storageClass", "notification", "replication", "analytics", "metrics", "inventory", "select",
    "select-type", "object-lock",
})


def string_to_sign(req: S3Request, date_line: str) -> str:
    h = req.headers
    amz = sorted((name, value) for name, value in h.items() if name.startswith("x-amz-"))
    lines = [req.method, h.get("content-md5", "").strip(), h.get("content-type", "").strip(), date_line]
    lines += [f"{name}:{','.join(v.strip() for v in value.split(','))}" for name, value in amz]
    resource = f"/{req.bucket}{req.raw_path}" if req.virtual_host else req.raw_path
    subs = []
    for part in req.query_string.split("&"):
        name, eq, value = part.partition("=")
        if name in SUBRESOURCES:
            subs.append((name, f"{name}={unquote(value)}" if eq else name))
    if subs:
        resource += "?" + "&".join(s for _, s in sorted(subs))
    lines.append(resource)
    return "\n".join(lines)


def _check(user: Credential, sts: str, provided: str) -> None:
    expected = base64.b64encode(hmac.new(user.secret_key.encode(), sts.encode("utf-8"), hashlib.sha1).digest())
    if not hmac.compare_digest(expected.decode(), provided):
        raise S3Error(Code.SignatureDoesNotMatch, AWSAccessKeyId=user.access_key, StringToSign=sts,
                      SignatureProvided=provided,
                      StringToSignBytes=" ".join(f"{b:02x}" for b in sts.encode()))


def verify_header(req: S3Request, keys: Mapping[str, Credential], now: datetime) -> Credential:
    """``Authorization: AWS AKID:base64(hmac-sha1)``."""
    credential = req.headers["authorization"][4:].strip()
    access_key, sep, signature = credential.rpartition(":")
    if not sep or not access_key:
        raise S3Error(Code.InvalidArgument, "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
                      ArgumentName="Authorization", ArgumentValue=req.headers["authorization"])
    user = keys.get(access_key)
    if user is None:
        raise S3Error(Code.InvalidAccessKeyId, AWSAccessKeyId=access_key)
    amz_date = req.headers.get("x-amz-date")
    when = parse_amz_date(amz_date) or parse_http_date(amz_date) if amz_date else \
        parse_http_date(req.headers.get("date", ""))
    if when is None:
        raise S3Error(Code.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
    if abs(now - when) > MAX_SKEW:
        raise S3Error(Code.RequestTimeTooSkewed, RequestTime=amz_date or req.headers.get("date", ""),
                      ServerTime=_iso(now), MaxAllowedSkewMilliseconds="900000")
    date_line = "" if amz_date else req.headers.get("date", "")
    _check(user, string_to_sign(req, date_line), signature)
    return user


def verify_query(req: S3Request, keys: Mapping[str, Credential], now: datetime) -> Credential:
    """``?AWSAccessKeyId=...&Expires=<epoch>&Signature=...``."""
    q = req.query
    user = keys.get(q["AWSAccessKeyId"])
    if user is None:
        raise S3Error(Code.InvalidAccessKeyId, AWSAccessKeyId=q["AWSAccessKeyId"])
    try:
        expires = int(q.get("Expires", ""))
    except ValueError:
        raise S3Error(Code.AccessDenied, "Query-string authentication requires the Signature, Expires and "
                      "AWSAccessKeyId parameters") from None
    if now.timestamp() > expires:
        raise S3Error(Code.AccessDenied, "Request has expired",
                      Expires=_iso(datetime.fromtimestamp(expires, UTC)), ServerTime=_iso(now))
    _check(user, string_to_sign(req, str(expires)), q["Signature"])
    return user
