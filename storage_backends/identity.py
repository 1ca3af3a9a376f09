"""The identity store's protocol and records: IAM users, access keys, groups and policies created
through the IAM API, kept by a backend beside its objects (the catalog implements it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class IdentityError(Exception):
    """An IAM-visible refusal of an identity-store write: ``code`` is IAM's (NoSuchEntity,
    EntityAlreadyExists, DeleteConflict, LimitExceeded), checked inside the write's transaction."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class IamUser:
    account_id: str
    name: str
    user_id: str  # AIDA...
    path: str
    created_ms: int


@dataclass(frozen=True, slots=True)
class IamAccessKey:
    access_key: str
    secret_key: str
    account_id: str
    user_name: str
    status: str  # "Active" or "Inactive"
    created_ms: int


@dataclass(frozen=True, slots=True)
class IamGroup:
    account_id: str
    name: str
    group_id: str  # AGPA...
    path: str
    created_ms: int


@dataclass(frozen=True, slots=True)
class InlinePolicy:
    account_id: str
    kind: str  # "user" or "group": whose policy it is
    owner: str  # the user's or group's name
    name: str
    document: str  # the JSON text as given


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    version_id: str  # "v1", "v2"...
    document: str
    created_ms: int


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    account_id: str
    name: str
    policy_id: str  # ANPA...
    path: str
    description: str
    default_version: str
    versions: tuple[PolicyVersion, ...]
    created_ms: int
    updated_ms: int

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:policy{self.path}{self.name}"

    @property
    def document(self) -> str:
        """The default version's document (the one in force)."""
        return next(v.document for v in self.versions if v.version_id == self.default_version)


@dataclass(frozen=True, slots=True)
class Attachment:
    account_id: str
    kind: str  # "user" or "group"
    owner: str
    policy_arn: str


@dataclass(frozen=True, slots=True)
class Membership:
    account_id: str
    group_name: str
    user_name: str


@dataclass(frozen=True, slots=True)
class IdentityState:
    """Everything the identity store holds, read in one transaction; ``generation`` counts its writes."""

    generation: int
    users: tuple[IamUser, ...] = ()
    access_keys: tuple[IamAccessKey, ...] = ()
    groups: tuple[IamGroup, ...] = ()
    memberships: tuple[Membership, ...] = ()
    inline_policies: tuple[InlinePolicy, ...] = ()
    policies: tuple[ManagedPolicy, ...] = ()
    attachments: tuple[Attachment, ...] = ()


class IdentityStore(Protocol):
    """The IAM entities created through the API, kept where every worker and restart sees them.

    Names are unique per account without regard to case, as IAM's are. Every write bumps the
    generation, which the gateway polls (cheaply) to know when to reload :meth:`state`.
    """

    async def generation(self) -> int: ...
    async def state(self) -> IdentityState: ...
    async def create_user(self, user: IamUser) -> None: ...
    async def delete_user(self, account_id: str, name: str) -> None:
        """DeleteConflict while the user has access keys, policies or groups."""
        ...
    async def create_access_key(self, key: IamAccessKey, *, limit: int = 2) -> None:
        """LimitExceeded when the user already has ``limit`` keys."""
        ...
    async def update_access_key(self, account_id: str, user_name: str, access_key: str, status: str) -> None: ...
    async def delete_access_key(self, account_id: str, user_name: str, access_key: str) -> None: ...
    async def create_group(self, group: IamGroup) -> None: ...
    async def delete_group(self, account_id: str, name: str) -> None: ...
    async def add_member(self, account_id: str, group_name: str, user_name: str) -> None: ...
    async def remove_member(self, account_id: str, group_name: str, user_name: str) -> None: ...
    async def put_inline_policy(self, policy: InlinePolicy) -> None: ...
    async def delete_inline_policy(self, account_id: str, kind: str, owner: str, name: str) -> None: ...
    async def create_policy(self, policy: ManagedPolicy) -> None: ...
    async def delete_policy(self, account_id: str, arn: str) -> None:
        """DeleteConflict while the policy is attached."""
        ...
    async def attach(self, attachment: Attachment) -> None: ...
    async def detach(self, attachment: Attachment) -> None: ...
