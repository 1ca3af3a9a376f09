"""Who is asking: pick the signature scheme a request uses and verify it.

``authenticate`` runs before the body is read, so a request that fails here is answered
without waiting for (or accepting) its upload. A request without credentials is not refused
here: it is the :data:`ANONYMOUS` principal, and the pipeline's authorize step decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from gateway.access.identity import Identity
from gateway.auth import sigv2, sigv4
from gateway.auth.sigv4 import ChunkSigner
from gateway.credentials import Credential
from gateway.request import S3Request
from gateway.wire.errors import Code, S3Error


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller (an account's root or IAM user, or nobody: ``anonymous``) and how its payload was signed."""

    identity: Identity | None
    payload_hash: str = sigv4.UNSIGNED  # a hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING-* mode
    signer: ChunkSigner | None = None
    presigned: bool = False
    anonymous: bool = False
    access_key: str | None = None  # the key it signed with (the access log names it)


ANONYMOUS = Principal(None, anonymous=True)


def authenticate(req: S3Request, keys: Mapping[str, Credential], now: datetime) -> Principal:
    header = req.headers.get("authorization")
    q = req.query
    v4_query = "X-Amz-Algorithm" in q or "X-Amz-Signature" in q or "X-Amz-Credential" in q
    v2_query = "Signature" in q and "AWSAccessKeyId" in q
    if header is not None and (v4_query or v2_query):
        raise S3Error(Code.InvalidArgument, "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                      "parameter, Signature query string parameter or the Authorization header should be "
                      "specified", ArgumentName="Authorization", ArgumentValue=header)
    if header is not None:
        if header.startswith(sigv4.ALGORITHM + " "):
            result = sigv4.verify_header(req, keys, now)
            return Principal(result.credential.identity, result.payload_hash, result.signer,
                             access_key=result.credential.access_key)
        if header.startswith("AWS "):
            credential = sigv2.verify_header(req, keys, now)
            return Principal(credential.identity, access_key=credential.access_key)
        raise S3Error(Code.InvalidArgument, "Unsupported Authorization Type", ArgumentName="Authorization",
                      ArgumentValue=header)
    if v4_query:
        result = sigv4.verify_presigned(req, keys, now)
        return Principal(result.credential.identity, result.payload_hash, None, presigned=True,
                         access_key=result.credential.access_key)
    if v2_query:
        credential = sigv2.verify_query(req, keys, now)
        return Principal(credential.identity, presigned=True, access_key=credential.access_key)
    return ANONYMOUS


# -- what a caller asks for: IAM action names and S3 ARNs ---------------------------------------
# IAM actions that have a separate name when the request names a version (``versionId``). Rows
# declare the base action; the authorize step asks for the variant (AWS's GetObject with a
# versionId needs s3:GetObjectVersion, not s3:GetObject).
VERSION_VARIANTS: dict[str, str] = {
    "s3:GetObject": "s3:GetObjectVersion",
    "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
    "s3:PutObjectAcl": "s3:PutObjectVersionAcl",
    "s3:GetObjectAttributes": "s3:GetObjectVersionAttributes",
    "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
    "s3:DeleteObject": "s3:DeleteObjectVersion",
}


def version_action(action: str, version_id: str | None) -> str:
    """``action``, or its version variant when the request names a version."""
    return VERSION_VARIANTS.get(action, action) if version_id is not None else action


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"
