"""The lifecycle pass's due-work queries, and the re-checks its writes make before applying them.

Every query reads an index ordered by the time that makes work due (``last_modified``,
``noncurrent_since``, ``initiated``), so a pass touches due rows only. The scans return SQL
and arguments; the dialect's snapshot streams them in batches.
"""

from __future__ import annotations

from storage_backends.catalog.records import successor
from storage_backends.catalog.sql import marks, settings
from storage_backends.catalog.store import Tx

Query = tuple[str, tuple[object, ...]]


def _prefix_clause(prefix: str, column: str = "key") -> tuple[str, list[object]]:
    if not prefix:
        return "", []
    upper = successor(prefix)
    if upper is None:
        return f" AND {column} >= ?", [prefix]
    return f" AND {column} >= ? AND {column} < ?", [prefix, upper]


def due_current(bucket: str, prefix: str, cutoff: int, classes: tuple[str, ...]) -> Query:
    """Current versions last modified before ``cutoff`` (index: bucket, storage class, time)."""
    extra, args = _prefix_clause(prefix)
    return (f"SELECT id, key, size, tags FROM objects WHERE bucket = ? AND storage_class IN ({marks(classes)}) "
            f"AND last_modified <= ? AND is_latest = 1 AND delete_marker = 0{extra}",
            (bucket, *classes, cutoff, *args))


def due_noncurrent(bucket: str, prefix: str, cutoff: int, keep: int, classes: tuple[str, ...]) -> Query:
    """Noncurrent versions past ``cutoff``, except the ``keep`` newest noncurrent ones of each key.

    Without ``keep`` this is a range scan of the (bucket, noncurrent_since) index. With it,
    only keys that have a due version are ranked (newest first) to find what to keep.
    """
    extra, args = _prefix_clause(prefix)
    m = marks(classes)
    if not keep:
        return (f"SELECT id, key, size, tags FROM objects WHERE bucket = ? AND noncurrent_since <= ? "
                f"AND is_latest = 0 AND storage_class IN ({m}){extra}", (bucket, cutoff, *classes, *args))
    return (f"SELECT id, key, size, tags FROM (SELECT id, key, size, tags, noncurrent_since, storage_class, "
            f"ROW_NUMBER() OVER (PARTITION BY key ORDER BY id DESC) AS position FROM objects "
            f"WHERE bucket = ? AND is_latest = 0 AND key IN (SELECT key FROM objects WHERE bucket = ? "
            f"AND is_latest = 0 AND noncurrent_since <= ?{extra})) AS ranked "
            f"WHERE position > ? AND noncurrent_since <= ? AND storage_class IN ({m})",
            (bucket, bucket, cutoff, *args, keep, cutoff, *classes))


def lonely_markers(bucket: str, prefix: str) -> Query:
    """Delete markers that are the only version left of their key."""
    extra, args = _prefix_clause(prefix, "o.key")
    return (f"SELECT o.id, o.key FROM objects o WHERE o.bucket = ? AND o.is_latest = 1 AND o.delete_marker = 1"
            f"{extra} AND NOT EXISTS (SELECT 1 FROM objects n WHERE n.bucket = o.bucket AND n.key = o.key "
            f"AND n.id <> o.id)", (bucket, *args))


def due_uploads(bucket: str, prefix: str, cutoff: int) -> Query:
    extra, args = _prefix_clause(prefix)
    return (f"SELECT upload_id, key FROM uploads WHERE bucket = ? AND initiated <= ?{extra}",
            (bucket, cutoff, *args))


# -- re-checks (inside the write that applies a batch) -----------------------------------------------
def still_removable_noncurrent(tx: Tx, ids: list[int]) -> list[int]:
    """Of these versions, those still noncurrent and not protected by Object Lock (no lifecycle rule
    bypasses a retention or a legal hold: the version stays, and is due again at the next pass)."""
    return [r[0] for r in tx.execute(
        f"SELECT id FROM objects WHERE id IN ({marks(ids)}) AND is_latest = 0 "
        "AND (legal_hold IS NULL OR legal_hold <> 1) AND (lock_until IS NULL OR lock_until <= ?)",
        (*ids, settings.now_ms(tx)))]


def still_lonely_markers(tx: Tx, ids: list[int]) -> list[int]:
    return [r[0] for r in tx.execute(
        f"SELECT o.id FROM objects o WHERE o.id IN ({marks(ids)}) AND o.is_latest = 1 AND o.delete_marker = 1 AND "
        "NOT EXISTS (SELECT 1 FROM objects n WHERE n.bucket = o.bucket AND n.key = o.key AND n.id <> o.id)", ids)]


def still_current(tx: Tx, ids: list[int]) -> dict[int, str]:
    """Of these versions, the ones still current and not delete markers: id -> key."""
    return {r[0]: r[1] for r in tx.execute(
        f"SELECT id, key FROM objects WHERE id IN ({marks(ids)}) AND is_latest = 1 AND delete_marker = 0", ids)}
