"""``x-amz-expected-bucket-owner``: refuse a request when the bucket belongs to another account.

Owners are stored as canonical ids (one per account); the header names a 12-digit account id.
``AccountOf`` maps one to the other: the credentials directory's ``account_id_of``.
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.wire.errors import Code, S3Error

EXPECTED_OWNER = "x-amz-expected-bucket-owner"
EXPECTED_SOURCE_OWNER = "x-amz-source-expected-bucket-owner"
AccountOf = Callable[[str], "str | None"]  # canonical id -> 12-digit account id


def check_expected_owner(expected: str | None, owner_canonical_id: str, account_of: AccountOf) -> None:
    """403 AccessDenied when ``expected`` is given and is not the owner's account, as S3 answers."""
    if expected is None:
        return
    if account_of(owner_canonical_id) != expected.strip():
        raise S3Error(Code.AccessDenied)
