"""SigV4 for the IAM, STS and SNS actions: which service a request was signed for, and its verification.

Unlike S3's, these requests sign their body's SHA-256 (no ``x-amz-content-sha256`` header is
needed) and are always for ``/``. Errors are IAM's: an unknown or Inactive key is
InvalidClientTokenId, a wrong signature SignatureDoesNotMatch.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gateway.auth.sigv4 import MAX_SKEW, authorization_fields
from gateway.credentials import Credential
from gateway.iam.errors import IamError
from gateway.wire.sigv4 import (
    ALGORITHM,
    UNSIGNED,
    canonical_query,
    canonical_uri,
    header_block,
    hmac_hex,
    parse_amz_date,
    signing_key,
    string_to_sign,
)

SERVICES = ("iam", "sts", "sns")  # sns: the topic actions (gateway.sns)
FORM = "application/x-www-form-urlencoded"
_SCOPE = re.compile(r"Credential=[^/,\s]*/\d{8}/[^/,\s]*/([a-z0-9-]+)/aws4_request")
_QUERY_SCOPE = re.compile(r"(?:^|&)X-Amz-Credential=[^&]*?(?:/|%2F)([a-z0-9-]+)(?:/|%2F)aws4_request", re.IGNORECASE)
_BAD_SIGNATURE = ("The request signature we calculated does not match the signature you provided. Check your AWS "
                  "Secret Access Key and signing method. Consult the service documentation for details.")


def scope_service(authorization: str | None, query_string: str) -> str | None:
    """The service of a SigV4 credential scope (header or presigned query), or None."""
    if authorization is not None:
        match = _SCOPE.search(authorization)
        return match.group(1) if match else None
    if "X-Amz-Credential" in query_string:
        match = _QUERY_SCOPE.search(query_string)
        return match.group(1).lower() if match else None
    return None


def is_iam_request(scope: dict[str, Any]) -> bool:
    """For ``/`` only: signed for iam/sts/sns, or an unsigned Query API call (``Action=`` or a form POST)."""
    authorization = None
    content_type = b""
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value.decode("latin-1")
        elif name == b"content-type":
            content_type = value
    query = scope.get("query_string", b"").decode("latin-1")
    service = scope_service(authorization, query)
    if service is not None:
        return service in SERVICES
    if authorization is not None or "AWSAccessKeyId=" in query:
        return False  # SigV2: S3's
    return query.startswith("Action=") or "&Action=" in query or \
        (scope["method"] == "POST" and content_type.startswith(FORM.encode()))


def verify(method: str, raw_path: str, query_string: str, query: Mapping[str, str], headers: Mapping[str, str],
           body: bytes, keys: Mapping[str, Credential], now: datetime) -> Credential | None:
    """The signer's credential, None for an unsigned request, or the IamError AWS would answer."""
    header = headers.get("authorization")
    if header is not None:
        if not header.startswith(ALGORITHM + " "):
            raise IamError("IncompleteSignature", "Only AWS4-HMAC-SHA256 signatures are accepted here.")
        fields = authorization_fields(header)
        if any(f not in fields for f in ("Credential", "SignedHeaders", "Signature")):
            raise IamError("IncompleteSignature", "Authorization header requires 'Credential', 'Signature' and "
                           "'SignedHeaders' parameters.")
        credential, signed, provided, exclude = fields["Credential"], fields["SignedHeaders"], fields["Signature"], None
        amz_date = headers.get("x-amz-date", "")
        hashes = [headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()]
    elif "X-Amz-Signature" in query:
        credential, signed = query.get("X-Amz-Credential", ""), query.get("X-Amz-SignedHeaders", "")
        provided, exclude, amz_date = query["X-Amz-Signature"], "X-Amz-Signature", query.get("X-Amz-Date", "")
        hashes = [hashlib.sha256(body).hexdigest(), UNSIGNED]
    else:
        return None
    parts = credential.split("/")
    if len(parts) != 5 or parts[3] not in SERVICES or parts[4] != "aws4_request":
        raise IamError("IncompleteSignature", f"Credential should be scoped to a valid region and service: "
                       f"{credential}")
    access_key, day, region, service, _ = parts
    found = keys.get(access_key)
    if found is None:
        raise IamError("InvalidClientTokenId", "The security token included in the request is invalid.")
    when = parse_amz_date(amz_date)
    if when is None:
        raise IamError("IncompleteSignature", "Authorization requires a valid X-Amz-Date.")
    if abs(now - when) > MAX_SKEW:
        raise IamError("SignatureDoesNotMatch", f"Signature expired: {amz_date} is now earlier or later than "
                       f"the server's time {now.strftime('%Y%m%dT%H%M%SZ')} by more than 15 minutes.")
    names = signed.lower().split(";")
    key = signing_key(found.secret_key, day, region, service)
    block = header_block((n, headers.get(n, "")) for n in names)
    canonical = canonical_query(query_string, exclude)
    scope = f"{day}/{region}/{service}/aws4_request"
    for payload_hash in hashes:
        _, sts = string_to_sign(method, canonical_uri(raw_path), canonical, block, ";".join(names), payload_hash,
                                amz_date, scope)
        if hmac.compare_digest(hmac_hex(key, sts), provided.lower()):
            return found
    raise IamError("SignatureDoesNotMatch", _BAD_SIGNATURE)
