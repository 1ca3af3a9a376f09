"""Prefix/delimiter pagination over an ordered index, as S3 lists keys, versions and uploads.

The index is read in key order through ``fetch``; a key that contains the delimiter after the
prefix folds into a common prefix, and the scan then jumps past every key under that prefix
with one indexed seek (``successor``) instead of reading them. A page of 1,000 entries from a
bucket of millions of keys therefore reads about 1,000 index entries, never the whole bucket.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from storage_backends.catalog.records import successor

__all__ = ["Page", "paginate", "successor"]

R = TypeVar("R")
C = TypeVar("C")


@dataclass(slots=True)
class Page(Generic[R]):
    rows: list[R]
    common_prefixes: list[str]
    is_truncated: bool
    last: R | str | None  # the last row or common prefix put on the page


async def paginate(
    fetch: Callable[[C, int], Awaitable[Sequence[R]]],
    key_of: Callable[[R], str],
    after_row: Callable[[R], C],
    at_key: Callable[[str], C],
    *,
    start: C,
    marker: str,
    prefix: str,
    delimiter: str,
    limit: int,
) -> Page[R]:
    """One page of at most ``limit`` rows + common prefixes.

    ``await fetch(cursor, n)`` returns up to n rows after ``cursor`` in index order, all under
    ``prefix``; ``after_row(row)`` is the cursor just past a row; ``at_key(k)`` is the cursor
    just before the first row whose key is >= k. ``marker`` is the client's position (a key or
    a common prefix already returned): a common prefix that contains it is not repeated.
    """
    rows: list[R] = []
    prefixes: list[str] = []
    last: R | str | None = None
    cursor = start
    batch = min(max(limit, 1) + 1, 1001)  # a full page and the row that says whether it is the last
    while True:
        fetched = await fetch(cursor, batch)
        if not fetched:
            return Page(rows, prefixes, False, last)
        for row in fetched:
            key = key_of(row)
            common = None
            if delimiter:
                at = key.find(delimiter, len(prefix))
                if at >= 0:
                    common = key[: at + len(delimiter)]
            if common is not None:
                nxt = successor(common)
                if not (marker and marker.startswith(common)):
                    if len(rows) + len(prefixes) >= limit:
                        return Page(rows, prefixes, True, last)
                    prefixes.append(common)
                    last = common
                if nxt is None:
                    return Page(rows, prefixes, False, last)
                cursor = at_key(nxt)
                break  # re-seek past everything under this common prefix
            if len(rows) + len(prefixes) >= limit:
                return Page(rows, prefixes, True, last)
            rows.append(row)
            last = row
            cursor = after_row(row)
        else:
            if len(fetched) < batch:
                return Page(rows, prefixes, False, last)
