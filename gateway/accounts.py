"""The accounts s3gate knows at start-up: the default account and those of the ``--users`` file.

AWS's model: an account (12-digit id, a canonical id, a display name, maybe an email) has a root
user and IAM users, users may be in groups, users and groups carry identity policies. The users
file has two forms, usable side by side:

- ``{"users": [{"access_key", "secret_key", "display_name"?, "canonical_id"?, "account_id"?}]}``:
  each entry is the root user of an account of its own (the form s3gate has always read);
- ``{"accounts": [{"id", "name"?, "display_name"?, "email"?, "canonical_id"?, "root"?: {...},
  "users"?: [...], "groups"?: [...]}]}``: accounts with IAM users and groups.

Everything is validated here, once; a bad file stops start-up with a message naming the problem.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.access.policy import PolicyError, parse_policy

DEFAULT_ACCOUNT_ID = "000000000000"
_ACCOUNT_ID = re.compile(r"\d{12}")
_NAME = re.compile(r"[\w+=,.@-]{1,64}")
_PATH = re.compile(r"/([\x21-\x7e]*/)?")


class ConfigError(Exception):
    """A setting that stops start-up; the message names the problem."""


@dataclass(frozen=True, slots=True)
class StaticUser:
    """An IAM user of the users file (read-only through the IAM API)."""

    name: str
    user_id: str
    access_key: str
    secret_key: str
    groups: tuple[str, ...] = ()
    policies: tuple[tuple[str, str], ...] = ()  # (name, JSON document)
    path: str = "/"


@dataclass(frozen=True, slots=True)
class StaticGroup:
    name: str
    group_id: str
    policies: tuple[tuple[str, str], ...] = ()
    path: str = "/"


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    canonical_id: str  # what S3 stores as owner of the account's buckets and objects
    display_name: str
    email: str | None = None
    root_access_key: str | None = None  # None: an account without root credentials
    root_secret_key: str | None = None
    users: tuple[StaticUser, ...] = ()
    groups: tuple[StaticGroup, ...] = ()


def canonical_id_for(access_key: str) -> str:
    """The canonical id s3gate has always derived from a root access key (existing data keeps its owners)."""
    return hashlib.sha256(b"s3gate:" + access_key.encode()).hexdigest()


def derived_account_id(access_key: str) -> str:
    """A stable 12-digit account id for an old-form users-file entry."""
    return str(int(hashlib.sha256(b"s3gate-account:" + access_key.encode()).hexdigest(), 16) % 10**12).zfill(12)


def derived_id(prefix: str, *parts: str) -> str:
    """IAM-shaped unique ids (``AIDA`` + 17 uppercase alphanumerics), stable for users-file entities."""
    digest = base64.b32encode(hashlib.sha256(":".join(parts).encode()).digest()).decode()
    return prefix + digest[:17]


def default_account(account_id: str, access_key: str, secret_key: str) -> Account:
    return Account(account_id, canonical_id_for(access_key), access_key, None, access_key, secret_key)


def check_account_id(raw: str) -> str:
    if not _ACCOUNT_ID.fullmatch(raw):
        raise ConfigError(f"account id must be 12 digits, got {raw!r}")
    return raw


# -- the file ---------------------------------------------------------------------------------------
def load_users_file(path: str) -> tuple[Account, ...]:
    """Both forms' accounts, old-form entries first; checked within the file (see :func:`check_accounts`)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"users file {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"users file {path}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"users file {path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not (isinstance(doc.get("users"), list) or isinstance(doc.get("accounts"), list)) \
            or set(doc) - {"users", "accounts"}:
        raise ConfigError(f'users file {path}: expected an object with a "users" list (and/or an "accounts" list)')
    for name in ("users", "accounts"):
        if name in doc and not isinstance(doc[name], list):
            raise ConfigError(f'users file {path}: "{name}" must be a list')
    accounts = [_old_form(f"users file {path}: users[{i}]", e) for i, e in enumerate(doc.get("users", []))]
    accounts += [_account(f"users file {path}: accounts[{i}]", e) for i, e in enumerate(doc.get("accounts", []))]
    return tuple(accounts)


def _object(where: str, entry: object, known: set[str]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} is not an object")
    unknown = set(entry) - known
    if unknown:
        raise ConfigError(f"{where} has unknown field(s): {', '.join(sorted(unknown))}")
    return entry


def _required(where: str, entry: dict[str, Any], *names: str) -> None:
    for name in names:
        if not isinstance(entry.get(name), str) or not entry[name]:
            raise ConfigError(f'{where} needs a non-empty string "{name}"')


def _optional(where: str, entry: dict[str, Any], *names: str) -> None:
    for name in names:
        if name in entry and not isinstance(entry[name], str):
            raise ConfigError(f'{where}: "{name}" must be a string')


def _old_form(where: str, raw: object) -> Account:
    entry = _object(where, raw, {"access_key", "secret_key", "display_name", "canonical_id", "account_id"})
    _required(where, entry, "access_key", "secret_key")
    _optional(where, entry, "display_name", "canonical_id", "account_id")
    access_key = entry["access_key"]
    account_id = entry.get("account_id") or derived_account_id(access_key)
    if not _ACCOUNT_ID.fullmatch(account_id):
        raise ConfigError(f"{where}: account_id must be 12 digits, got {account_id!r}")
    return Account(account_id, entry.get("canonical_id") or canonical_id_for(access_key),
                   entry.get("display_name") or access_key, None, access_key, entry["secret_key"])


