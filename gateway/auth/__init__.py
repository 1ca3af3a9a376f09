"""Who is asking: pick the signature scheme a request uses and verify it.

``authenticate`` runs before the body is read, so a request that fails here is answered
without waiting for (or accepting) its upload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.auth import sigv2, sigv4
from gateway.auth.sigv4 import ChunkSigner
from gateway.request import S3Request
from gateway.settings import User
from gateway.wire.errors import Code, S3Error


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller and how its payload was signed."""

    user: User
    payload_hash: str = sigv4.UNSIGNED  # a hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING-* mode
    signer: ChunkSigner | None = None
    presigned: bool = False


def authenticate(req: S3Request, users: dict[str, User], now: datetime) -> Principal:
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
            result = sigv4.verify_header(req, users, now)
            return Principal(result.user, result.payload_hash, result.signer)
        if header.startswith("AWS "):
            return Principal(sigv2.verify_header(req, users, now))
        raise S3Error(Code.InvalidArgument, "Unsupported Authorization Type", ArgumentName="Authorization",
                      ArgumentValue=header)
    if v4_query:
        result = sigv4.verify_presigned(req, users, now)
        return Principal(result.user, result.payload_hash, None, presigned=True)
    if v2_query:
        return Principal(sigv2.verify_query(req, users, now), presigned=True)
    raise S3Error(Code.AccessDenied)
