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
from gateway.observe import multiproc
from gateway.settings import (
    DEFAULT_ACCESS_KEY,
    DEFAULT_SECRET_KEY,
    OPTIONS,
    ConfigError,
    Settings,
    settings_from_values,
    settings_to_env,
)

FDS_PER_CONNECTION = 3  # its socket; while its request runs, an object's file and a temporary file (a copy)
FD_RESERVE = 256  # the catalog's files, the listening socket, logs, upstream connections


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="s3gate", description="S3-compatible object storage gateway")
    parser.add_argument("--version", action="version", version=f"s3gate {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the gateway",
                                description="Run the gateway. Every flag can also be set as S3GATE_<FLAG>; "
                                "root credentials come from S3GATE_ACCESS_KEY / S3GATE_SECRET_KEY "
                                f"(default {DEFAULT_ACCESS_KEY} / {DEFAULT_SECRET_KEY}).")
    for option in OPTIONS:
        if option.flag is None:
            continue
        if option.switch:
            serve.add_argument(f"--{option.flag}", action="store_const", const="true", default=None,
                               help=f"{option.help} [env {option.env}=true]")
        elif option.repeat:
            serve.add_argument(f"--{option.flag}", action="append", default=None,
                               help=f"{option.help} [env {option.env}=A,B]")
        else:
            serve.add_argument(f"--{option.flag}", default=None, help=f"{option.help} [env {option.env}]")
    from gateway.observe import usage_cli

    usage_cli.add_arguments(commands.add_parser(
        "usage", help="a running gateway's usage, and what it would cost on AWS",
        description="Read a running gateway's usage report (GET /_s3gate/admin/usage, root credentials) and "
                    "print it as a table or JSON; --cost prices it with AWS's published S3 prices."))
    from gateway import metadata_cli

    metadata_cli.add_arguments(commands.add_parser(
        "metadata", help="move a data dir's metadata into PostgreSQL (copy), check a copy (verify)",
        description="Move the local backend's metadata from a data dir's SQLite file into a PostgreSQL "
                    "database several gateways share (copy), and compare the two (verify)."))
    return parser


def resolve_settings(args: argparse.Namespace, environ: dict[str, str]) -> Settings:
    """Each setting from its flag, else its environment variable, else its default."""
    values: dict[str, str | None] = {}
    for option in OPTIONS:
        cli_value = getattr(args, option.flag.replace("-", "_"), None) if option.flag else None
        if isinstance(cli_value, list):  # a repeated flag
            cli_value = ",".join(cli_value)
        values[option.field] = cli_value if cli_value is not None else environ.get(option.env)
    return settings_from_values(values)


def export(settings: Settings, environ: dict[str, str]) -> None:
    environ.update(settings_to_env(settings))


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
        f"  account:    {settings.account_id}",
        "  new buckets: " + ("legacy defaults (ObjectWriter, no Block Public Access)"
                             if settings.bucket_defaults == "legacy"
                             else "AWS defaults (BucketOwnerEnforced: ACLs disabled; Block Public Access on)"),
        f"  access key: {settings.access_key}",
        f"  secret key: {settings.secret_key}",
    ]
    if settings.metadata_url:
        from storage_backends.loader import redacted_url

        lines.append(f"  metadata:   {redacted_url(settings.metadata_url)} ({settings.metadata_pool} connections "
                     "per worker)")
    if settings.users:
        iam_users = sum(len(a.users) for a in settings.users)
        lines.append(f"  users file: {settings.users_file} ({len(settings.users)} accounts, {iam_users} IAM users)")
    if settings.domains:
        lines.append(f"  vhost domains: {', '.join(settings.domains)}")
    if settings.website_port is not None:
        lines.append(f"  website:    {settings.scheme}://{host}:{settings.website_port} "
                     f"(BUCKET.{settings.website_domain}, a bucket named like the host, or /BUCKET/)")
    return "\n".join(lines)


def check_upstream_credentials(settings: Settings) -> None:
    """Without --upstream-access-key, the AWS credential chain must find some before start-up."""
    from storage_backends.loader import check_upstream_credentials as check

    try:
        check(settings)
    except RuntimeError as exc:
        raise ConfigError(str(exc)) from None


def fit_open_files(max_connections: int) -> int:
    """Raise the open-file soft limit to what ``max_connections`` need, up to the hard limit (as Go's
    runtime does; nothing here uses select()); the connections that then fit. A process out of
    descriptors cannot open an object's file: requests would fail, where a connection over the cap
    is only asked to retry."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = max_connections * FDS_PER_CONNECTION + FD_RESERVE
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):  # e.g. above macOS's kern.maxfilesperproc: keep the limit we have
            pass
    if soft == resource.RLIM_INFINITY:
        return max_connections
    reserve = min(FD_RESERVE, soft // 4)
    return max(1, min(max_connections, (soft - reserve) // FDS_PER_CONNECTION))


def log_config() -> dict[str, object]:
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["s3gate"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "usage":
        from gateway.observe import usage_cli

        return usage_cli.main(args)
    if args.command == "metadata":
        from gateway import metadata_cli

        return metadata_cli.main(args)
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
    max_connections = fit_open_files(settings.max_connections)
    print(banner(settings), flush=True)
    if max_connections < settings.max_connections:
        print(f"s3gate: warning: the open-file limit (ulimit -n) leaves room for {max_connections} connections "
              f"per worker, not {settings.max_connections}: --max-connections is {max_connections}", flush=True)

    from gateway import http_protocol

    options: dict[str, Any] = {
        "ssl_certfile": settings.certfile,
        "ssl_keyfile": settings.keyfile,
        "loop": "uvloop",
        "http": http_protocol.configured(max_connections, settings.header_timeout),  # httptools, and S3's refusals
        "ws": "none",  # S3 has no WebSocket: an Upgrade is answered as plain HTTP (and websockets is never imported)
        "lifespan": "on",
        "server_header": False,
        "access_log": False,
        "log_config": log_config(),
        "timeout_keep_alive": 30,
        "proxy_headers": False,  # client addresses are not used; skip the middleware on every request
    }
    ports = (settings.port,) if settings.website_port is None else (settings.port, settings.website_port)
    # Before the app (and so prometheus_client) is imported: every process's metrics go to one directory.
    metrics_dir = multiproc.prepare(os.environ)
    try:
        if settings.workers > 1 or settings.notify_targets:  # events: delivery has a process of its own
            from gateway import workers

            return workers.serve(settings.workers, settings.host, ports, options, settings.backend,
                                 events=settings if settings.notify_targets else None)

        import uvicorn

        if len(ports) == 1:
            uvicorn.run("gateway.app:create_app", factory=True, host=settings.host, port=settings.port, **options)
            return 0
        return serve_sockets(settings.host, ports, options)
    finally:
        multiproc.remove(metrics_dir)


def serve_sockets(host: str, ports: tuple[int, ...], options: dict[str, Any]) -> int:
    """One uvicorn server on several listeners (the S3 API and the website endpoint; the app tells them
    apart by the port a connection came in on); 3 if the application did not start, as ``uvicorn.run``."""
    import uvicorn

    from gateway.workers import listen

    try:
        sockets = [listen(host, port) for port in ports]
    except OSError as exc:
        print(f"s3gate: error: cannot listen on {host} ports {', '.join(map(str, ports))}: {exc}", file=sys.stderr)
        return 1
    server = uvicorn.Server(uvicorn.Config("gateway.app:create_app", factory=True, host=host, port=ports[0],
                                           **options))
    server.run(sockets=sockets)
    return 0 if server.started else 3
