"""Typed parsers for a request's server-side encryption headers (or POST form fields), with S3's errors.

The codes and messages are S3's as recorded by those who sent the requests (LocalStack's
AWS-validated snapshots, SDK issue threads; the error table of ``gateway.wire.sse`` is the
storage side's). The order is S3's too: SSE-C beside ``x-amz-server-side-encryption`` is refused
before the algorithm is looked at, and a key's MD5 is checked before its length.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.wire.errors import Code, S3Error
from gateway.wire.sse_headers import (
    BUCKET_KEY,
    CONTEXT,
    CUSTOMER_ALGORITHM,
    CUSTOMER_HEADERS,
    CUSTOMER_KEY,
    CUSTOMER_KEY_MD5,
    KMS_KEY_ID,
    SSE,
    CustomerKey,
    Encryption,
    customer_header,
)

WRITABLE = frozenset({"AES256", "aws:kms", "aws:kms:dsse"})  # aws:fsx and aws:backup name other services' storage
KMS = frozenset({"aws:kms", "aws:kms:dsse"})
_SSE_C = "Requests specifying Server Side Encryption with Customer provided keys must provide "


@dataclass(frozen=True, slots=True)
class Requested:
    """What a write's headers ask: ``encryption`` None if they name none; ``bucket_key`` None if not said
    (an SSE-KMS write then takes the bucket's BucketKeyEnabled, as S3 does)."""

    encryption: Encryption | None = None
    customer_key: CustomerKey | None = None
    bucket_key: bool | None = None


def specifies_customer_key(fields: Mapping[str, str], *, copy_source: bool = False) -> bool:
    return any(customer_header(name, copy_source=copy_source) in fields for name in CUSTOMER_HEADERS)


def _invalid(message: str, value: str | None = None) -> S3Error:
    return S3Error(Code.InvalidArgument, message, ArgumentName=SSE, ArgumentValue=value or "null")


def customer_key(fields: Mapping[str, str], *, copy_source: bool = False) -> CustomerKey | None:
    """The SSE-C key a request carries (``copy_source``: its ``x-amz-copy-source-`` trio), checked; None if none."""
    algorithm, key_b64, md5 = (fields.get(customer_header(name, copy_source=copy_source))
                               for name in (CUSTOMER_ALGORITHM, CUSTOMER_KEY, CUSTOMER_KEY_MD5))
    if algorithm is None and key_b64 is None and md5 is None:
        return None
    if not algorithm and (key_b64 or md5):
        raise _invalid(_SSE_C + "a valid encryption algorithm.")
    if algorithm and algorithm != "AES256":
        raise S3Error(Code.InvalidEncryptionAlgorithmError,
                      "The Encryption request you specified is not valid. Supported value: AES256.",
                      ArgumentName=SSE, ArgumentValue=algorithm)
    if not key_b64:
        raise S3Error(Code.InvalidArgument, _SSE_C + "an appropriate secret key.")
    try:
        key = base64.b64decode(key_b64, validate=True)
    except (binascii.Error, ValueError):
        raise S3Error(Code.InvalidArgument, "The secret key was invalid for the specified algorithm.") from None
    if not md5:
        raise S3Error(Code.InvalidArgument, _SSE_C + "the client calculated MD5 of the secret key.")
    if base64.b64encode(hashlib.md5(key).digest()).decode() != md5.strip():
        raise _invalid("The calculated MD5 hash of the key did not match the hash that was provided.")
    if len(key) != 32:
        raise S3Error(Code.InvalidArgument, "The secret key was invalid for the specified algorithm.")
    return CustomerKey(key, md5.strip())


def _context(value: str) -> str:
    """``x-amz-server-side-encryption-context``: base64 of a UTF-8 JSON object of strings, kept as sent."""
    try:
        decoded = json.loads(base64.b64decode(value, validate=True).decode("utf-8"))
    except (binascii.Error, ValueError):
        decoded = None
    if not isinstance(decoded, dict) or not all(isinstance(v, str) for v in decoded.values()):
        raise S3Error(Code.InvalidArgument, f"The header '{CONTEXT}' shall be Base64-encoded UTF-8 string holding "
                      "JSON which represents a string-string map", ArgumentName=CONTEXT)
    return value


def _kms_needed() -> S3Error:
    return S3Error(Code.InvalidArgument, "Server Side Encryption with AWS KMS managed key requires HTTP header "
                   f"{SSE} : aws:kms", ArgumentName=KMS_KEY_ID)


def write_encryption(fields: Mapping[str, str]) -> Requested:
    """PutObject, PostObject, CopyObject (the target), CreateMultipartUpload: the encryption asked for."""
    sse = fields.get(SSE)
    if sse is not None and specifies_customer_key(fields):
        raise _invalid("Server Side Encryption with Customer provided key is incompatible with the encryption "
                       "method specified", sse)
    kms_key_id = fields.get(KMS_KEY_ID)
    context = fields.get(CONTEXT)
    raw_bucket_key = fields.get(BUCKET_KEY)
    bucket_key = None if raw_bucket_key is None else raw_bucket_key.strip().lower() == "true"
    if sse not in KMS and (kms_key_id is not None or context is not None):
        raise _kms_needed()
    key = customer_key(fields)
    if key is not None:
        return Requested(Encryption("AES256", customer=True, customer_key_md5=key.md5), key)
    if sse is None:
        return Requested(bucket_key=bucket_key)
    if sse not in WRITABLE:
        raise _invalid("The encryption method specified is not supported", sse)
    if sse not in KMS:
        return Requested(Encryption(sse))
    return Requested(Encryption(sse, kms_key_id=kms_key_id.strip() or None if kms_key_id else None,
                                context=_context(context) if context is not None else None), bucket_key=bucket_key)


def refuse_on_read(fields: Mapping[str, str]) -> None:
    """GET and HEAD take no x-amz-server-side-encryption (S3: 400; the method cannot change on a read)."""
    value = fields.get(SSE)
    if value is not None:
        raise S3Error(Code.InvalidArgument, f"{SSE} header is not supported for this operation.",
                      ArgumentName=SSE, ArgumentValue=value)
