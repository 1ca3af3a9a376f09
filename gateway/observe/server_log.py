"""S3 server access logs' text: one record per line in AWS's documented field order, and log object keys.

Fields (``-`` where unknown or not applicable): bucket owner, bucket, [time], remote IP, requester,
request ID, operation (REST.GET.OBJECT), key, "Request-URI", status, error code, bytes sent, object
size, total time, turn-around time, "referer", "user agent", version ID, host ID, signature version,
cipher suite, authentication type, host header, TLS version, access point ARN, aclRequired, source
region. Signatures, credentials and session tokens in the Request-URI are redacted.
"""

from __future__ import annotations

import secrets
import time
from urllib.parse import quote, unquote

from gateway import operations, responses
from gateway.observe.record import RequestRecord
from gateway.website.door import ROWS as website_rows

REDACTED_PARAMS = frozenset({"x-amz-signature", "x-amz-credential", "x-amz-security-token", "signature"})
_LOG_NAMES = {op.name: op.log_name for op in (*operations.OPERATIONS, *operations.ADMIN, *website_rows.values())}
_OBJECT_SIZE_FROM_BODY = frozenset({"PutObject", "UploadPart", "PostObject"})


def redacted_query(query_string: str) -> str:
    """The query with secret-bearing values replaced (a presigned URL's signature must not reach a log)."""
    if not query_string:
        return ""
    parts = []
    for part in query_string.split("&"):
        name, eq, _ = part.partition("=")
        parts.append(f"{name}=REDACTED" if eq and unquote(name).lower() in REDACTED_PARAMS else part)
    return "&".join(parts)


def _dash(value: object) -> str:
    return "-" if value is None or value == "" or value == 0 else str(value)


def _quoted(value: str | None) -> str:
    return '"' + (value or "-").replace('"', '\\"') + '"'


def _requester(record: RequestRecord) -> str:
    identity = record.principal.identity if record.principal is not None else None
    if identity is None:
        return "-"
    return identity.canonical_id if identity.is_root else identity.arn


def _signature(record: RequestRecord) -> tuple[str, str]:
    """(signature version, authentication type) as the log spells them."""
    auth = record.headers.get("authorization", "")
    if auth:
        return ("SigV4" if auth.startswith("AWS4-") else "SigV2"), "AuthHeader"
    query = record.query_string
    if "X-Amz-Signature=" in query:
        return "SigV4", "QueryString"
    if "Signature=" in query:
        return "SigV2", "QueryString"
    if record.operation == "PostObject" and record.principal is not None and record.principal.identity:
        return "SigV4", "HtmlForm"
    return "-", "-"


def _version_id(query_string: str) -> str | None:
    for part in query_string.split("&"):
        name, _, value = part.partition("=")
        if name == "versionId":
            return unquote(value)
    return None


def _acl_required(record: RequestRecord) -> str:
    headers = record.headers
    if "x-amz-acl" in headers or any(name.startswith("x-amz-grant-") for name in headers):
        return "Yes"
    return "Yes" if record.operation in ("GetBucketAcl", "PutBucketAcl", "GetObjectAcl", "PutObjectAcl") else "-"


def log_line(record: RequestRecord, owner_id: str) -> str:
    """One request's record; ``owner_id`` is the source bucket owner's canonical id."""
    signature, auth_type = _signature(record)
    query = redacted_query(record.query_string)
    uri = record.path + (f"?{query}" if query else "")
    op = record.operation
    size = record.bytes_in if op in _OBJECT_SIZE_FROM_BODY else (
        record.bytes_out if op == "GetObject" and record.status == 200 else None)
    fields = (
        owner_id, record.bucket or "-", time.strftime("[%d/%b/%Y:%H:%M:%S +0000]", time.gmtime(record.start)),
        record.remote or "-", _requester(record), record.request_id, _LOG_NAMES.get(op or "", "-"),
        quote(record.key, safe="/~") if record.key else "-", _quoted(f"{record.method} {uri} HTTP/1.1"),
        str(record.status), _dash(record.error_code), _dash(record.bytes_out), _dash(size),
        str(int(record.total_s * 1000)),
        "-" if record.first_byte_s is None else str(int(record.first_byte_s * 1000)),
        _quoted(record.headers.get("referer")), _quoted(record.headers.get("user-agent")),
        _dash(_version_id(record.query_string)), responses.host_id(record.request_id), signature,
        "-", auth_type, record.headers.get("host") or "-", "-", "-", _acl_required(record), "-",
    )
    return " ".join(fields)


def log_key(prefix: str, when: float, *, account: str, region: str, bucket: str, partitioned: bool,
            day_only: bool) -> str:
    """A log object's key: ``[prefix]YYYY-MM-DD-hh-mm-ss-UNIQUE`` (SimplePrefix), or with PartitionedPrefix
    ``[prefix]account/region/bucket/YYYY/MM/DD/YYYY-MM-DD-hh-mm-ss-UNIQUE`` (``day_only``: EventTime, whose
    objects hold one day's events and show 00-00-00)."""
    t = time.gmtime(when)
    stamp = time.strftime("%Y-%m-%d-00-00-00" if day_only else "%Y-%m-%d-%H-%M-%S", t)
    name = f"{stamp}-{secrets.token_hex(8).upper()}"
    if not partitioned:
        return prefix + name
    return f"{prefix}{account}/{region}/{bucket}/{time.strftime('%Y/%m/%d', t)}/{name}"
