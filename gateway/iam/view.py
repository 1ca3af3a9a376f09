"""One account's IAM entities as the API shows them: users-file ones (read-only) and API-made ones.

Built on demand from the credentials directory's accounts and its last identity-store state (the
door refreshes it first), so reads never touch the store. Names match without regard to case.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.accounts import Account
from gateway.credentials import CredentialsDirectory
from storage_backends.identity import IamAccessKey, ManagedPolicy


@dataclass(frozen=True, slots=True)
class Entity:
    """A user or a group."""

    kind: str  # "user" or "group"
    name: str
    entity_id: str
    path: str
    created_ms: int
    static: bool  # defined in the users file: not modifiable through the API
    account_id: str

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:{self.kind}{self.path}{self.name}"


class AccountView:
    def __init__(self, directory: CredentialsDirectory, account_id: str) -> None:
        self.account_id = account_id
        self.account: Account = directory.accounts[account_id]
        self.state = directory.state
        self.directory = directory

    # -- users and groups ---------------------------------------------------------------------------
    def entities(self, kind: str) -> list[Entity]:
        a = self.account
        if kind == "user":
            found = [Entity(kind, u.name, u.user_id, u.path, 0, True, a.account_id) for u in a.users]
            found += [Entity(kind, u.name, u.user_id, u.path, u.created_ms, False, a.account_id)
                      for u in self.state.users if u.account_id == a.account_id]
        else:
            found = [Entity(kind, g.name, g.group_id, g.path, 0, True, a.account_id) for g in a.groups]
            found += [Entity(kind, g.name, g.group_id, g.path, g.created_ms, False, a.account_id)
                      for g in self.state.groups if g.account_id == a.account_id]
        return sorted(found, key=lambda e: e.name.lower())

    def entity(self, kind: str, name: str) -> Entity | None:
        wanted = name.lower()
        return next((e for e in self.entities(kind) if e.name.lower() == wanted), None)

    def access_keys(self, user: Entity) -> list[IamAccessKey]:
        if user.static:
            static = next(u for u in self.account.users if u.name == user.name)
            return [IamAccessKey(static.access_key, static.secret_key, self.account_id, user.name, "Active", 0)]
        return [k for k in self.state.access_keys
                if k.account_id == self.account_id and k.user_name.lower() == user.name.lower()]

    def inline_policies(self, owner: Entity) -> dict[str, str]:
        if owner.static:
            source = self.account.users if owner.kind == "user" else self.account.groups
            return dict(next(e for e in source if e.name == owner.name).policies)
        return {p.name: p.document for p in self.state.inline_policies
                if p.account_id == self.account_id and p.kind == owner.kind and p.owner.lower() == owner.name.lower()}

    def groups_of(self, user: Entity) -> list[Entity]:
        if user.static:
            names = {n.lower() for n in next(u for u in self.account.users if u.name == user.name).groups}
        else:
            names = {m.group_name.lower() for m in self.state.memberships
                     if m.account_id == self.account_id and m.user_name.lower() == user.name.lower()}
        return [g for g in self.entities("group") if g.name.lower() in names and g.static == user.static]

    def members(self, group: Entity) -> list[Entity]:
        return [u for u in self.entities("user") if group in self.groups_of(u)]

    # -- managed policies ---------------------------------------------------------------------------
    def policies(self) -> list[ManagedPolicy]:
        return [p for p in self.state.policies if p.account_id == self.account_id]

    def policy(self, arn: str) -> ManagedPolicy | None:
        return next((p for p in self.policies() if p.arn == arn), None)

    def attached(self, owner: Entity) -> list[ManagedPolicy]:
        arns = {a.policy_arn for a in self.state.attachments if a.account_id == self.account_id
                and a.kind == owner.kind and a.owner.lower() == owner.name.lower()}
        return [p for p in self.policies() if p.arn in arns]

    def attachment_count(self, arn: str) -> int:
        return sum(1 for a in self.state.attachments if a.policy_arn == arn)
