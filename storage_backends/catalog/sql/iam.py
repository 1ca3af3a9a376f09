"""The iam_* tables: the identity store's users, keys, groups, policies and attachments.

Writes check IAM's rules inside their transaction (so two workers cannot both create the same
user or a third access key) and raise :class:`IdentityError` with IAM's code; every write bumps
the ``iam_generation`` setting so that other workers know to reload.
"""

from __future__ import annotations

from storage_backends.catalog.sql import one
from storage_backends.catalog.store import Executor, Tx
from storage_backends.identity import (
    Attachment,
    IamAccessKey,
    IamGroup,
    IamUser,
    IdentityError,
    IdentityState,
    InlinePolicy,
    ManagedPolicy,
    Membership,
    PolicyVersion,
)

GENERATION = "iam_generation"


def generation(ex: Executor) -> int:
    row = one(ex, "SELECT value FROM settings WHERE name = ?", (GENERATION,))
    return int(row[0]) if row else 0


def _bump(tx: Tx) -> None:
    tx.execute("INSERT INTO settings (name, value) VALUES (?, '1') ON CONFLICT (name) DO UPDATE SET "
               "value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT)", (GENERATION,))


def state(ex: Executor) -> IdentityState:
    """Everything, in one read transaction (the caller's connection is read-only and idle)."""
    ex.execute("BEGIN")
    try:
        gen = generation(ex)
        users = tuple(IamUser(*r) for r in ex.execute(
            "SELECT account_id, name, user_id, path, created_ms FROM iam_users ORDER BY account_id, name").fetchall())
        keys = tuple(IamAccessKey(*r) for r in ex.execute(
            "SELECT access_key, secret_key, account_id, user_name, status, created_ms FROM iam_access_keys "
            "ORDER BY account_id, user_name, created_ms").fetchall())
        groups = tuple(IamGroup(*r) for r in ex.execute(
            "SELECT account_id, name, group_id, path, created_ms FROM iam_groups ORDER BY account_id, name"
        ).fetchall())
        members = tuple(Membership(*r) for r in ex.execute(
            "SELECT account_id, group_name, user_name FROM iam_group_members ORDER BY 1, 2, 3").fetchall())
        inline = tuple(InlinePolicy(*r) for r in ex.execute(
            "SELECT account_id, kind, owner, name, document FROM iam_inline_policies ORDER BY 1, 2, 3, 4"
        ).fetchall())
        versions: dict[tuple[str, str], list[PolicyVersion]] = {}
        for account, name, version_id, document, created in ex.execute(
                "SELECT account_id, lower(policy_name), version_id, document, created_ms FROM iam_policy_versions "
                "ORDER BY account_id, policy_name, created_ms").fetchall():
            versions.setdefault((account, name), []).append(PolicyVersion(version_id, document, created))
        policies = tuple(
            ManagedPolicy(account, name, policy_id, path, description, default,
                          tuple(versions[(account, name.lower())]), created, updated)
            for account, name, policy_id, path, description, default, created, updated in ex.execute(
                "SELECT account_id, name, policy_id, path, description, default_version, created_ms, updated_ms "
                "FROM iam_policies ORDER BY account_id, name").fetchall())
        attachments = tuple(Attachment(*r) for r in ex.execute(
            "SELECT account_id, kind, owner, policy_arn FROM iam_attachments ORDER BY 1, 2, 3, 4").fetchall())
    finally:
        ex.execute("COMMIT")
    return IdentityState(gen, users, keys, groups, members, inline, policies, attachments)


def _exists(tx: Tx, table: str, account_id: str, name: str) -> bool:
    return one(tx, f"SELECT 1 FROM {table} WHERE account_id = ? AND name = ?", (account_id, name)) is not None


def _require(tx: Tx, table: str, what: str, account_id: str, name: str) -> None:
    if not _exists(tx, table, account_id, name):
        raise IdentityError("NoSuchEntity", f"The {what} with name {name} cannot be found.")


def require_user(tx: Tx, account_id: str, name: str) -> None:
    _require(tx, "iam_users", "user", account_id, name)


def require_group(tx: Tx, account_id: str, name: str) -> None:
    _require(tx, "iam_groups", "group", account_id, name)


