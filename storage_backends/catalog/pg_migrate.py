"""Schema migrations of a PostgreSQL catalog, applied once however many gateways start together.

The version lives in a one-row table, ``s3gate_schema``: a migrator locks that row (``FOR UPDATE``,
a row lock: distributed PostgreSQL-compatible databases have no advisory locks) and applies the
scripts past its version in the same transaction, so the others wait, then find nothing to do.
Two first starts may race to create that table (or the schema): the loser's unique violation on
PostgreSQL's catalogs is retried.
"""

from __future__ import annotations

import hashlib
import random
import time
from importlib import resources
from typing import Any

import psycopg
from psycopg import errors, sql

ATTEMPTS = 20
RACES = (errors.UniqueViolation, errors.DuplicateObject, errors.DuplicateTable, errors.SerializationFailure,
         errors.DeadlockDetected)


def scripts() -> list[tuple[int, str]]:
    """(number, SQL text) of every migration in ``schema/postgresql``, in order."""
    folder = resources.files("storage_backends.catalog").joinpath("schema").joinpath("postgresql")
    return sorted((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8"))
                  for entry in folder.iterdir() if entry.name.endswith(".sql"))


def migrate(conn: psycopg.Connection[Any]) -> int:
    """Create or upgrade the schema on ``conn`` (autocommit); the version it is at."""
    for attempt in range(ATTEMPTS):
        try:
            _ensure_schema(conn)
            with conn.transaction():
                conn.execute("CREATE TABLE IF NOT EXISTS s3gate_schema "
                             "(id INTEGER PRIMARY KEY, version INTEGER NOT NULL)")
                conn.execute("INSERT INTO s3gate_schema (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING")
            with conn.transaction():
                row = conn.execute("SELECT version FROM s3gate_schema WHERE id = 1 FOR UPDATE").fetchone()
                version = int(row[0]) if row else 0
                for number, script in scripts():
                    if number > version:
                        conn.execute(script.encode())  # no parameters: the whole script in one round trip
                        version = number
                conn.execute("UPDATE s3gate_schema SET version = %s WHERE id = 1", (version,))
            return version
        except RACES:
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
    raise AssertionError("unreachable")


def _ensure_schema(conn: psycopg.Connection[Any]) -> None:
    """Create the first schema of the search path (``options=-csearch_path=NAME`` in the URL) if missing."""
    if conn.execute("SELECT current_schema()").fetchone()[0] is not None:  # type: ignore[index]
        return
    path = str(conn.execute("SHOW search_path").fetchone()[0])  # type: ignore[index]
    first = path.split(",")[0].strip().strip('"')
    if first and first != "$user":
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(first)))


def channel(conn: psycopg.Connection[Any]) -> str:
    """The LISTEN/NOTIFY channel of this catalog: per database and schema (NOTIFY is per database)."""
    row = conn.execute("SELECT current_database(), current_schema()").fetchone()
    assert row is not None
    return "s3gate_" + hashlib.sha256(f"{row[0]}\0{row[1]}".encode()).hexdigest()[:24]
