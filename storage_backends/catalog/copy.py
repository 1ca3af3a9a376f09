"""``s3gate metadata copy``: a data dir's SQLite metadata into an empty PostgreSQL catalog, verified.

Moving a deployment to several gateways moves only rows: the blobs stay where they are (the data dir
becomes the shared one). One SQLite read transaction is the snapshot; one PostgreSQL transaction takes
every row (COPY), advances the id sequences past the copied ids (ids order versions and events, so new
ones must come after every old one) and compares each table's row count and SHA-256 before it commits:
a failed copy leaves the target as empty as it found it. :func:`verify` compares again later (before
the gateways write to the target). Both sides are digested in the source's primary-key order, in
byte order (``COLLATE "C"``, whatever the database's collation), each row as the typed Python values
both drivers return for it (``Digest``).
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from storage_backends.catalog.pg_connection import CONNECT_TIMEOUT_S, SCHEMES, first_line, redact
from storage_backends.catalog.sqlite import schema_version
from storage_backends.catalog.sqlite_writer import connect

# Leases name the processes that hold them: none of them survives the move.
SKIPPED = frozenset({"leases"})
# The target's own migrations seed settings (usage_since_ms, ...): the source's rows replace the ones
# of the same name, the others stay, and only the copied names are compared.
MERGED = frozenset({"settings"})
# The target's column types the copy knows: those whose values psycopg reads back as the Python type
# SQLite gives the same column (int, float, bytes, str). Text sorts by COLLATE "C" (byte order).
TYPES = frozenset({"int2", "int4", "int8", "float4", "float8", "bytea", "text", "varchar"})
TEXT = frozenset({"text", "varchar"})


class CopyError(RuntimeError):
    """A refusal or a failure, said in a sentence (the command prints it, never a traceback)."""


@dataclass(frozen=True)
class Column:
    name: str
    udt: str  # the target's type name (int8, text, bytea, ...): the COPY's type for the column

    @property
    def text(self) -> bool:
        return self.udt in TEXT


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]  # the source's columns, with the target's types
    order: tuple[Column, ...]  # the source's primary key (every column when it has none)


@dataclass(frozen=True)
class TableCheck:
    table: str
    source_rows: int
    target_rows: int
    source_sha256: str
    target_sha256: str

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_sha256 == self.target_sha256


@dataclass
class Outcome:
    checks: list[TableCheck] = field(default_factory=list)
    sequences: dict[str, int] = field(default_factory=dict)  # "table.column" -> the last id handed out
    seeded: list[str] = field(default_factory=list)  # the target's own settings rows, kept
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


class Digest:
    """Row count and SHA-256 of rows fed in order. A row is hashed as its ``repr``: Python's literal syntax
    tells the types apart (``1``, ``1.0``, ``'1'``, ``b'1'``, ``True``, ``None``), quotes and escapes text and
    bytes unambiguously, writes floats exactly; and it is one C call per row."""

    def __init__(self) -> None:
        self.rows = 0
        self._sha = hashlib.sha256()

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows += 1
        self._sha.update(repr(row).encode() + b"\n")

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def copy(data_dir: str, url: str) -> Outcome:
    """Migrate the target's schema, copy every row in one transaction, verify, and commit only if every
    table matched (``Outcome.ok``; else nothing is committed); CopyError refuses or reports a failure."""
    started = time.monotonic()
    check_url(url)
    src = open_source(data_dir)
    outcome = Outcome()
    try:
        migrate_target(url)
        with _connect(url) as dst, dst.transaction():
            tables = _plan(src, dst)
            dst.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
                sql.SQL(", ").join(sql.Identifier(t.name) for t in tables)))
            _refuse_non_empty(dst, tables)
            for table in tables:
                digest = _copy_table(src, dst, table)
                outcome.checks.append(_check(table.name, digest, _digest_target(src, dst, table)))
            outcome.sequences = _advance_sequences(src, dst, tables)
            outcome.seeded = _seeded_settings(src, dst)
            if not outcome.ok:
                raise psycopg.Rollback()  # the transaction block rolls everything back and ends here
    except (psycopg.Error, sqlite3.Error) as exc:
        raise CopyError(f"copying into {redact(url)} failed: {first_line(exc)}") from None
    finally:
        src.close()
    outcome.seconds = time.monotonic() - started
    return outcome


def verify(data_dir: str, url: str) -> list[TableCheck]:
    """Compare the source with a target copied earlier, table by table (read-only on both sides)."""
    check_url(url)
    src = open_source(data_dir)
    try:
        with _connect(url) as dst, dst.transaction():
            dst.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            checks = []
            for table in _plan(src, dst):
                digest = Digest()
                for row in _source_rows(src, table):
                    digest.add(row)
                checks.append(_check(table.name, digest, _digest_target(src, dst, table)))
            return checks
    except (psycopg.Error, sqlite3.Error) as exc:
        raise CopyError(f"comparing with {redact(url)} failed: {first_line(exc)}") from None
    finally:
        src.close()


def check_url(url: str) -> None:
    if urlsplit(url).scheme not in SCHEMES:
        raise CopyError(f"--to must be a postgresql://USER@HOST:PORT/DB URL, not {redact(url)!r}")


def open_source(data_dir: str) -> sqlite3.Connection:
    """``DATA_DIR/metadata.db`` at this code's schema version, inside a read transaction: the snapshot."""
    path = Path(data_dir) / "metadata.db"
    if not path.is_file():
        raise CopyError(f"{path} does not exist: --from must be an s3gate data directory")
    try:
        src = connect(str(path), readonly=True)
        version = src.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as exc:
        raise CopyError(f"{path} is not a readable SQLite database: {exc}") from None
    expected = schema_version()
    if version != expected:
        src.close()
        hint = ("start this version of s3gate on it once (it upgrades the schema), stop it, then copy"
                if version < expected else "copy it with the s3gate version that made it")
        raise CopyError(f"{path} is at schema version {version}, this s3gate's is {expected}: {hint}")
    src.execute("BEGIN")
    src.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # the read snapshot starts here
    return src


