"""Who an access key is: the credentials directory every door authenticates with.

Static entries come from the settings (the default account's root, the users file's accounts,
users and groups); dynamic ones from the identity store (users, keys, groups and policies made
through the IAM API). The directory is rebuilt whenever the store's generation counter moves,
checked at most every :data:`REFRESH_S` seconds, so a change made in any worker takes effect in
every worker within a second while a request costs one clock read, not a database read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from gateway.access.identity import Identity
from gateway.access.policy import Policy, PolicyError, parse_policy
from gateway.accounts import Account
from storage_backends.identity import IdentityState, IdentityStore

log = logging.getLogger("s3gate")

REFRESH_S = 0.5


@dataclass(frozen=True, slots=True)
class Credential:
    """An active access key: its secret and whom it signs for (its policies resolved)."""

    access_key: str
    secret_key: str
    identity: Identity


class CredentialsDirectory:
    """Active access keys -> :class:`Credential`; canonical ids -> display names; emails -> canonical ids."""

    def __init__(self, accounts: tuple[Account, ...], store: Callable[[], IdentityStore] | None = None) -> None:
        self.default_account = accounts[0]
        self.accounts = {a.account_id: a for a in accounts}
        self.by_canonical_id = {a.canonical_id: a for a in accounts}
        self.by_email = {a.email.lower(): a.canonical_id for a in accounts if a.email}
        self._store = store
        self._parsed: dict[str, Policy] = {}
        self._static = dict(self._static_credentials(accounts))
        self.active: dict[str, Credential] = dict(self._static)
        self.state = IdentityState(generation=-1)
        self._next_check = 0.0

    # -- lookups ----------------------------------------------------------------------------------
    def display_name(self, canonical_id: str) -> str:
        account = self.by_canonical_id.get(canonical_id)
        return account.display_name if account else canonical_id[:16]

    def account_id_of(self, canonical_id: str) -> str | None:
        """The account a canonical id (an S3 owner) belongs to, None if no account has it."""
        account = self.by_canonical_id.get(canonical_id)
        return account.account_id if account else None

    def knows_canonical_id(self, canonical_id: str) -> bool:
        return canonical_id in self.by_canonical_id

    def canonical_id_for_email(self, email: str) -> str | None:
        """An ACL grantee by email address (``emailAddress``): the account's canonical id."""
        return self.by_email.get(email.lower())

    def is_default_root(self, identity: Identity | None) -> bool:
        return identity is not None and identity.is_root and identity.account_id == self.default_account.account_id

    # -- refresh ----------------------------------------------------------------------------------
    async def refresh(self, *, force: bool = False) -> None:
        """Reload from the identity store if it changed; without ``force``, look at most every REFRESH_S."""
        if self._store is None:
            return
        now = time.monotonic()
        if not force and now < self._next_check:
            return
        self._next_check = now + REFRESH_S
        try:
            store = self._store()
            if await store.generation() != self.state.generation:
                self.install(await store.state())
        except Exception:  # noqa: BLE001 - keep serving the last known identities; the next check retries
            log.exception("could not reload identities")

    def install(self, state: IdentityState) -> None:
        """Rebuild the dynamic entries from ``state`` (static ones never change)."""
        active = dict(self._static)
        for credential in self._dynamic_credentials(state):
            active.setdefault(credential.access_key, credential)
        self.active = active
        self.state = state

    # -- building -----------------------------------------------------------------------------------
    def policy(self, document: str) -> Policy | None:
        """A stored document, parsed once (it was validated when it was stored)."""
        parsed = self._parsed.get(document)
        if parsed is None:
            try:
                parsed = self._parsed[document] = parse_policy(document, kind="identity")
            except PolicyError:
                log.warning("ignoring a stored policy that no longer parses")
                return None
        return parsed

    def _policies(self, documents: Iterable[str]) -> tuple[Policy, ...]:
        return tuple(p for p in (self.policy(d) for d in documents) if p is not None)

    def _static_credentials(self, accounts: tuple[Account, ...]) -> Iterable[tuple[str, Credential]]:
        for account in accounts:
            if account.root_access_key and account.root_secret_key:
                root = Identity.root(account.account_id, account.canonical_id, account.display_name)
                yield account.root_access_key, Credential(account.root_access_key, account.root_secret_key, root)
            groups = {g.name.lower(): g for g in account.groups}
            for user in account.users:
                documents = [d for _, d in user.policies]
                documents += [d for name in user.groups for _, d in groups[name.lower()].policies]
                identity = Identity.user(account.account_id, account.canonical_id, user.name, user.user_id,
                                         path=user.path, policies=self._policies(documents))
                yield user.access_key, Credential(user.access_key, user.secret_key, identity)

    def _dynamic_credentials(self, state: IdentityState) -> Iterable[Credential]:
        inline: dict[tuple[str, str, str], list[str]] = {}
        for p in state.inline_policies:
            inline.setdefault((p.account_id, p.kind, p.owner.lower()), []).append(p.document)
        managed = {p.arn: p.document for p in state.policies}
        for a in state.attachments:
            if a.policy_arn in managed:
                inline.setdefault((a.account_id, a.kind, a.owner.lower()), []).append(managed[a.policy_arn])
        groups_of: dict[tuple[str, str], list[str]] = {}
        for m in state.memberships:
            groups_of.setdefault((m.account_id, m.user_name.lower()), []).append(m.group_name.lower())
        identities: dict[tuple[str, str], Identity] = {}
        for user in state.users:
            account = self.accounts.get(user.account_id)
            if account is None:  # its account left the users file: its keys sign nothing
                continue
            key = (user.account_id, user.name.lower())
            documents = list(inline.get((user.account_id, "user", key[1]), []))
            for group in groups_of.get(key, []):
                documents += inline.get((user.account_id, "group", group), [])
            identities[key] = Identity.user(user.account_id, account.canonical_id, user.name, user.user_id,
                                            path=user.path, policies=self._policies(documents))
        for k in state.access_keys:
            identity = identities.get((k.account_id, k.user_name.lower()))
            if identity is not None and k.status == "Active":
                yield Credential(k.access_key, k.secret_key, identity)
