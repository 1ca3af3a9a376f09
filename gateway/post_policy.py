"""Browser POST uploads: the policy document, its signature, and its conditions.

The form carries a base64 JSON policy (``expiration`` + ``conditions``) signed with SigV4 (the
string to sign is the base64 policy itself) or SigV2. Every form field must be covered by a
condition, except ``policy``, the signature fields, ``file`` and ``x-ignore-*``; the
``content-length-range`` condition is checked against the file as it streams.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.auth.sigv4 import MAX_SKEW
from gateway.credentials import Credential
from gateway.wire.errors import Code, S3Error
from gateway.wire.sigv4 import parse_amz_date, signing_key

EXEMPT = ("policy", "x-amz-signature", "signature", "awsaccesskeyid", "file")


@dataclass(frozen=True, slots=True)
class Condition:
    op: str  # "eq", "starts-with", "content-length-range"
    field: str  # lower-case form field name ("bucket" for the bucket)
    value: str = ""
    low: int = 0
    high: int = 0
    raw: str = ""  # as written in the policy, for error messages


@dataclass(frozen=True, slots=True)
class Policy:
    expiration: datetime
    conditions: tuple[Condition, ...]

    @property
    def length_range(self) -> tuple[int, int] | None:
        for c in self.conditions:
            if c.op == "content-length-range":
                return c.low, c.high
        return None


def _invalid(detail: str) -> S3Error:
    return S3Error(Code.InvalidPolicyDocument, f"Invalid Policy: {detail}")


def _condition(item: object) -> Condition:
    raw = json.dumps(item)
    if isinstance(item, dict) and len(item) == 1:
        (name, value), = item.items()
        return Condition("eq", str(name).lower().lstrip("$"), str(value), raw=raw)
    if isinstance(item, list) and len(item) == 3:
        op = str(item[0]).lower()
        if op == "content-length-range":
            try:
                low, high = int(item[1]), int(item[2])
            except (TypeError, ValueError):
                raise _invalid(f"Invalid content-length-range: {raw}") from None
            return Condition(op, "", low=low, high=high, raw=raw)
        if op in ("eq", "starts-with") and isinstance(item[1], str) and item[1].startswith("$"):
            return Condition(op, item[1][1:].lower(), str(item[2]), raw=raw)
    raise _invalid(f"Invalid Condition: {raw}")


def parse_policy(encoded: str) -> Policy:
    try:
        doc = json.loads(base64.b64decode(encoded, validate=False))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid("Invalid JSON.") from None
    if not isinstance(doc, dict) or "expiration" not in doc or not isinstance(doc.get("conditions"), list):
        raise _invalid("Policy must contain an expiration and a conditions list.")
    try:
        expiration = datetime.fromisoformat(str(doc["expiration"]).replace("Z", "+00:00"))
    except ValueError:
        raise _invalid("Invalid 'expiration' value.") from None
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=UTC)
    return Policy(expiration, tuple(_condition(c) for c in doc["conditions"]))


def _denied(detail: str) -> S3Error:
    return S3Error(Code.AccessDenied, f"Invalid according to Policy: {detail}")


def check(policy: Policy, fields: dict[str, str], bucket: str, now: datetime) -> None:
    """Expiration, every condition, and no form field left uncovered."""
    if now > policy.expiration:
        raise _denied("Policy expired.")
    covered = {"bucket"}
    for c in policy.conditions:
        if c.op == "content-length-range":
            continue
        covered.add(c.field)
        actual = bucket if c.field == "bucket" else fields.get(c.field)
        ok = actual is not None and (actual == c.value if c.op == "eq" else _starts_with(c, actual))
        if not ok:
            raise _denied(f"Policy Condition failed: {c.raw}")
    extra = [name for name in fields if name not in covered and name not in EXEMPT
             and not name.startswith("x-ignore-")]
    if extra:
        raise _denied(f"Extra input fields: {', '.join(sorted(extra))}")


def _starts_with(c: Condition, actual: str) -> bool:
    if c.field == "content-type":  # a comma-separated list: each value must match
        return all(v.strip().startswith(c.value) for v in actual.split(","))
    return actual.startswith(c.value)


def verify_signature(fields: dict[str, str], keys: Mapping[str, Credential], now: datetime) -> Credential | None:
    """SigV4 (``x-amz-signature``) or SigV2 (``signature``) over the base64 policy; ``None`` for an
    unsigned form (the anonymous caller, whom the pipeline's authorize step refuses for now)."""
    policy = fields.get("policy", "")
    if "x-amz-signature" in fields:
        if fields.get("x-amz-algorithm") != "AWS4-HMAC-SHA256":
            raise S3Error(Code.InvalidArgument, "The x-amz-algorithm field must be AWS4-HMAC-SHA256.",
                          ArgumentName="x-amz-algorithm")
        parts = fields.get("x-amz-credential", "").split("/")
        if len(parts) != 5 or parts[3] != "s3" or parts[4] != "aws4_request":
            raise S3Error(Code.InvalidArgument, "The x-amz-credential field is malformed.",
                          ArgumentName="x-amz-credential")
        when = parse_amz_date(fields.get("x-amz-date", ""))
        if when is None or when - now > MAX_SKEW:
            raise S3Error(Code.InvalidArgument, "The x-amz-date field is invalid.", ArgumentName="x-amz-date")
        user = keys.get(parts[0])
        if user is None:
            raise S3Error(Code.InvalidAccessKeyId, AWSAccessKeyId=parts[0])
        key = signing_key(user.secret_key, parts[1], parts[2], "s3")
        expected = hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()
        provided = fields["x-amz-signature"].lower()
    elif "signature" in fields and "awsaccesskeyid" in fields:
        user = keys.get(fields["awsaccesskeyid"])
        if user is None:
            raise S3Error(Code.InvalidAccessKeyId, AWSAccessKeyId=fields["awsaccesskeyid"])
        expected = base64.b64encode(hmac.new(user.secret_key.encode(), policy.encode(), hashlib.sha1).digest()
                                    ).decode()
        provided = fields["signature"]
    else:
        return None
    if not policy:
        raise S3Error(Code.InvalidArgument, "Bucket POST must contain a field named 'policy'.",
                      ArgumentName="policy")
    if not hmac.compare_digest(expected, provided):
        raise S3Error(Code.SignatureDoesNotMatch, AWSAccessKeyId=user.access_key, StringToSign=policy,
                      SignatureProvided=provided)
    return user
