"""Server-side encryption: the types storage and gateway share, and the headers both ways (what the
server answers, what the upstream client sends and reads).

``Encryption`` (how a version is encrypted) and ``CustomerKey`` (an SSE-C key) live here, in the wire
layer, so that the header codec below can build them; ``storage_backends.base`` re-exports them.
Which headers each operation answers is botocore's model: the context only on PUT, POST, copy and
CreateMultipartUpload; the SSE-C algorithm and key MD5 everywhere but CompleteMultipartUpload.
An SSE-C version answers no ``x-amz-server-side-encryption`` (S3's recordings: only the customer
algorithm and key MD5); bucket-key-enabled is sent only when true (S3 leaves it out when false).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Encryption:
    """How a version's bytes are encrypted at rest, as S3 reports it in PUT/GET/HEAD/copy responses.

    The gateway resolves it (the request's SSE headers, else the bucket's default encryption) before
    a write; a backend stores it with the version (the local backend seals the bytes; an upstream
    forwards it as headers and lets the upstream encrypt) and reports it back in ``ObjectInfo``.
    """

    algorithm: str  # "AES256" (SSE-S3, and SSE-C's customer-algorithm), "aws:kms" or "aws:kms:dsse"
    customer: bool = False  # SSE-C: the customer's key, given with every request, encrypts the data key
    kms_key_id: str | None = None  # aws:kms / aws:kms:dsse: the key's ARN as S3 reports it
    context: str | None = None  # aws:kms*: x-amz-server-side-encryption-context (base64 of a JSON object)
    bucket_key: bool = False  # x-amz-server-side-encryption-bucket-key-enabled
    customer_key_md5: str | None = None  # SSE-C: base64 MD5 of the customer's key, as S3 echoes it


@dataclass(frozen=True, slots=True)
class CustomerKey:
    """An SSE-C key carried by one request (its MD5 already checked): used, verified, never stored."""

    key: bytes = field(repr=False)  # 32 bytes
    md5: str  # base64 MD5 of ``key``


# Header names as the gateway sees them (lower case; S3 spells the last one ...-customer-key-MD5).
SSE = "x-amz-server-side-encryption"
KMS_KEY_ID = SSE + "-aws-kms-key-id"
CONTEXT = SSE + "-context"
BUCKET_KEY = SSE + "-bucket-key-enabled"
CUSTOMER_ALGORITHM = SSE + "-customer-algorithm"
CUSTOMER_KEY = SSE + "-customer-key"
CUSTOMER_KEY_MD5 = SSE + "-customer-key-md5"
CUSTOMER_HEADERS = (CUSTOMER_ALGORITHM, CUSTOMER_KEY, CUSTOMER_KEY_MD5)


def customer_header(name: str, *, copy_source: bool = False) -> str:
    """An SSE-C header's name, or its copy source's (``x-amz-copy-source-server-side-encryption-customer-*``)."""
    return "x-amz-copy-source-" + name.removeprefix("x-amz-") if copy_source else name


KMS_HEADERS = (KMS_KEY_ID, CONTEXT, BUCKET_KEY)


def render_encryption(enc: Encryption | None, *, context: bool = False, customer: bool = True) -> dict[str, str]:
    """The response headers of a version (or upload) encrypted as ``enc``; ``context``: this operation
    answers the encryption context; ``customer``: it answers SSE-C's algorithm and key MD5."""
    if enc is None:
        return {}
    if enc.customer:
        if not customer:
            return {}
        headers = {CUSTOMER_ALGORITHM: enc.algorithm}
        if enc.customer_key_md5:
            headers[CUSTOMER_KEY_MD5] = enc.customer_key_md5
        return headers
    headers = {SSE: enc.algorithm}
    if enc.kms_key_id is not None:
        headers[KMS_KEY_ID] = enc.kms_key_id
    if context and enc.context:
        headers[CONTEXT] = enc.context
    if enc.bucket_key:
        headers[BUCKET_KEY] = "true"
    return headers


def parse_encryption(headers: Mapping[str, str]) -> Encryption | None:
    """An answer's encryption (lower-case header names), read leniently; None: not encrypted (or not said)."""
    customer = headers.get(CUSTOMER_ALGORITHM)
    if customer:
        return Encryption(customer, customer=True, customer_key_md5=headers.get(CUSTOMER_KEY_MD5))
    algorithm = headers.get(SSE)
    if not algorithm:
        return None
    return Encryption(algorithm, kms_key_id=headers.get(KMS_KEY_ID), context=headers.get(CONTEXT),
                      bucket_key=headers.get(BUCKET_KEY, "").strip().lower() == "true")


def request_headers(enc: Encryption) -> dict[str, str]:
    """What a write asks of an upstream for ``enc`` (not SSE-C: its key goes as :func:`customer_key_headers`)."""
    if enc.customer:
        return {}
    headers = {SSE: enc.algorithm}
    if enc.kms_key_id is not None:
        headers[KMS_KEY_ID] = enc.kms_key_id
    if enc.context:
        headers[CONTEXT] = enc.context
    if enc.bucket_key:
        headers[BUCKET_KEY] = "true"
    return headers


def customer_key_headers(key: CustomerKey | None, *, copy_source: bool = False) -> dict[str, str]:
    """The SSE-C trio for ``key`` (``copy_source``: the ``x-amz-copy-source-`` form, for a copy's source)."""
    if key is None:
        return {}
    names = [customer_header(name, copy_source=copy_source) for name in CUSTOMER_HEADERS]
    return dict(zip(names, ("AES256", base64.b64encode(key.key).decode(), key.md5), strict=True))
