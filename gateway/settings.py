"""Settings: every ``s3gate serve`` flag, its ``S3GATE_*`` variable, its default.

:data:`OPTIONS` is the one table of settings: ``gateway.cli`` builds its flags and help from it,
:func:`settings_from_values` parses with it, :func:`settings_to_env` exports with it. A new
setting is a :class:`Settings` field (its type and default) plus one :class:`Option` row; a rule
between fields is one more function in :data:`CHECKS`.

The CLI and the ASGI factory both build :class:`Settings` from the environment, so a
multi-worker uvicorn (which re-imports the app in each process) sees the same values.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from urllib.parse import urlsplit

from gateway import setting_values as values
from gateway.accounts import (
    DEFAULT_ACCOUNT_ID,
    Account,
    ConfigError,
    check_account_id,
    check_accounts,
    default_account,
    load_users_file,
)
from gateway.setting_values import BACKENDS, BUCKET_DEFAULTS, Parse, Render
from storage_backends.base import DEFAULT_RESERVE, FreeSpaceReserve

__all__ = ["DEFAULT_ACCESS_KEY", "DEFAULT_SECRET_KEY", "OPTIONS", "ConfigError", "Option", "Settings",
           "settings_from_env", "settings_from_values", "settings_to_env"]

DEFAULT_ACCESS_KEY = "s3gate"
DEFAULT_SECRET_KEY = "s3gate-secret-key"


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 9000
    data_dir: str = "./s3gate-data"
    metadata_url: str | None = None  # postgresql://...: the local backend's metadata there, not <data-dir>/metadata.db
    metadata_pool: int = 8  # connections to it per worker process
    region: str = "us-east-1"
    access_key: str = DEFAULT_ACCESS_KEY
    secret_key: str = DEFAULT_SECRET_KEY
    users_file: str | None = None
    workers: int = 1
    max_connections: int = 4096  # per worker: each holds a socket (and, while it runs, a file or two)
    header_timeout: float = 20.0  # seconds to deliver a request's head
    certfile: str | None = None
    keyfile: str | None = None
    domains: tuple[str, ...] = ("localhost",)
    lifecycle_day_seconds: float = 86400.0
    restore_delay_seconds: float = 5.0
    storage_class_dirs: tuple[tuple[str, str], ...] = ()
    min_free_space: FreeSpaceReserve = DEFAULT_RESERVE
    account_id: str = DEFAULT_ACCOUNT_ID
    users: tuple[Account, ...] = field(default=(), compare=False)  # the users file's accounts
    backend: str = "local"
    upstream_endpoint: str | None = None
    upstream_region: str = "us-east-1"
    upstream_access_key: str | None = None
    upstream_secret_key: str | None = None
    upstream_addressing_style: str = "path"
    upstream_ca_bundle: str | None = None
    upstream_insecure: bool = False
    upstream_timeout: float = 60.0
    bucket_defaults: str = "aws"  # what new buckets start with: "aws" (S3 since 2023 and 2026) or "legacy"
    allow_sse_c_over_http: bool = False  # SSE-C keys over plain HTTP (S3 refuses them): local development only
    master_key_file: str | None = None  # the local backend's master key (default: <data-dir>/master.key)
    kms_keys: tuple[str, ...] = ()  # KMS key ids, aliases or ARNs SSE-KMS may name (beside aws/s3)
    notify_targets: tuple[tuple[str, str], ...] = ()  # (name, URL): event notification destinations
    notify_max_age: float = 86400.0  # seconds an event may wait for its broker before it is a dead letter
    notify_max_queue: int = 100_000  # pending events per target; past it the oldest are dead letters
    website_port: int | None = None  # the static website endpoint's own listener (gateway.website); off when None
    website_domain: str = "s3-website.localhost"  # BUCKET.<it> picks a website's bucket
    flush_interval: float = 5.0  # seconds between bucket access log deliveries and usage counter writes
    metrics_token: str | None = None  # a scraper's bearer token for /_s3gate/metrics
    metrics_public: bool = False  # /_s3gate/metrics for anyone
    metrics_per_bucket: bool = False  # stored objects and bytes per bucket too (one series per bucket and class)
    access_log: str | None = None  # a file for one JSON line per request, or "-" (standard output)

    @property
    def scheme(self) -> str:
        return "https" if self.certfile else "http"

    def accounts(self) -> tuple[Account, ...]:
        """Every account known at start-up: the default one (the root credentials) first, then the users file's."""
        return (default_account(self.account_id, self.access_key, self.secret_key), *self.users)


