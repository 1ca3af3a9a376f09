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
from urllib.parse import urlsplit

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
    backend: str = "local"
    upstream_endpoint: str | None = None
    upstream_region: str = "us-east-1"
    upstream_access_key: str | None = None
    upstream_secret_key: str | None = None
    upstream_addressing_style: str = "path"
    upstream_ca_bundle: str | None = None
    upstream_insecure: bool = False
    upstream_timeout: float = 60.0

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
    "backend": ("S3GATE_BACKEND", "backend"),
    "upstream-endpoint": ("S3GATE_UPSTREAM_ENDPOINT", "upstream_endpoint"),
    "upstream-region": ("S3GATE_UPSTREAM_REGION", "upstream_region"),
    "upstream-access-key": ("S3GATE_UPSTREAM_ACCESS_KEY", "upstream_access_key"),
    "upstream-secret-key": ("S3GATE_UPSTREAM_SECRET_KEY", "upstream_secret_key"),
    "upstream-addressing-style": ("S3GATE_UPSTREAM_ADDRESSING_STYLE", "upstream_addressing_style"),
    "upstream-ca-bundle": ("S3GATE_UPSTREAM_CA_BUNDLE", "upstream_ca_bundle"),
    "upstream-insecure": ("S3GATE_UPSTREAM_INSECURE", "upstream_insecure"),
    "upstream-timeout": ("S3GATE_UPSTREAM_TIMEOUT", "upstream_timeout"),
}
BACKENDS = ("local", "upstream")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _upstream_options(settings: Settings) -> list[str]:
    """The --upstream-* options that were set to something other than their default."""
    defaults = Settings()
    return [f"--{flag}" for flag, (_, name) in ENV_VARS.items()
            if flag.startswith("upstream-") and getattr(settings, name) != getattr(defaults, name)]


def _check_upstream(settings: Settings) -> None:
    if settings.backend not in BACKENDS:
        raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, got {settings.backend!r}")
    if settings.backend != "upstream":
        given = _upstream_options(settings)
        if given:
            raise ConfigError(f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} only used with --backend "
                              f"upstream (the backend is {settings.backend!r})")
        return
    endpoint = settings.upstream_endpoint
    if not endpoint:
        raise ConfigError("--backend upstream needs --upstream-endpoint URL (or S3GATE_UPSTREAM_ENDPOINT)")
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") \
            or parts.query or parts.fragment or parts.username:
        raise ConfigError(f"--upstream-endpoint must look like http(s)://host[:port], got {endpoint!r}")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ConfigError(f"--upstream-endpoint has a bad port: {endpoint!r}") from None
    if bool(settings.upstream_access_key) != bool(settings.upstream_secret_key):
        raise ConfigError("--upstream-access-key and --upstream-secret-key go together (or set neither to use "
                          "the AWS credential chain)")
    if settings.upstream_addressing_style not in ("path", "virtual"):
        raise ConfigError(f"--upstream-addressing-style must be path or virtual, got "
                          f"{settings.upstream_addressing_style!r}")
    if settings.upstream_ca_bundle and not os.path.isfile(settings.upstream_ca_bundle):
        raise ConfigError(f"--upstream-ca-bundle {settings.upstream_ca_bundle}: no such file")
    if settings.upstream_ca_bundle and settings.upstream_insecure:
        raise ConfigError("--upstream-ca-bundle and --upstream-insecure contradict each other")


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
        elif name in ("lifecycle_day_seconds", "restore_delay_seconds", "upstream_timeout"):
            try:
                seconds = float(raw)
            except ValueError:
                raise ConfigError(f"{name.replace('_', '-')} must be a number of seconds, got {raw!r}") from None
            if seconds < 0 or (seconds == 0 and name != "restore_delay_seconds"):
                raise ConfigError(f"{name.replace('_', '-')} must be positive, got {raw!r}")
            kwargs[name] = seconds
        elif name == "storage_class_dirs":
            kwargs[name] = _class_dirs(raw)
        elif name == "upstream_insecure":
            if raw.lower() not in _TRUE + _FALSE:
                raise ConfigError(f"upstream insecure must be true or false, got {raw!r}")
            kwargs[name] = raw.lower() in _TRUE
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
    _check_upstream(settings)
    return settings


def _class_dirs(raw: str) -> tuple[tuple[str, str], ...]:
    """``GLACIER=/mnt/cold,DEEP_ARCHIVE=/mnt/cold`` -> ((class, dir), ...)."""
    from gateway.wire.lifecycle_rules import TRANSITION_CLASSES

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
