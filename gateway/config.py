"""Settings: every ``s3gate serve`` flag, its ``S3GATE_*`` variable, its default.

The CLI and the ASGI factory both build :class:`Settings` from the environment, so a
multi-worker uvicorn (which re-imports the app in each process) sees the same values.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ACCESS_KEY = "s3gate"
DEFAULT_SECRET_KEY = "s3gate-secret-key"


class ConfigError(Exception):
    """A setting that stops start-up; the message names the problem."""


@dataclass(frozen=True, slots=True)
class User:
    access_key: str
    secret_key: str
    display_name: str
    canonical_id: str


def make_user(access_key: str, secret_key: str, display_name: str = "", canonical_id: str = "") -> User:
    """A user with AWS-shaped defaults: display name = access key, 64-hex canonical id."""
    return User(
        access_key=access_key,
        secret_key=secret_key,
        display_name=display_name or access_key,
        canonical_id=canonical_id or hashlib.sha256(b"s3gate:" + access_key.encode()).hexdigest(),
    )


def load_users_file(path: str) -> list[User]:
    """Parse ``{"users": [{"access_key", "secret_key", "display_name"?, "canonical_id"?}]}``."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"users file {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"users file {path}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"users file {path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("users"), list):
        raise ConfigError(f'users file {path}: expected an object with a "users" list')
    users: list[User] = []
    for i, entry in enumerate(doc["users"]):
        where = f"users file {path}: users[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} is not an object")
        unknown = set(entry) - {"access_key", "secret_key", "display_name", "canonical_id"}
        if unknown:
            raise ConfigError(f"{where} has unknown field(s): {', '.join(sorted(unknown))}")
        for name in ("access_key", "secret_key"):
            if not isinstance(entry.get(name), str) or not entry[name]:
                raise ConfigError(f'{where} needs a non-empty string "{name}"')
        for name in ("display_name", "canonical_id"):
            if name in entry and not isinstance(entry[name], str):
                raise ConfigError(f'{where}: "{name}" must be a string')
        if any(u.access_key == entry["access_key"] for u in users):
            raise ConfigError(f"{where}: access key {entry['access_key']!r} is defined twice")
        users.append(make_user(entry["access_key"], entry["secret_key"],
                               entry.get("display_name", ""), entry.get("canonical_id", "")))
    return users


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 9000
    data_dir: str = "./s3gate-data"
    region: str = "us-east-1"
    access_key: str = DEFAULT_ACCESS_KEY
    secret_key: str = DEFAULT_SECRET_KEY
    users_file: str | None = None
    workers: int = 1
    certfile: str | None = None
    keyfile: str | None = None
    domains: tuple[str, ...] = ("localhost",)
    lifecycle_day_seconds: float = 86400.0
    restore_delay_seconds: float = 5.0
    storage_class_dirs: tuple[tuple[str, str], ...] = ()
    users: tuple[User, ...] = field(default=(), compare=False)

    @property
    def scheme(self) -> str:
        return "https" if self.certfile else "http"

    def user_table(self) -> dict[str, User]:
        """All users by access key; the root user first, users-file entries after it."""
        table = {self.access_key: make_user(self.access_key, self.secret_key)}
        for user in self.users:
            if user.access_key in table:
                raise ConfigError(f"users file {self.users_file}: access key {user.access_key!r} is also the "
                                  "root access key (S3GATE_ACCESS_KEY)")
            table[user.access_key] = user
        return table


# flag name -> (environment variable, Settings field)
ENV_VARS: dict[str, tuple[str, str]] = {
    "host": ("S3GATE_HOST", "host"),
    "port": ("S3GATE_PORT", "port"),
    "data-dir": ("S3GATE_DATA_DIR", "data_dir"),
    "region": ("S3GATE_REGION", "region"),
    "users": ("S3GATE_USERS", "users_file"),
    "workers": ("S3GATE_WORKERS", "workers"),
    "certfile": ("S3GATE_CERTFILE", "certfile"),
    "keyfile": ("S3GATE_KEYFILE", "keyfile"),
    "domain": ("S3GATE_DOMAIN", "domains"),
    "lifecycle-day-seconds": ("S3GATE_LIFECYCLE_DAY_SECONDS", "lifecycle_day_seconds"),
    "restore-delay-seconds": ("S3GATE_RESTORE_DELAY_SECONDS", "restore_delay_seconds"),
    "storage-class-dir": ("S3GATE_STORAGE_CLASS_DIR", "storage_class_dirs"),
    "access-key": ("S3GATE_ACCESS_KEY", "access_key"),
    "secret-key": ("S3GATE_SECRET_KEY", "secret_key"),
}


def settings_from_values(values: dict[str, str | None]) -> Settings:
    """Validate raw string values (keyed by Settings field) into Settings."""
    kwargs: dict[str, object] = {}
    for name, raw in values.items():
        if raw is None or raw == "":
            continue
        if name in ("port", "workers"):
            try:
                number = int(raw)
            except ValueError:
                raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
            if name == "port" and not 0 <= number <= 65535:
                raise ConfigError(f"port must be 0-65535, got {number}")
            if name == "workers" and number < 1:
                raise ConfigError(f"workers must be at least 1, got {number}")
            kwargs[name] = number
        elif name == "domains":
            kwargs[name] = tuple(d.strip().lower().strip(".") for d in raw.split(",") if d.strip())
        elif name in ("lifecycle_day_seconds", "restore_delay_seconds"):
            try:
                seconds = float(raw)
            except ValueError:
                raise ConfigError(f"{name.replace('_', '-')} must be a number, got {raw!r}") from None
            if seconds < 0 or (name == "lifecycle_day_seconds" and seconds == 0):
                raise ConfigError(f"{name.replace('_', '-')} must be positive, got {raw!r}")
            kwargs[name] = seconds
        elif name == "storage_class_dirs":
            kwargs[name] = _class_dirs(raw)
        else:
            kwargs[name] = raw
    users_file = kwargs.get("users_file")
    kwargs["users"] = tuple(load_users_file(str(users_file))) if users_file else ()
    settings = Settings(**kwargs)  # type: ignore[arg-type]
    if bool(settings.certfile) != bool(settings.keyfile):
        raise ConfigError("--certfile and --keyfile go together")
    for path in (settings.certfile, settings.keyfile):
        if path and not os.path.isfile(path):
            raise ConfigError(f"TLS file {path}: no such file")
    settings.user_table()  # duplicate access keys stop start-up here
    return settings


def _class_dirs(raw: str) -> tuple[tuple[str, str], ...]:
    """``GLACIER=/mnt/cold,DEEP_ARCHIVE=/mnt/cold`` -> ((class, dir), ...)."""
    from storage_backends.lifecycle import TRANSITION_CLASSES

    pairs = []
    for item in raw.split(","):
        storage_class, sep, directory = item.partition("=")
        storage_class = storage_class.strip().upper()
        if not sep or not directory.strip():
            raise ConfigError(f"storage-class-dir entries look like CLASS=DIRECTORY, got {item!r}")
        if storage_class not in TRANSITION_CLASSES:
            raise ConfigError(f"storage-class-dir: {storage_class!r} is not a storage class objects can move to "
                              f"({', '.join(TRANSITION_CLASSES)})")
        pairs.append((storage_class, directory.strip()))
    return tuple(pairs)


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    return settings_from_values({fld: env.get(var) for var, fld in ENV_VARS.values()})