def migrate_target(url: str) -> None:
    """Create or upgrade the target's schema with the PostgreSQL dialect's own migrations."""
    from storage_backends.catalog.pg_migrate import migrate

    try:
        with _connect(url, autocommit=True) as conn:
            version = migrate(conn)
    except psycopg.Error as exc:
        raise CopyError(f"cannot prepare {redact(url)}: {first_line(exc)}") from None
    if version != schema_version():
        raise CopyError(f"{redact(url)} is at schema version {version}, this s3gate's is {schema_version()}: "
                        "copy with the s3gate version that made it")


def _connect(url: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as exc:
        raise CopyError(f"cannot connect to {redact(url)}: {first_line(exc)}") from None


def _plan(src: sqlite3.Connection, dst: psycopg.Connection[Any]) -> list[Table]:
    """The source's tables, each column typed by the target's; CopyError where the schemas disagree."""
    target: dict[str, dict[str, tuple[str, bool]]] = {}
    for table, column, udt, optional in dst.execute(
            "SELECT table_name, column_name, udt_name, is_nullable = 'YES' OR column_default IS NOT NULL "
            "FROM information_schema.columns WHERE table_schema = current_schema()"):
        target.setdefault(table, {})[column] = (udt, optional)
    names = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                       "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")]
    tables = []
    for name in names:
        if name in SKIPPED:
            continue
        info = src.execute(f'PRAGMA table_info("{name}")').fetchall()  # (cid, name, type, notnull, default, pk)
        theirs = target.get(name)
        if theirs is None:
            raise CopyError(f"the target has no table {name!r}: its schema is not this s3gate's")
        missing = [r[1] for r in info if r[1] not in theirs]
        required = [c for c, (_, optional) in theirs.items() if not optional and c not in {r[1] for r in info}]
        if missing or required:
            raise CopyError(f"table {name!r} has other columns in the target ({', '.join(missing + required)})")
        unknown = [f"{r[1]} {theirs[r[1]][0]}" for r in info if theirs[r[1]][0] not in TYPES]
        if unknown:
            raise CopyError(f"table {name!r}: column types the copy does not know: {', '.join(unknown)}")
        columns = {r[1]: Column(r[1], theirs[r[1]][0]) for r in info}
        key = [columns[r[1]] for r in sorted(info, key=lambda r: r[5]) if r[5]] or list(columns.values())
        tables.append(Table(name, tuple(columns.values()), tuple(key)))
    return tables


def _refuse_non_empty(dst: psycopg.Connection[Any], tables: list[Table]) -> None:
    held = {}
    for table in tables:
        if table.name not in MERGED:
            rows = dst.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(table.name))).fetchone()
            if rows and rows[0]:
                held[table.name] = rows[0]
    if held:
        shown = [name for name in ("buckets", "objects") if name in held] or list(held)[:1]
        more = len(held) - len(shown)
        what = ", ".join(f"{name}: {held[name]} rows" for name in shown) + (f", {more} more tables" if more else "")
        raise CopyError(f"the target already holds metadata ({what}): copy into an empty database")