def _refuse_in_use(tx: Tx, account_id: str, name: str, kind: str, members: tuple[tuple[str, str, str], ...],
                   where: str) -> None:
    """DeleteConflict while the user or group still has keys/memberships (``members``: table, column,
    what to remove), attached policies or inline policies, checked in that order."""
    for table, column, what in (*members, ("iam_attachments", "owner", "attached policies"),
                                ("iam_inline_policies", "owner", "policies")):
        extra = f" AND kind = '{kind}'" if table in ("iam_attachments", "iam_inline_policies") else ""
        if one(tx, f"SELECT 1 FROM {table} WHERE account_id = ? AND {column} = ?{extra}", (account_id, name)):
            raise IdentityError("DeleteConflict", f"Cannot delete entity, must remove {what}{where} first.")


# -- users and keys ---------------------------------------------------------------------------------
def create_user(tx: Tx, user: IamUser) -> None:
    if _exists(tx, "iam_users", user.account_id, user.name):
        raise IdentityError("EntityAlreadyExists", f"User with name {user.name} already exists.")
    tx.execute("INSERT INTO iam_users (account_id, name, user_id, path, created_ms) VALUES (?, ?, ?, ?, ?)",
               (user.account_id, user.name, user.user_id, user.path, user.created_ms))
    _bump(tx)


def delete_user(tx: Tx, account_id: str, name: str) -> None:
    require_user(tx, account_id, name)
    _refuse_in_use(tx, account_id, name, "user", (("iam_access_keys", "user_name", "access keys"),
                                                  ("iam_group_members", "user_name", "groups")), "")
    tx.execute("DELETE FROM iam_users WHERE account_id = ? AND name = ?", (account_id, name))
    _bump(tx)


def create_access_key(tx: Tx, key: IamAccessKey, limit: int) -> None:
    require_user(tx, key.account_id, key.user_name)
    count = one(tx, "SELECT count(*) FROM iam_access_keys WHERE account_id = ? AND user_name = ?",
                (key.account_id, key.user_name))[0]
    if count >= limit:
        raise IdentityError("LimitExceeded", f"Cannot exceed quota for AccessKeysPerUser: {limit}")
    tx.execute("INSERT INTO iam_access_keys (access_key, secret_key, account_id, user_name, status, created_ms) "
               "VALUES (?, ?, ?, ?, ?, ?)", (key.access_key, key.secret_key, key.account_id, key.user_name,
                                             key.status, key.created_ms))
    _bump(tx)


def _require_key(tx: Tx, account_id: str, user_name: str, access_key: str) -> None:
    require_user(tx, account_id, user_name)
    if one(tx, "SELECT 1 FROM iam_access_keys WHERE access_key = ? AND account_id = ? AND user_name = ?",
           (access_key, account_id, user_name)) is None:
        raise IdentityError("NoSuchEntity", f"The Access Key with id {access_key} cannot be found.")


def update_access_key(tx: Tx, account_id: str, user_name: str, access_key: str, status: str) -> None:
    _require_key(tx, account_id, user_name, access_key)
    tx.execute("UPDATE iam_access_keys SET status = ? WHERE access_key = ?", (status, access_key))
    _bump(tx)


def delete_access_key(tx: Tx, account_id: str, user_name: str, access_key: str) -> None:
    _require_key(tx, account_id, user_name, access_key)
    tx.execute("DELETE FROM iam_access_keys WHERE access_key = ?", (access_key,))
    _bump(tx)


# -- groups -----------------------------------------------------------------------------------------
def create_group(tx: Tx, group: IamGroup) -> None:
    if _exists(tx, "iam_groups", group.account_id, group.name):
        raise IdentityError("EntityAlreadyExists", f"Group with name {group.name} already exists.")
    tx.execute("INSERT INTO iam_groups (account_id, name, group_id, path, created_ms) VALUES (?, ?, ?, ?, ?)",
               (group.account_id, group.name, group.group_id, group.path, group.created_ms))
    _bump(tx)


def delete_group(tx: Tx, account_id: str, name: str) -> None:
    require_group(tx, account_id, name)
    _refuse_in_use(tx, account_id, name, "group", (("iam_group_members", "group_name", "users"),), " from group")
    tx.execute("DELETE FROM iam_groups WHERE account_id = ? AND name = ?", (account_id, name))
    _bump(tx)


def add_member(tx: Tx, account_id: str, group_name: str, user_name: str) -> None:
    require_group(tx, account_id, group_name)
    require_user(tx, account_id, user_name)
    tx.execute("INSERT INTO iam_group_members (account_id, group_name, user_name) VALUES (?, ?, ?) "
               "ON CONFLICT DO NOTHING", (account_id, group_name, user_name))
    _bump(tx)