# --- the table --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Option:
    """One setting: its ``Settings`` field, ``S3GATE_*`` variable, ``--flag``, help, parser and renderer.

    The default is the ``Settings`` field's. An empty value (flag or variable) means the default.
    """

    field: str
    env: str
    flag: str | None  # None: set by the environment only
    help: str = ""
    parse: Parse = values.text  # raw string -> value; raises ConfigError
    render: Render = str  # value -> its S3GATE_* string (None: leave the variable unset)
    switch: bool = False  # a flag that takes no value and means "true"
    repeat: bool = False  # a flag given once per value (its variable lists them, comma-separated)

    @property
    def default(self) -> object:
        return _DEFAULTS[self.field]


_DEFAULTS = {f.name: f.default for f in fields(Settings)}

OPTIONS: tuple[Option, ...] = (
    Option("host", "S3GATE_HOST", "host", "address to listen on (default 127.0.0.1)"),
    Option("port", "S3GATE_PORT", "port", "port to listen on (default 9000)", values.port),
    Option("data_dir", "S3GATE_DATA_DIR", "data-dir", "where objects and metadata are kept (default ./s3gate-data)"),
    Option("metadata_url", "S3GATE_METADATA_URL", "metadata-url",
           "postgresql://USER[:PASSWORD]@HOST:PORT/DB: keep the metadata in PostgreSQL, shared by several gateways "
           "(default: SQLite, <data-dir>/metadata.db)"),
    Option("metadata_pool", "S3GATE_METADATA_POOL", "metadata-pool",
           "PostgreSQL connections per worker process (default 8)", values.at_least_one("metadata-pool")),
    Option("region", "S3GATE_REGION", "region", "the region this endpoint serves (default us-east-1)"),
    Option("users_file", "S3GATE_USERS", "users",
           'JSON file {"users": [{"access_key", "secret_key", "display_name", "canonical_id", "account_id"}], '
           '"accounts": [{"id", "root", "users", "groups", ...}]} (README: Users file)'),
    Option("workers", "S3GATE_WORKERS", "workers", "worker processes (default 1)", values.at_least_one("workers")),
    Option("max_connections", "S3GATE_MAX_CONNECTIONS", "max-connections",
           "open connections per worker; a connection past them is answered 503 SlowDown (default 4096)",
           values.at_least_one("max-connections")),
    Option("header_timeout", "S3GATE_HEADER_TIMEOUT", "header-timeout",
           "seconds a client has to send a request's line and headers, from its first byte or from connecting "
           "(default 20)", values.seconds("header-timeout")),
    Option("certfile", "S3GATE_CERTFILE", "certfile", "TLS certificate (PEM); serve HTTPS"),
    Option("keyfile", "S3GATE_KEYFILE", "keyfile", "TLS private key (PEM)"),
    Option("domains", "S3GATE_DOMAIN", "domain",
           "base domain(s) for virtual-hosted-style requests, comma-separated (default localhost)", values.domains,
           ",".join),
    Option("lifecycle_day_seconds", "S3GATE_LIFECYCLE_DAY_SECONDS", "lifecycle-day-seconds",
           "length of a lifecycle 'day' in seconds, to test rules quickly (default 86400)",
           values.seconds("lifecycle-day-seconds")),
    Option("restore_delay_seconds", "S3GATE_RESTORE_DELAY_SECONDS", "restore-delay-seconds",
           "how long RestoreObject takes for GLACIER/DEEP_ARCHIVE (default 5)",
           values.seconds("restore-delay-seconds", allow_zero=True)),
    Option("storage_class_dirs", "S3GATE_STORAGE_CLASS_DIR", "storage-class-dir",
           "keep a storage class's bytes in another directory: CLASS=DIR[,CLASS=DIR...]", values.class_dirs,
           values.render_class_dirs),
    Option("min_free_space", "S3GATE_MIN_FREE_SPACE", "min-free-space",
           "free space each disk of the local backend keeps for deletes and metadata: writes are refused (503) "
           "below it; a percentage of the disk or a size: 500MB, 2GiB, 0 for none (default: 1%%)",
           values.min_free_space, values.render_min_free_space),
    Option("bucket_defaults", "S3GATE_BUCKET_DEFAULTS", "bucket-defaults",
           "what new buckets start with: aws (ACLs disabled, Block Public Access on, SSE-S3 default encryption, "
           "SSE-C blocked; default) or legacy (ObjectWriter, no Block Public Access, no default encryption: S3 "
           "before 2023)"),
    Option("allow_sse_c_over_http", "S3GATE_ALLOW_SSE_C_OVER_HTTP", "allow-sse-c-over-http",
           "accept SSE-C keys on plain HTTP requests, which S3 refuses (local development only)",
           values.boolean("allow-sse-c-over-http"), switch=True),
    Option("master_key_file", "S3GATE_MASTER_KEY_FILE", "master-key-file",
           "the 32-byte master key SSE-S3 and SSE-KMS keys derive from (default: <data-dir>/master.key, made on "
           "first start); it must exist (README: Keyring)"),
    Option("kms_keys", "S3GATE_KMS_KEYS", "kms-key",
           "a KMS key id, alias/NAME or key ARN that SSE-KMS may use, beside aws/s3 (repeat the flag; the "
           "variable is comma-separated)", values.kms_keys, lambda keys: ",".join(keys) or None, repeat=True),
    Option("notify_targets", "S3GATE_NOTIFY_TARGETS", "notify-target",
           "an event notification destination, NAME=URL (repeatable; the variable: NAME=URL,NAME=URL); buckets "
           "name it by ARN, e.g. arn:aws:sqs:REGION:ACCOUNT:NAME (README: Event notifications)", values.notify_targets,
           values.render_targets, repeat=True),
    Option("notify_max_age", "S3GATE_NOTIFY_MAX_AGE", "notify-max-age",
           "how long an event may wait for its target before it moves to the dead letters: seconds, or 30m, "
           "24h, 7d (24h by default)", values.duration("notify-max-age")),
    Option("notify_max_queue", "S3GATE_NOTIFY_MAX_QUEUE", "notify-max-queue",
           "pending events kept per target; past it the oldest move to the dead letters (default 100000)",
           values.at_least_one("notify-max-queue")),
    Option("access_key", "S3GATE_ACCESS_KEY", None),
    Option("account_id", "S3GATE_ACCOUNT_ID", "account-id",
           "the default account's 12-digit id: the root credentials' account (default 000000000000)",
           check_account_id),
    Option("secret_key", "S3GATE_SECRET_KEY", None),
    Option("backend", "S3GATE_BACKEND", "backend",
           "where objects live: local (the data dir, default) or upstream (another S3 endpoint)"),
    Option("upstream_endpoint", "S3GATE_UPSTREAM_ENDPOINT", "upstream-endpoint",
           "the S3 endpoint to forward to, http(s)://host[:port] (--backend upstream)"),
    Option("upstream_region", "S3GATE_UPSTREAM_REGION", "upstream-region",
           "region the upstream signatures are made for (default us-east-1)"),
    Option("upstream_access_key", "S3GATE_UPSTREAM_ACCESS_KEY", "upstream-access-key",
           "upstream access key (default: the AWS credential chain)"),
    Option("upstream_secret_key", "S3GATE_UPSTREAM_SECRET_KEY", "upstream-secret-key",
           "upstream secret key (default: the AWS credential chain)"),
    Option("upstream_addressing_style", "S3GATE_UPSTREAM_ADDRESSING_STYLE", "upstream-addressing-style",
           "path (default) or virtual: how buckets appear in upstream URLs"),
    Option("upstream_ca_bundle", "S3GATE_UPSTREAM_CA_BUNDLE", "upstream-ca-bundle",
           "PEM file of CAs to trust for an HTTPS upstream (default: the system's)"),
    Option("upstream_insecure", "S3GATE_UPSTREAM_INSECURE", "upstream-insecure",
           "do not verify the upstream's TLS certificate (testing only)", values.boolean("upstream insecure"),
           switch=True),
    Option("upstream_timeout", "S3GATE_UPSTREAM_TIMEOUT", "upstream-timeout",
           "seconds to wait for the upstream to connect or send anything (default 60)",
           values.seconds("upstream-timeout")),
    Option("website_port", "S3GATE_WEBSITE_PORT", "website-port",
           "serve buckets' static websites on this port (off unless set; README: Static website hosting)", values.port),
    Option("website_domain", "S3GATE_WEBSITE_DOMAIN", "website-domain", "the website endpoint's domain: "
           "BUCKET.<domain> serves BUCKET (default s3-website.localhost)", values.domain),
    Option("flush_interval", "S3GATE_FLUSH_INTERVAL", "flush-interval",
           "seconds between deliveries of bucket access logs and writes of usage counts, per worker (default 5)",
           values.seconds("flush-interval")),
    Option("metrics_token", "S3GATE_METRICS_TOKEN", "metrics-token",
           "a bearer token that may read /_s3gate/metrics (Prometheus' authorization credentials)"),
    Option("metrics_public", "S3GATE_METRICS_PUBLIC", "metrics-public", "anyone may read /_s3gate/metrics",
           values.boolean("metrics-public"), switch=True),
    Option("metrics_per_bucket", "S3GATE_METRICS_PER_BUCKET", "metrics-per-bucket",
           "stored objects and bytes per bucket too, not only per storage class", values.boolean("metrics-per-bucket"),
           switch=True),
    Option("access_log", "S3GATE_ACCESS_LOG", "access-log",
           "write one JSON line per request to this file (- : standard output); off by default"),
)