def _source_rows(src: sqlite3.Connection, table: Table) -> Iterator[tuple[Any, ...]]:
    """The table's rows in canonical order (SQLite's BINARY collation is byte order; NULLs sort first).

    The values pass as SQLite returns them: the columns' affinities give each the Python type psycopg
    reads back from the target's column (int, float, str, bytes). A value of another type would be
    refused by the typed COPY, or would differ in the digests: never converted quietly."""
    columns = ", ".join(f'"{c.name}"' for c in table.columns)
    order = ", ".join(f'"{c.name}" COLLATE BINARY NULLS FIRST' for c in table.order)
    return iter(src.execute(f'SELECT {columns} FROM "{table.name}" ORDER BY {order}'))


def _merged_keys(src: sqlite3.Connection, table: Table) -> list[Any]:
    """The names (first key column) of a merged table's source rows."""
    key = table.order[0]
    return [r[0] for r in src.execute(f'SELECT "{key.name}" FROM "{table.name}"')]


def _copy_table(src: sqlite3.Connection, dst: psycopg.Connection[Any], table: Table) -> Digest:
    digest = Digest()
    if table.name in MERGED:
        dst.execute(sql.SQL("DELETE FROM {} WHERE {} = ANY(%s)").format(
            sql.Identifier(table.name), sql.Identifier(table.order[0].name)), (_merged_keys(src, table),))
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns))
    try:
        with dst.cursor() as cur, cur.copy(statement) as pipe:
            pipe.set_types([c.udt for c in table.columns])
            for row in _source_rows(src, table):
                pipe.write_row(row)
                digest.add(row)
    except psycopg.Error as exc:
        raise CopyError(f"copying table {table.name!r} failed: {first_line(exc)}") from None
    return digest


def _digest_target(src: sqlite3.Connection, dst: psycopg.Connection[Any], table: Table) -> Digest:
    """The target's rows in the same order (``COLLATE "C"``: byte order, whatever the database's)."""
    order = sql.SQL(", ").join(
        sql.SQL("{} COLLATE \"C\" NULLS FIRST" if c.text else "{} NULLS FIRST").format(
            sql.Identifier(c.name)) for c in table.order)
    query = sql.SQL("SELECT {} FROM {}").format(
        sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns), sql.Identifier(table.name))
    params: tuple[Any, ...] = ()
    if table.name in MERGED:  # only the rows the source has a name for
        query += sql.SQL(" WHERE {} = ANY(%s)").format(sql.Identifier(table.order[0].name))
        params = (_merged_keys(src, table),)
    digest = Digest()
    with dst.cursor(name=f"digest_{table.name}") as cur:
        cur.itersize = 5000
        cur.execute(query + sql.SQL(" ORDER BY ") + order, params)
        for row in cur:
            digest.add(tuple(row))
    return digest


def _check(name: str, source: Digest, target: Digest) -> TableCheck:
    return TableCheck(name, source.rows, target.rows, source.hexdigest(), target.hexdigest())


def _advance_sequences(src: sqlite3.Connection, dst: psycopg.Connection[Any], tables: list[Table]
                       ) -> dict[str, int]:
    """Each serial/identity column's sequence set past the highest id copied, and past SQLite's
    AUTOINCREMENT high-water mark (an id once used, even by a deleted row, is never handed out again)."""
    used = dict(src.execute("SELECT name, seq FROM sqlite_sequence").fetchall()) if src.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone() else {}
    copied = {t.name: {c.name for c in t.columns} for t in tables}
    advanced = {}
    for table, column, sequence in dst.execute(
            "SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), column_name) "
            "FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL").fetchall():
        if column not in copied.get(table, ()):
            continue
        row = dst.execute(sql.SQL("SELECT MAX({}) FROM {}").format(sql.Identifier(column), sql.Identifier(table)))
        high = max(int((row.fetchone() or (0,))[0] or 0), int(used.get(table, 0)))
        if high:
            dst.execute("SELECT setval(%s, %s)", (sequence, high))
            advanced[f"{table}.{column}"] = high
    return advanced


def _seeded_settings(src: sqlite3.Connection, dst: psycopg.Connection[Any]) -> list[str]:
    ours = {r[0] for r in src.execute("SELECT name FROM settings")}
    return sorted(r[0] for r in dst.execute("SELECT name FROM settings") if r[0] not in ours)
