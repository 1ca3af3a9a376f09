"""Listing pages over an ordered index: a range scan, or with a delimiter a walk that skips.

A plain page is one range scan. A delimiter listing shows each common prefix once however many
keys it holds, so reading its rows would cost as much as the keys under the prefixes. Instead
one recursive statement walks the index a row at a time: after a row whose key folds into a
common prefix it seeks straight past that prefix, after any other row it takes the next row in
listing order. A page of n entries costs about n index seeks and one statement (one round trip
on a networked dialect), whatever the number of keys below.

The dialect provides two SQL functions: ``s3gate_fold(key, start, delimiter)`` (records.common_prefix)
and ``s3gate_successor(text)`` (records.successor).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage_backends.catalog.records import Fold
from storage_backends.catalog.store import Executor


@dataclass(frozen=True, slots=True)
class Order:
    """One listing order of a table: which rows, in what order, and how rows of one key follow each other.

    ``same_key`` is the condition for the rows of a key that come after a given row of it, written with
    ``{r}`` before each column of that row (``t.`` for a row of the walk, ``:`` for the cursor's
    parameters); None when a key has one row only.
    """

    table: str
    ref: str  # the column naming a row
    rows: str  # the WHERE condition of the rows listed (parameter ``:bucket``)
    order: str
    same_key: str | None = None

    def seek(self, bound: str, upper: str) -> str:
        """The first row whose key satisfies ``key {bound}``."""
        return (f"SELECT {self.ref} FROM {self.table} WHERE {self.rows} AND key {bound}{upper} "
                f"ORDER BY {self.order} LIMIT 1")

    def after(self, r: str, upper: str) -> str:
        """The row after a row (its columns prefixed with ``r``): the key's next row, else the next key's first."""
        next_key = self.seek(f"> {r}key", upper)
        if self.same_key is None:
            return next_key
        return f"coalesce(({self.seek('= ' + r + 'key AND ' + self.same_key.format(r=r), '')}), ({next_key}))"


_PAST = ">= s3gate_successor(s3gate_fold(t.key, :fold_start, :delimiter))"  # past the common prefix of row t


def page(ex: Executor, order: Order, columns: str, bucket: str, cursor: dict[str, object], at_start: bool,
         upper: str | None, fold: Fold | None, limit: int) -> list[Any]:
    """Up to ``limit`` rows in ``order`` from the cursor (at ``:key``'s first row if ``at_start``, else
    after the row ``cursor`` names) and below ``upper``; with ``fold``, one row per common prefix."""
    params: dict[str, object] = {**cursor, "bucket": bucket, "limit": limit, "upper": upper}
    below = " AND key < :upper" if upper is not None else ""
    if fold is None:
        if at_start:
            start = "key >= :key"
        else:
            start = "(key > :key OR (key = :key AND " + order.same_key.format(r=":") + "))" if order.same_key \
                else "key > :key"
        return ex.execute(f"SELECT {columns} FROM {order.table} WHERE {order.rows} AND {start}{below} "
                          f"ORDER BY {order.order} LIMIT :limit", params).fetchall()
    params.update(fold_start=fold.start, delimiter=fold.delimiter)
    first = order.seek(">= :key", below) if at_start else order.after(":", below)
    sql = (f"WITH RECURSIVE walk(n, ref) AS (SELECT 0, ({first}) UNION ALL "
           f"SELECT n + 1, CASE WHEN s3gate_fold(t.key, :fold_start, :delimiter) IS NULL "
           f"THEN ({order.after('t.', below)}) ELSE ({order.seek(_PAST, below)}) END "
           f"FROM walk JOIN {order.table} AS t ON t.{order.ref} = walk.ref WHERE n + 1 < :limit) "
           f"SELECT {columns} FROM walk JOIN {order.table} ON {order.table}.{order.ref} = walk.ref ORDER BY n")
    return ex.execute(sql, params).fetchall()
