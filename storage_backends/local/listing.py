"""Prefix/delimiter pagination over an ordered index, as S3 lists keys, versions and uploads.

The index is read in key order through ``fetch``; a key that contains the delimiter after the
prefix folds into a common prefix. The catalog does the skipping (``fold``): it returns one row
per common prefix, jumping past the keys under it with one indexed seek, so every row fetched
is an entry of the page and a page is one fetch of ``limit + 1`` rows (the last one says whether
the page is truncated), whether it shows 1,000 keys or 1,000 prefixes of a million keys.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from storage_backends.catalog.records import Fold, successor

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
    fetch: Callable[[C, int, Fold | None], Awaitable[Sequence[R]]],
    key_of: Callable[[R], str],
    at_key: Callable[[str], C],
    *,
    start: C,
    marker: str,
    prefix: str,
    delimiter: str,
    limit: int,
) -> Page[R]:
    """One page of at most ``limit`` rows + common prefixes.

    ``await fetch(cursor, n, fold)`` returns up to n rows from ``cursor`` in index order, all under
    ``prefix``, one per common prefix; ``at_key(k)`` is the cursor just before the first row whose
    key is >= k. ``marker`` is the client's position (a key or a common prefix already returned):
    the common prefix that contains it is not repeated.
    """
    fold = Fold(len(prefix), delimiter) if delimiter else None
    own = fold.common(marker) if fold and marker.startswith(prefix) else None
    if own is not None:
        past = successor(own)
        if past is None:
            return Page([], [], False, None)
        start = at_key(past)
    rows: list[R] = []
    prefixes: list[str] = []
    last: R | str | None = None
    for row in await fetch(start, max(limit, 0) + 1, fold):
        if len(rows) + len(prefixes) >= limit:
            return Page(rows, prefixes, True, last)
        common = fold.common(key_of(row)) if fold else None
        if common is None:
            rows.append(row)
            last = row
        else:
            prefixes.append(common)
            last = common
    return Page(rows, prefixes, False, last)
