"""The catalog's SQL, one module per table family; functions take an Executor/Tx and return records.

Written for the SQLite dialect (``?`` placeholders, ``:name`` ones in ``listing``, ``RETURNING``,
``lastrowid``); a PostgreSQL dialect would rewrite placeholders, replace the few SQLite-only spots
and define the two SQL functions the delimiter walk calls (see ``listing``).
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