def remove_member(tx: Tx, account_id: str, group_name: str, user_name: str) -> None:
    require_group(tx, account_id, group_name)
    require_user(tx, account_id, user_name)
    gone = tx.execute("DELETE FROM iam_group_members WHERE account_id = ? AND group_name = ? AND user_name = ?",
                      (account_id, group_name, user_name)).rowcount
    if not gone:
        raise IdentityError("NoSuchEntity", f"The user with name {user_name} is not in group {group_name}.")
    _bump(tx)


# -- inline policies --------------------------------------------------------------------------------
def _require_owner(tx: Tx, account_id: str, kind: str, owner: str) -> None:
    (require_user if kind == "user" else require_group)(tx, account_id, owner)


def put_inline_policy(tx: Tx, policy: InlinePolicy) -> None:
    _require_owner(tx, policy.account_id, policy.kind, policy.owner)
    tx.execute("INSERT INTO iam_inline_policies (account_id, kind, owner, name, document) VALUES (?, ?, ?, ?, ?) "
               "ON CONFLICT (account_id, kind, owner, name) DO UPDATE SET document = excluded.document",
               (policy.account_id, policy.kind, policy.owner, policy.name, policy.document))
    _bump(tx)


def delete_inline_policy(tx: Tx, account_id: str, kind: str, owner: str, name: str) -> None:
    _require_owner(tx, account_id, kind, owner)
    gone = tx.execute("DELETE FROM iam_inline_policies WHERE account_id = ? AND kind = ? AND owner = ? AND name = ?",
                      (account_id, kind, owner, name)).rowcount
    if not gone:
        raise IdentityError("NoSuchEntity", f"The {kind} policy with name {name} cannot be found.")
    _bump(tx)


# -- managed policies and attachments ---------------------------------------------------------------
def create_policy(tx: Tx, policy: ManagedPolicy) -> None:
    if _exists(tx, "iam_policies", policy.account_id, policy.name):
        raise IdentityError("EntityAlreadyExists", f"A policy called {policy.name} already exists. "
                            "Duplicate names are not allowed.")
    tx.execute("INSERT INTO iam_policies (account_id, name, policy_id, path, description, default_version, "
               "created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (policy.account_id, policy.name, policy.policy_id, policy.path, policy.description,
                policy.default_version, policy.created_ms, policy.updated_ms))
    tx.executemany("INSERT INTO iam_policy_versions (account_id, policy_name, version_id, document, created_ms) "
                   "VALUES (?, ?, ?, ?, ?)",
                   [(policy.account_id, policy.name, v.version_id, v.document, v.created_ms) for v in policy.versions])
    _bump(tx)


def _policy_name(tx: Tx, account_id: str, arn: str) -> str:
    """The stored name of the account's policy whose ARN is ``arn``, or NoSuchEntity."""
    for name, path in tx.execute("SELECT name, path FROM iam_policies WHERE account_id = ?", (account_id,)):
        if f"arn:aws:iam::{account_id}:policy{path}{name}" == arn:
            return str(name)
    raise IdentityError("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.")


def delete_policy(tx: Tx, account_id: str, arn: str) -> None:
    name = _policy_name(tx, account_id, arn)
    if one(tx, "SELECT 1 FROM iam_attachments WHERE policy_arn = ?", (arn,)):
        raise IdentityError("DeleteConflict", "Cannot delete a policy attached to entities.")
    tx.execute("DELETE FROM iam_policies WHERE account_id = ? AND name = ?", (account_id, name))
    tx.execute("DELETE FROM iam_policy_versions WHERE account_id = ? AND policy_name = ?", (account_id, name))
    _bump(tx)


def attach(tx: Tx, attachment: Attachment) -> None:
    _require_owner(tx, attachment.account_id, attachment.kind, attachment.owner)
    _policy_name(tx, attachment.account_id, attachment.policy_arn)
    tx.execute("INSERT INTO iam_attachments (account_id, kind, owner, policy_arn) VALUES (?, ?, ?, ?) "
               "ON CONFLICT DO NOTHING",
               (attachment.account_id, attachment.kind, attachment.owner, attachment.policy_arn))
    _bump(tx)


def detach(tx: Tx, attachment: Attachment) -> None:
    _require_owner(tx, attachment.account_id, attachment.kind, attachment.owner)
    gone = tx.execute("DELETE FROM iam_attachments WHERE account_id = ? AND kind = ? AND owner = ? AND policy_arn = ?",
                      (attachment.account_id, attachment.kind, attachment.owner, attachment.policy_arn)).rowcount
    if not gone:
        raise IdentityError("NoSuchEntity", f"Policy {attachment.policy_arn} was not found.")
    _bump(tx)
