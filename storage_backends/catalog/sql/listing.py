"""Listing pages over an ordered index: a range scan, and with a delimiter a walk that skips.

A delimiter listing shows each common prefix once however many keys it holds, so reading the
rows under a prefix would cost as much as the keys there. A page is read by a range scan up to
the first row that folds into a common prefix (a folder's own files: the whole page), then by
one recursive statement that walks the index a row at a time: after a row that folds it seeks
straight past its common prefix, after any other row it takes the next row in listing order.
So a page of n entries costs about n index reads in at most two statements (two round trips on
a networked dialect), whatever the number of keys under the prefixes.

The dialect provides two SQL functions: ``s3gate_fold(key, start, delimiter)`` (records.common_prefix)
and ``s3gate_successor(text)`` (records.successor).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage_backends.catalog.records import Fold, successor
from storage_backends.catalog.store import Cursor, Executor


@dataclass(frozen=True, slots=True)
class Order:
    """One listing order of a table: which rows, in what order, and how rows of one key follow each other.

    ``same_key`` is the condition for the rows of a key that come after a given row of it, written with
    ``{r}`` before each column of that row (``t.`` for a row of the walk, ``:`` for the cursor's
    parameters); None when a key has one row only.
    """

    table: str
    ref: str  # the column naming a row
    columns: str  # what a listing returns of a row (``key`` among them)
    rows: str  # the WHERE condition of the rows listed (parameter ``:bucket``)
    order: str
    same_key: str | None = None

    def seek(self, bound: str, upper: str) -> str:
        """The first row whose key satisfies ``key {bound}``."""
        return (f"SELECT {self.ref} FROM {self.table} WHERE {self.rows} AND key {bound}{upper} "
                f"ORDER BY {self.order} LIMIT 1")

    def after(self, upper: str) -> str:
        """The row after the walk's row ``t``: the key's next row, else the next key's first."""
        next_key = self.seek("> t.key", upper)
        if self.same_key is None:
            return next_key
        return f"coalesce(({self.seek('= t.key AND ' + self.same_key.format(r='t.'), '')}), ({next_key}))"


_PAST = ">= s3gate_successor(s3gate_fold(t.key, :fold_start, :delimiter))"  # past the common prefix of row t


def page(ex: Executor, order: Order, bucket: str, cursor: dict[str, object], at_start: bool,
         upper: str | None, fold: Fold | None, limit: int) -> list[Any]:
    """Up to ``limit`` rows in ``order`` from the cursor (at ``:key``'s first row if ``at_start``, else
    after the row ``cursor`` names) and below ``upper``; with ``fold``, one row per common prefix."""
    params: dict[str, object] = {**cursor, "bucket": bucket, "limit": limit, "upper": upper}
    below = " AND key < :upper" if upper is not None else ""
    if at_start:
        start = "key >= :key"
    elif order.same_key is None:
        start = "key > :key"
    else:
        start = f"(key > :key OR (key = :key AND {order.same_key.format(r=':')}))"
    scan = ex.execute(f"SELECT {order.columns} FROM {order.table} WHERE {order.rows} AND {start}{below} "
                      f"ORDER BY {order.order} LIMIT :limit", params)
    if fold is None:
        return scan.fetchall()
    rows, past = _until_fold(scan, [c.strip() for c in order.columns.split(",")].index("key"), fold)
    if past is None or len(rows) >= limit:
        return rows
    params.update(key=past, limit=limit - len(rows), fold_start=fold.start, delimiter=fold.delimiter)
    walk = (f"WITH RECURSIVE walk(n, ref) AS (SELECT 0, ({order.seek('>= :key', below)}) UNION ALL "
            f"SELECT n + 1, CASE WHEN s3gate_fold(t.key, :fold_start, :delimiter) IS NULL "
            f"THEN ({order.after(below)}) ELSE ({order.seek(_PAST, below)}) END "
            f"FROM walk JOIN {order.table} AS t ON t.{order.ref} = walk.ref WHERE n + 1 < :limit) "
            f"SELECT {order.columns} FROM walk JOIN {order.table} ON {order.table}.{order.ref} = walk.ref "
            f"ORDER BY n")
    return rows + ex.execute(walk, params).fetchall()


def _until_fold(scan: Cursor, key_at: int, fold: Fold) -> tuple[list[Any], str | None]:
    """The scan's rows up to the first that folds into a common prefix (read no further), and the
    smallest key past that prefix; None when no row folds or nothing can follow the prefix."""
    rows = []
    try:
        for row in scan:
            rows.append(row)
            common = fold.common(row[key_at])
            if common is not None:
                return rows, successor(common)
    finally:
        scan.close()  # ends the statement (and its read transaction) where the page needs no more
    return rows, None
