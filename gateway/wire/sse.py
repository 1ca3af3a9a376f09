"""Server-side encryption on the wire: the errors S3 answers about SSE keys, and KMS key names.

Shared by the gateway (request headers) and the backends (which know how a version was stored),
so an SSE-C or KMS refusal reads the same whichever side finds it. The codes and messages are
AWS's (the "Using SSE-C" guide and wire captures of S3): a read of an SSE-C version without its key
is 400 InvalidRequest, with another key 403 AccessDenied; a key on a version that has none is 400
InvalidRequest; a multipart part must carry the upload's key; an unknown KMS key is
400 KMS.NotFoundException.
"""

from __future__ import annotations

import re

from gateway.wire.errors import Code, S3Error

DEFAULT_KMS_ALIAS = "alias/aws/s3"  # the AWS managed key S3 uses when aws:kms names none

_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(key/.+|alias/.+)\Z")


def customer_key_required() -> S3Error:
    """A read or copy source of an SSE-C version that carries no key."""
    return S3Error(Code.InvalidRequest, "The object was stored using a form of Server Side Encryption. "
                   "The correct parameters must be provided to retrieve the object.")


def customer_key_wrong() -> S3Error:
    """A read or copy source of an SSE-C version with another key than it was stored with."""
    return S3Error(Code.AccessDenied)


def customer_key_not_applicable() -> S3Error:
    """A customer key given for a version not stored with SSE-C."""
    return S3Error(Code.InvalidRequest, "The encryption parameters are not applicable to this object.")


def part_key_required() -> S3Error:
    """An UploadPart (or UploadPartCopy) of an SSE-C upload without the upload's key."""
    return S3Error(Code.InvalidRequest, "The multipart upload initiate requested encryption. "
                   "Subsequent part requests must include the appropriate encryption parameters.")


def part_key_mismatch() -> S3Error:
    """A part of an SSE-C upload with another key than the upload's, or a key on an upload without SSE-C."""
    return S3Error(Code.InvalidRequest, "The provided encryption parameters did not match the ones used originally.")


def kms_key_not_found(arn: str) -> S3Error:
    """A KMS key id (bare, alias or ARN) the keyring does not hold, as S3 relays KMS's NotFoundException."""
    what = f"Alias {arn} is not found." if ":alias/" in arn else f"Key '{arn}' does not exist"
    return S3Error("KMS.NotFoundException", what, status=400)


def kms_arn(key_id: str | None, region: str, account: str) -> str:
    """The full ARN S3 reports for a KMS key named by bare id, ``alias/NAME``, or ARN (None: ``aws/s3``).

    A bare id or alias is in the gateway's own region and account, as AWS resolves them in the
    bucket's; an ARN is kept as given (the keyring decides whether it knows it).
    """
    name = (key_id or "").strip() or DEFAULT_KMS_ALIAS
    if name.startswith("arn:"):
        return name
    if name.startswith("alias/"):
        return f"arn:aws:kms:{region}:{account}:{name}"
    return f"arn:aws:kms:{region}:{account}:key/{name}"


def parse_kms_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account, ``key/ID`` or ``alias/NAME``) of a KMS key ARN, None if it is not one."""
    found = _KEY_ARN.match(arn)
    return (found.group(1), found.group(2), found.group(3)) if found else None
