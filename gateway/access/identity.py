"""Who a signed request acts as; the anonymous caller is ``None`` wherever ``Identity | None`` is taken."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.access.policy import Policy


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a signed request acts as: an account's root user or one of its IAM users."""

    account_id: str            # 12 digits
    canonical_id: str          # the account's canonical user id (64 hex): S3 owner ids are per account
    display_name: str
    user_name: str | None      # None: the account's root user
    user_id: str               # aws:userid: the account id for the root, "AIDA..." for a user
    arn: str                   # arn:aws:iam::ACCOUNT:root or arn:aws:iam::ACCOUNT:user/PATH/NAME
    policies: tuple[Policy, ...] = ()  # identity-based policies in force (inline, attached, the groups')

    @property
    def is_root(self) -> bool:
        return self.user_name is None

    @classmethod
    def root(cls, account_id: str, canonical_id: str, display_name: str = "") -> Identity:
        """The account's root user (its credentials act as the account itself)."""
        return cls(account_id, canonical_id, display_name or account_id, None, account_id,
                   f"arn:aws:iam::{account_id}:root")

    @classmethod
    def user(cls, account_id: str, canonical_id: str, user_name: str, user_id: str, *, path: str = "/",
             policies: tuple[Policy, ...] = ()) -> Identity:
        """An IAM user of the account; ``path`` is IAM's (``/`` or ``/a/b/``)."""
        return cls(account_id, canonical_id, user_name, user_name, user_id,
                   f"arn:aws:iam::{account_id}:user{path}{user_name}", policies)
