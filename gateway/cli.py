"""``s3gate serve``: flags, ``S3GATE_*`` environment variables, and uvicorn.

Every flag falls back to its environment variable, then to the documented default. The
resolved values are exported back into the environment so each uvicorn worker process builds
the same settings (``gateway.app:create_app``).
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from typing import Any

from gateway import __version__
from gateway.settings import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    ENV_VARS,
    ConfigError,
    Settings,
    settings_from_values,
)

FLAG_HELP = {
    "host": "address to listen on (default 127.0.0.1)",
    "port": "port to listen on (default 9000)",
    "data-dir": "where objects and metadata are kept (default ./s3gate-data)",
    "region": "the region this endpoint serves (default us-east-1)",
    "users": 'JSON file {"users": [{"access_key", "secret_key", "display_name", "canonical_id"}]}',
    "workers": "worker processes (default 1)",
    "certfile": "TLS certificate (PEM); serve HTTPS",
    "keyfile": "TLS private key (PEM)",
    "domain": "base domain(s) for virtual-hosted-style requests, comma-separated (default localhost)",
    "lifecycle-day-seconds": "length of a lifecycle 'day' in seconds, to test rules quickly (default 86400)",
    "restore-delay-seconds": "how long RestoreObject takes for GLACIER/DEEP_ARCHIVE (default 5)",
    "storage-class-dir": "keep a storage class's bytes in another directory: CLASS=DIR[,CLASS=DIR...]",
    "backend": "where objects live: local (the data dir, default) or upstream (another S3 endpoint)",
    "upstream-endpoint": "the S3 endpoint to forward to, http(s)://host[:port] (--backend upstream)",
    "upstream-region": "region the upstream signatures are made for (default us-east-1)",
    "upstream-access-key": "upstream access key (default: the AWS credential chain)",
    "upstream-secret-key": "upstream secret key (default: the AWS credential chain)",
    "upstream-addressing-style": "path (default) or virtual: how buckets appear in upstream URLs",
    "upstream-ca-bundle": "PEM file of CAs to trust for an HTTPS upstream (default: the system's)",
    "upstream-insecure": "do not verify the upstream's TLS certificate (testing only)",
    "upstream-timeout": "seconds to wait for the upstream to connect or send anything (default 60)",
}
SWITCHES = {"upstream-insecure"}  # flags that take no value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="s3gate", description="S3-compatible object storage gateway")
    parser.add_argument("--version", action="version", version=f"s3gate {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the gateway",
                                description="Run the gateway. Every flag can also be set as S3GATE_<FLAG>; "
                                "root credentials come from S3GATE_ACCESS_KEY / S3GATE_SECRET_KEY "
                                f"(default {DEFAULT_ACCESS_KEY} / {DEFAULT_SECRET_KEY}).")
    for flag, text in FLAG_HELP.items():
        if flag in SWITCHES:
            serve.add_argument(f"--{flag}", action="store_const", const="true", default=None,
                               help=f"{text} [env {ENV_VARS[flag][0]}=true]")
        else:
            serve.add_argument(f"--{flag}", default=None, help=f"{text} [env {ENV_VARS[flag][0]}]")
    return parser


def resolve_settings(args: argparse.Namespace, environ: dict[str, str]) -> Settings:
    values: dict[str, str | None] = {}
    for flag, (env, field_name) in ENV_VARS.items():
        cli_value = getattr(args, flag.replace("-", "_"), None)
        values[field_name] = cli_value if cli_value is not None else environ.get(env)
    return settings_from_values(values)


def export(settings: Settings, environ: dict[str, str]) -> None:
    for _flag, (env, field_name) in ENV_VARS.items():
        value = getattr(settings, field_name)
        if field_name == "domains":
            value = ",".join(value)
        elif field_name == "storage_class_dirs":
            value = ",".join(f"{c}={d}" for c, d in value) or None
        if value is not None:
            environ[env] = str(value)


def banner(settings: Settings) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    if settings.backend == "upstream":
        credentials = "given" if settings.upstream_access_key else "AWS credential chain"
        storage = (f"  upstream:   {settings.upstream_endpoint} (region {settings.upstream_region}, "
                   f"{settings.upstream_addressing_style} style, credentials: {credentials})")
    else:
        storage = f"  data dir:   {os.path.abspath(settings.data_dir)}"
    lines = [
        f"s3gate {__version__}",
        f"  endpoint:   {settings.scheme}://{host}:{settings.port}",
        storage,
        f"  region:     {settings.region}",
        f"  access key: {settings.access_key}",
        f"  secret key: {settings.secret_key}",
    ]
    if settings.users:
        lines.append(f"  users file: {settings.users_file} ({len(settings.users)} users)")
    if settings.domains:
        lines.append(f"  vhost domains: {', '.join(settings.domains)}")
    return "\n".join(lines)


def check_upstream_credentials(settings: Settings) -> None:
    """Without --upstream-access-key, the AWS credential chain must find some before start-up."""
    from storage_backends.loader import upstream_config
    from storage_backends.s3client.client import credential_source

    try:
        credential_source(upstream_config(settings))
    except RuntimeError as exc:
        raise ConfigError(str(exc)) from None


def log_config() -> dict[str, object]:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["s3gate"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "serve":
        parser.print_help()
        return 2
    try:
        settings = resolve_settings(args, dict(os.environ))
        if settings.backend == "upstream":
            check_upstream_credentials(settings)
    except ConfigError as exc:
        print(f"s3gate: error: {exc}", file=sys.stderr)
        return 2
    export(settings, os.environ)  # type: ignore[arg-type]
    print(banner(settings), flush=True)

    options: dict[str, Any] = {
        "ssl_certfile": settings.certfile,
        "ssl_keyfile": settings.keyfile,
        "loop": "uvloop",
        "http": "gateway.http_protocol:Protocol",  # httptools, minus the wait on idle TLS clients
        "lifespan": "on",
        "server_header": False,
        "access_log": False,
        "log_config": log_config(),
        "timeout_keep_alive": 30,
        "proxy_headers": False,  # client addresses are not used; skip the middleware on every request
    }
    if settings.workers > 1:
        from gateway import workers

        return workers.serve(settings.workers, settings.host, settings.port, options)

    import uvicorn

    uvicorn.run("gateway.app:create_app", factory=True, host=settings.host, port=settings.port, **options)
    return 0