# --- checks across fields, run in order once every value parsed ---------------------------------------

def _check_tls(settings: Settings) -> None:
    if bool(settings.certfile) != bool(settings.keyfile):
        raise ConfigError("--certfile and --keyfile go together")
    for path in (settings.certfile, settings.keyfile):
        if path and not os.path.isfile(path):
            raise ConfigError(f"TLS file {path}: no such file")


def _check_users(settings: Settings) -> None:
    check_accounts(settings.users_file, settings.accounts())  # duplicate keys and ids stop start-up here


def _upstream_options(settings: Settings) -> list[str]:
    """The --upstream-* options that were set to something other than their default."""
    return [f"--{o.flag}" for o in OPTIONS
            if o.flag and o.flag.startswith("upstream-") and getattr(settings, o.field) != o.default]


def _check_backend(settings: Settings) -> None:
    if settings.backend not in BACKENDS:
        raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, got {settings.backend!r}")
    if settings.backend != "upstream":
        given = _upstream_options(settings)
        if given:
            raise ConfigError(f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} only used with --backend "
                              f"upstream (the backend is {settings.backend!r})")


def _check_min_free_space(settings: Settings) -> None:
    if settings.backend == "upstream" and settings.min_free_space != _DEFAULTS["min_free_space"]:
        raise ConfigError("--min-free-space is only used with --backend local (an upstream keeps the objects)")


