"""The catalog's SQL, one module per table family; functions take an Executor/Tx and return records.

One text for both dialects: SQLite's placeholders (``?``, and ``:name`` in ``listing``), which the
PostgreSQL dialect rewrites (``pg_connection.pg_sql``); SQL both speak (``RETURNING id``, ``ON CONFLICT``,
``CASE`` rather than ``iif`` or sums of booleans); the two SQL functions the delimiter walk calls are
each dialect's (see ``listing``). Functions that change a bucket's row or configuration record it in
``tx.changed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage_backends.catalog.store import Executor


def one(ex: Executor, sql: str, args: Sequence[Any]) -> Any:
    """The first row or None; fetchall ends a read transaction on a read connection."""
    rows = ex.execute(sql, args).fetchall()
    return rows[0] if rows else None


def marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))
