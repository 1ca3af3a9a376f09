"""Browser POST uploads: the policy document, its signature, and its conditions.

The form carries a base64 JSON policy (``expiration`` + ``conditions``) signed with SigV4 (the
string to sign is the base64 policy itself) or SigV2. A form with none of the signing fields is
anonymous (the bucket's policy and ACL decide, and no policy binds it); one with some of them must
have them all. ``${filename}`` is expanded in the fields before the conditions are checked. Every
form field must be covered by a condition, except ``policy``, the signature fields, ``file`` and
``x-ignore-*``; the ``content-length-range`` condition is checked against the file as it streams.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.auth.sigv4 import MAX_SKEW
from gateway.credentials import Credential
from gateway.wire.errors import Code, S3Error
from gateway.wire.sigv4 import parse_amz_date, signing_key

EXEMPT = ("policy", "x-amz-signature", "signature", "awsaccesskeyid", "file")
# The fields that sign a form (and then the policy), as S3 names the first one missing (LocalStack's
# recordings of S3).
SIGV4_FIELDS = {"x-amz-algorithm": "X-Amz-Algorithm", "x-amz-credential": "X-Amz-Credential",
                "x-amz-date": "X-Amz-Date", "x-amz-signature": "X-Amz-Signature"}
SIGV2_FIELDS = {"awsaccesskeyid": "AWSAccessKeyId", "signature": "Signature"}
_UNEXPANDED = {*SIGV4_FIELDS, *SIGV2_FIELDS, "policy", "x-amz-security-token"}  # they sign: no ${filename}
# "ISO8601 GMT", as AWS documents it (2007-12-01T12:00:00.000Z), with or without the fraction.
_EXPIRATION = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?Z")


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


def missing_field(name: str) -> S3Error:
    return S3Error(Code.InvalidArgument, f"Bucket POST must contain a field named '{name}'.  If it is "
                   "specified, please check the order of the fields.", ArgumentName=name, ArgumentValue="")


def _condition(item: object) -> Condition:
    if isinstance(item, dict):
        if len(item) != 1:
            raise _invalid("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
        (name, value), = item.items()
        if not isinstance(value, str):
            raise _invalid("Invalid Simple-Condition: value must be a string.")
        name = str(name).lstrip("$")  # S3 reports a simple condition as the "eq" it stands for
        return Condition("eq", name.lower(), value, raw=json.dumps(["eq", f"${name}", value]))
    raw = json.dumps(item)
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
    if not isinstance(doc, dict):
        raise _invalid("Invalid JSON.")
    if "expiration" not in doc:
        raise _invalid("Policy missing expiration.")
    if "conditions" not in doc:
        raise _invalid("Policy missing conditions.")
    if not isinstance(doc["conditions"], list):
        raise _invalid("Invalid 'conditions' value: must be a List.")
    return Policy(_expiration(doc["expiration"]), tuple(_condition(c) for c in doc["conditions"]))


def _expiration(value: object) -> datetime:
    """S3 refuses an offset (+02:00), a space for the ``T`` and a missing ``Z`` (reported answers)."""
    match = _EXPIRATION.fullmatch(value) if isinstance(value, str) else None
    try:
        if match is None:
            raise ValueError(value)
        *parts, fraction = match.groups()
        year, month, day, hour, minute, second = map(int, parts)
        micro = int((fraction or "").ljust(6, "0")[:6])
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError:
        shown = value if isinstance(value, str) else json.dumps(value)
        raise _invalid(f"Invalid 'expiration' value: '{shown}'") from None


def expand_filename(fields: dict[str, str], filename: str | None) -> dict[str, str]:
    """The fields with ``${filename}`` expanded, as S3 does before it checks the policy ("recognized by all
    form fields"; "All variables within the form are expanded before the policy is validated"): the name
    after the last ``/`` or ``\\`` of the client's file name, so that a path in it cannot reach beyond a
    ``starts-with`` prefix. A file part with no filename leaves the variable as written (as S3 was
    recorded doing); the signing fields are never expanded."""
    if filename is None:
        return fields
    name = re.split(r"[/\\]", filename)[-1]
    return {field: value if field in _UNEXPANDED else value.replace("${filename}", name)
            for field, value in fields.items()}


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
    """SigV4 (any ``x-amz-algorithm/credential/date/signature`` field) or SigV2 (``AWSAccessKeyId`` or
    ``signature``) over the base64 policy, with every field of its scheme present (else 400 naming the
    first missing, as S3 does); ``None`` for a form with none of them (the anonymous caller)."""
    if any(name in fields for name in SIGV4_FIELDS):
        _require(fields, SIGV4_FIELDS)
        user, key = _sigv4_key(fields, keys, now)
        expected = hmac.new(key, fields["policy"].encode(), hashlib.sha256).hexdigest()
        provided = fields["x-amz-signature"].lower()
    elif any(name in fields for name in SIGV2_FIELDS):
        _require(fields, SIGV2_FIELDS)
        user = _user(keys, fields["awsaccesskeyid"])
        expected = base64.b64encode(hmac.new(user.secret_key.encode(), fields["policy"].encode(), hashlib.sha1)
                                    .digest()).decode()
        provided = fields["signature"]
    else:
        return None
    if not hmac.compare_digest(expected, provided):
        raise S3Error(Code.SignatureDoesNotMatch, AWSAccessKeyId=user.access_key, StringToSign=fields["policy"],
                      SignatureProvided=provided)
    return user


def _require(fields: dict[str, str], names: dict[str, str]) -> None:
    for name, spelled in (*names.items(), ("policy", "Policy")):
        if name not in fields:
            raise missing_field(spelled)


def _user(keys: Mapping[str, Credential], access_key: str) -> Credential:
    user = keys.get(access_key)
    if user is None:
        raise S3Error(Code.InvalidAccessKeyId, AWSAccessKeyId=access_key)
    return user


def _sigv4_key(fields: dict[str, str], keys: Mapping[str, Credential], now: datetime) -> tuple[Credential, bytes]:
    if fields["x-amz-algorithm"] != "AWS4-HMAC-SHA256":
        raise S3Error(Code.InvalidArgument, "The x-amz-algorithm field must be AWS4-HMAC-SHA256.",
                      ArgumentName="x-amz-algorithm")
    parts = fields["x-amz-credential"].split("/")
    if len(parts) != 5 or parts[3] != "s3" or parts[4] != "aws4_request":
        raise S3Error(Code.InvalidArgument, "The x-amz-credential field is malformed.",
                      ArgumentName="x-amz-credential")
    when = parse_amz_date(fields["x-amz-date"])
    if when is None or when - now > MAX_SKEW:
        raise S3Error(Code.InvalidArgument, "The x-amz-date field is invalid.", ArgumentName="x-amz-date")
    user = _user(keys, parts[0])
    return user, signing_key(user.secret_key, parts[1], parts[2], "s3")