def _policies(where: str, raw: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        raise ConfigError(f'{where}: "policies" must be an object of name: policy document')
    policies = []
    for name, document in raw.items():
        if not _NAME.fullmatch(name):
            raise ConfigError(f"{where}: policy name {name!r} is not a valid IAM name")
        text = document if isinstance(document, str) else json.dumps(document)
        try:
            parse_policy(text, kind="identity")
        except PolicyError as exc:
            raise ConfigError(f"{where}: policy {name!r} is malformed: {exc}") from None
        policies.append((name, text))
    return tuple(policies)


def _path(where: str, entry: dict[str, Any]) -> str:
    path = entry.get("path", "/")
    if not isinstance(path, str) or not _PATH.fullmatch(path):
        raise ConfigError(f"{where}: path must look like / or /division/team/, got {path!r}")
    return path


def _account(where: str, raw: object) -> Account:
    entry = _object(where, raw, {"id", "name", "display_name", "email", "canonical_id", "root", "users", "groups"})
    _required(where, entry, "id")
    _optional(where, entry, "name", "display_name", "email", "canonical_id")
    account_id = entry["id"]
    if not _ACCOUNT_ID.fullmatch(account_id):
        raise ConfigError(f"{where}: id must be 12 digits, got {account_id!r}")
    root_key = root_secret = None
    if "root" in entry:
        root = _object(f"{where}.root", entry["root"], {"access_key", "secret_key"})
        _required(f"{where}.root", root, "access_key", "secret_key")
        root_key, root_secret = root["access_key"], root["secret_key"]
    groups: list[StaticGroup] = []
    for i, raw_group in enumerate(_list(where, entry, "groups")):
        at = f"{where}.groups[{i}]"
        group = _object(at, raw_group, {"name", "path", "policies"})
        _required(at, group, "name")
        _check_name(at, group["name"], [g.name for g in groups], "group")
        groups.append(StaticGroup(group["name"], derived_id("AGPA", account_id, group["name"]),
                                  _policies(at, group.get("policies", {})), _path(at, group)))
    users: list[StaticUser] = []
    for i, raw_user in enumerate(_list(where, entry, "users")):
        at = f"{where}.users[{i}]"
        user = _object(at, raw_user, {"name", "access_key", "secret_key", "path", "groups", "policies"})
        _required(at, user, "name", "access_key", "secret_key")
        _check_name(at, user["name"], [u.name for u in users], "user")
        member_of = user.get("groups", [])
        if not isinstance(member_of, list) or not all(isinstance(g, str) for g in member_of):
            raise ConfigError(f'{at}: "groups" must be a list of group names')
        known = {g.name.lower() for g in groups}
        for group_name in member_of:
            if group_name.lower() not in known:
                raise ConfigError(f"{at}: unknown group {group_name!r} (the account's groups: "
                                  f"{', '.join(g.name for g in groups) or 'none'})")
        users.append(StaticUser(user["name"], derived_id("AIDA", account_id, user["name"]), user["access_key"],
                                user["secret_key"], tuple(member_of), _policies(at, user.get("policies", {})),
                                _path(at, user)))
    canonical = entry.get("canonical_id") or (canonical_id_for(root_key) if root_key
                                              else hashlib.sha256(b"s3gate-account:" + account_id.encode()).hexdigest())
    display = entry.get("display_name") or entry.get("name") or root_key or account_id
    return Account(account_id, canonical, display, entry.get("email"), root_key, root_secret, tuple(users),
                   tuple(groups))


def _list(where: str, entry: dict[str, Any], name: str) -> list[object]:
    value = entry.get(name, [])
    if not isinstance(value, list):
        raise ConfigError(f'{where}: "{name}" must be a list')
    return value


def _check_name(where: str, name: str, taken: list[str], what: str) -> None:
    if not _NAME.fullmatch(name):
        raise ConfigError(f"{where}: {what} name {name!r} is not a valid IAM name (1-64 of A-Z a-z 0-9 +=,.@_-)")
    if name.lower() in (t.lower() for t in taken):
        raise ConfigError(f"{where}: {what} {name!r} is defined twice in its account")


def check_accounts(users_file: str | None, accounts: tuple[Account, ...]) -> None:
    """Across accounts (the default one first): access keys, account ids, canonical ids and emails are unique."""
    where = f"users file {users_file}"
    keys: dict[str, bool] = {}  # access key -> it is the default account's root key
    for index, account in enumerate(accounts):
        owned = [account.root_access_key] if account.root_access_key else []
        for key in owned + [u.access_key for u in account.users]:
            if key in keys:
                if keys[key]:
                    raise ConfigError(f"{where}: access key {key!r} is also the root access key (S3GATE_ACCESS_KEY)")
                raise ConfigError(f"{where}: access key {key!r} is defined twice")
            keys[key] = index == 0 and key == account.root_access_key
    ids: set[str] = set()
    canonical: set[str] = set()
    emails: set[str] = set()
    for index, account in enumerate(accounts):
        if account.account_id in ids:
            default = index and account.account_id == accounts[0].account_id
            raise ConfigError(f"{where}: account id {account.account_id} is defined twice"
                              + (" (it is the default account's, --account-id)" if default else ""))
        ids.add(account.account_id)
        if account.canonical_id in canonical:
            raise ConfigError(f"{where}: canonical id {account.canonical_id} belongs to two accounts")
        canonical.add(account.canonical_id)
        if account.email is not None:
            if account.email.lower() in emails:
                raise ConfigError(f"{where}: email {account.email!r} belongs to two accounts")
            emails.add(account.email.lower())
