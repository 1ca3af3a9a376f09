"""``x-amz-expected-bucket-owner``: refuse a request when the bucket belongs to another account.

Owners are stored as canonical ids; the header names a 12-digit account id. ``AccountOf`` maps
one to the other: :func:`default_account_id` derives a stable id from the canonical id until the
identity directory knows each user's real account (it then passes its own resolver).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from gateway.wire.errors import Code, S3Error

EXPECTED_OWNER = "x-amz-expected-bucket-owner"
EXPECTED_SOURCE_OWNER = "x-amz-source-expected-bucket-owner"
AccountOf = Callable[[str], "str | None"]  # canonical id -> 12-digit account id


def default_account_id(canonical_id: str) -> str:
    """A 12-digit account id derived from a canonical id (stable, the same in every process)."""
    digest = int.from_bytes(hashlib.sha256(b"s3gate-account:" + canonical_id.encode()).digest()[:8], "big")
    return f"{digest % 10**12:012d}"


def check_expected_owner(expected: str | None, owner_canonical_id: str, account_of: AccountOf) -> None:
    """403 AccessDenied when ``expected`` is given and is not the owner's account, as S3 answers."""
    if expected is None:
        return
    if account_of(owner_canonical_id) != expected.strip():
        raise S3Error(Code.AccessDenied)