def _check_keyring(settings: Settings) -> None:
    """The local backend's keys: a named master key file must hold a key now (a server that started
    without one could read nothing it stored); an upstream encrypts with its own keys."""
    from storage_backends.loader import check_master_key_file

    if settings.backend == "upstream":
        given = [f for f, on in (("--master-key-file", settings.master_key_file), ("--kms-key", settings.kms_keys))
                 if on]
        if given:
            raise ConfigError(f"{' and '.join(given)}: only used with --backend local (an upstream encrypts with "
                              "its own keys)")
    elif settings.master_key_file:
        try:
            check_master_key_file(settings.master_key_file)
        except RuntimeError as exc:
            raise ConfigError(str(exc)) from None


def _check_upstream_endpoint(settings: Settings) -> None:
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


def _check_upstream_options(settings: Settings) -> None:
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


def _check_bucket_defaults(settings: Settings) -> None:
    if settings.bucket_defaults not in BUCKET_DEFAULTS:
        raise ConfigError(f"bucket-defaults must be aws or legacy, got {settings.bucket_defaults!r}")


def _check_upstream(settings: Settings) -> None:
    if settings.backend == "upstream":
        _check_upstream_endpoint(settings)
        _check_upstream_options(settings)


def _check_notify_targets(settings: Settings) -> None:
    """Each URL is checked by its scheme's module now, so a typo stops start-up rather than every delivery."""
    if not settings.notify_targets:
        return
    if settings.backend == "upstream":
        raise ConfigError("--notify-target needs --backend local: events are written in the same metadata "
                          "transaction as the change, and an upstream's changes are not ours")
    from gateway.events.targets import open_target

    for name, url in settings.notify_targets:
        try:
            open_target(name, url)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None


