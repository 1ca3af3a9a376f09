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

from gateway.auth.sigv4 import _iso, check_request_time
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


# S3 refuses an Expires past a 32-bit epoch second as not one (a millisecond time, typically).
_MAX_EXPIRES = 2**31


def _paths(req: S3Request) -> list[str]:
    """The resource's path as sent and, for a bucket, its other spelling: S3 takes ``/bucket`` and
    ``/bucket/`` alike, and botocore signs ``/bucket/`` whatever the URL says."""
    path = f"/{req.bucket}{req.raw_path}" if req.virtual_host else req.raw_path
    if req.level != "bucket":
        return [path]
    return [path, path[:-1] if path.endswith("/") else path + "/"]


def strings_to_sign(req: S3Request, date_line: str) -> list[str]:
    """What the client may have signed, the spelling the request arrived in first."""
    h = req.headers
    amz = sorted((name, value) for name, value in h.items() if name.startswith("x-amz-"))
    lines = [req.method, h.get("content-md5", "").strip(), h.get("content-type", "").strip(), date_line]
    lines += [f"{name}:{','.join(v.strip() for v in value.split(','))}" for name, value in amz]
    subs = []
    for part in req.query_string.split("&"):
        name, eq, value = part.partition("=")
        if name in SUBRESOURCES:
            subs.append((name, f"{name}={unquote(value)}" if eq else name))
    query = "?" + "&".join(s for _, s in sorted(subs)) if subs else ""
    return ["\n".join([*lines, path + query]) for path in _paths(req)]


def _check(user: Credential, candidates: list[str], provided: str) -> None:
    key = user.secret_key.encode()
    for sts in candidates:
        expected = base64.b64encode(hmac.new(key, sts.encode("utf-8"), hashlib.sha1).digest())
        if hmac.compare_digest(expected.decode(), provided):
            return
    sts = candidates[0]
    raise S3Error(Code.SignatureDoesNotMatch, AWSAccessKeyId=user.access_key, StringToSign=sts,
                  SignatureProvided=provided, StringToSignBytes=" ".join(f"{b:02x}" for b in sts.encode()))


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
    # An x-amz-date that is present replaces Date, even empty (then the request has no valid time).
    amz_date = req.headers.get("x-amz-date")
    if amz_date is not None:
        sent, date_line = amz_date, ""
        when = parse_amz_date(amz_date) or parse_http_date(amz_date)
    else:
        sent = date_line = req.headers.get("date", "")
        when = parse_http_date(sent)
    check_request_time(when, sent, now)
    _check(user, strings_to_sign(req, date_line), signature)
    return user


def verify_query(req: S3Request, keys: Mapping[str, Credential], now: datetime) -> Credential:
    """``?AWSAccessKeyId=...&Expires=<epoch>&Signature=...``."""
    q = req.query
    user = keys.get(q["AWSAccessKeyId"])
    if user is None:
        raise S3Error(Code.InvalidAccessKeyId, AWSAccessKeyId=q["AWSAccessKeyId"])
    if "Expires" not in q:
        raise S3Error(Code.AccessDenied, "Query-string authentication requires the Signature, Expires and "
                      "AWSAccessKeyId parameters")
    sent = q["Expires"]
    if not (sent.isascii() and sent.isdigit()) or int(sent) >= _MAX_EXPIRES:
        raise S3Error(Code.AccessDenied, f"Invalid date (should be seconds since epoch): {sent}")
    if now.timestamp() > int(sent):
        raise S3Error(Code.AccessDenied, "Request has expired",
                      Expires=_iso(datetime.fromtimestamp(int(sent), UTC)), ServerTime=_iso(now))
    _check(user, strings_to_sign(req, sent), q["Signature"])
    return user
