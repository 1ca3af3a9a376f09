"""``s3gate metadata copy|verify``: move a data dir's SQLite metadata into PostgreSQL, where several
gateways can share it (README: Several gateways on one PostgreSQL), and check a copy made earlier."""

from __future__ import annotations

import argparse
import os
import sys

from storage_backends import loader

DESCRIPTIONS = {  # command -> (its help line, its description)
    "copy": ("copy a data dir's metadata into an empty PostgreSQL database, verified",
             "Copy DATA_DIR/metadata.db (one consistent snapshot; stop the gateways first) into an empty "
             "PostgreSQL database, in one transaction, after migrating its schema; then compare every table's "
             "row count and SHA-256 on both sides, and commit only if all match. The blobs stay in DATA_DIR: "
             "it becomes the --data-dir every gateway shares."),
    "verify": ("compare a data dir's metadata with the database it was copied into",
               "Compare every table's row count and SHA-256 between DATA_DIR/metadata.db and a database it was "
               "copied into (before any gateway writes to the database)."),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="metadata_command", metavar="COMMAND", required=True)
    for name, (summary_line, description) in DESCRIPTIONS.items():
        command = commands.add_parser(name, help=summary_line, description=description)
        command.add_argument("--from", dest="source", metavar="DATA_DIR", required=True,
                             help="the data directory whose metadata.db is copied")
        command.add_argument("--to", dest="target", metavar="URL", default=os.environ.get("S3GATE_METADATA_URL"),
                             help="postgresql://USER@HOST:PORT/DB [env S3GATE_METADATA_URL]")


def summary(checks: list[loader.TableCheck]) -> str:
    lines = [f"{'table':<22} {'source rows':>11} {'target rows':>11}  {'sha-256':<16}  result"]
    for c in checks:
        result = "ok" if c.ok else f"MISMATCH (target sha-256 {c.target_sha256[:16]})"
        lines.append(f"{c.table:<22} {c.source_rows:>11} {c.target_rows:>11}  {c.source_sha256[:16]}  {result}")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    command = f"s3gate metadata {args.metadata_command}"
    if not args.target:
        print(f"{command}: error: --to postgresql://USER@HOST:PORT/DB is required (or S3GATE_METADATA_URL)",
              file=sys.stderr)
        return 2
    try:
        if args.metadata_command == "copy":
            outcome = loader.copy_metadata(args.source, args.target)
            checks = outcome.checks
        else:
            checks = loader.verify_metadata(args.source, args.target)
    except RuntimeError as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return 1
    print(summary(checks))
    bad = [c.table for c in checks if not c.ok]
    if bad:
        undone = "; nothing was committed" if args.metadata_command == "copy" else ""
        print(f"{command}: error: the target differs from the source in {', '.join(bad)}{undone}", file=sys.stderr)
        return 1
    rows = sum(c.source_rows for c in checks)
    if args.metadata_command == "copy":
        if outcome.sequences:
            print("sequences advanced: " + ", ".join(f"{k} to {v}" for k, v in outcome.sequences.items()))
        if outcome.seeded:
            print("the target's own settings kept: " + ", ".join(outcome.seeded))
        print(f"copied {rows} rows of {len(checks)} tables in {outcome.seconds:.1f} s; every table verified "
              "(row count and SHA-256), committed")
    else:
        print(f"{rows} rows of {len(checks)} tables: the target matches the source")
    return 0