def _check_website_port(settings: Settings) -> None:
    if settings.website_port is not None and settings.website_port in (0, settings.port):
        raise ConfigError(f"--website-port must be a port of its own (not 0 nor --port), got {settings.website_port}")


def _check_access_log(settings: Settings) -> None:
    """A log that cannot be opened stops start-up, not each worker as it starts."""
    if settings.access_log and settings.access_log != "-":
        try:
            os.close(os.open(settings.access_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640))
        except OSError as exc:
            raise ConfigError(f"--access-log {settings.access_log}: {exc.strerror}") from None


def _check_metadata_url(settings: Settings) -> None:
    """A metadata URL that is not PostgreSQL's, or names a database we cannot reach, stops start-up."""
    if settings.metadata_url is None:
        return
    from storage_backends.loader import check_metadata_url

    try:
        check_metadata_url(settings.metadata_url)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


CHECKS: tuple[Callable[[Settings], None], ...] = (_check_tls, _check_users, _check_backend, _check_upstream,
                                                  _check_bucket_defaults, _check_min_free_space, _check_keyring,
                                                  _check_notify_targets, _check_website_port,
                                                  _check_access_log, _check_metadata_url)


# --- entry points ----------------------------------------------------------------------------------

def settings_from_values(values: dict[str, str | None]) -> Settings:
    """Validate raw string values (keyed by Settings field) into Settings."""
    kwargs: dict[str, object] = {}
    for option in OPTIONS:
        raw = values.get(option.field)
        if raw is None or raw == "":
            continue
        kwargs[option.field] = option.parse(raw)
    users_file = kwargs.get("users_file")
    kwargs["users"] = tuple(load_users_file(str(users_file))) if users_file else ()
    settings = Settings(**kwargs)  # type: ignore[arg-type]
    for check in CHECKS:
        check(settings)
    return settings


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    return settings_from_values({o.field: env.get(o.env) for o in OPTIONS})


def settings_to_env(settings: Settings) -> dict[str, str]:
    """The ``S3GATE_*`` variables that :func:`settings_from_env` turns back into ``settings``."""
    environ: dict[str, str] = {}
    for option in OPTIONS:
        value = getattr(settings, option.field)
        text = option.render(value) if value is not None else None
        if text is not None:
            environ[option.env] = text
    return environ
