"""The blobs and garbage tables: reference-counted bodies, and freed files awaiting deletion.

A blob whose last reference goes is deleted here and, if it is a file, queued in ``garbage``
and on ``tx.freed``: the catalog deletes the file after the commit, and recovery finishes the
deletions a crash interrupted.
"""

from __future__ import annotations

from storage_backends.catalog.records import BlobRecord
from storage_backends.catalog.sql import marks, one
from storage_backends.catalog.store import Executor, Tx


def get(ex: Executor, blob_id: str) -> BlobRecord | None:
    row = one(ex, "SELECT id, size, volume, data FROM blobs WHERE id = ?", (blob_id,))
    return BlobRecord(row[0], row[1], row[2], row[3]) if row else None


def file_blobs(ex: Executor) -> set[tuple[str, str]]:
    """(blob id, volume) of every blob kept as a file."""
    return {(r[0], r[1]) for r in ex.execute("SELECT id, volume FROM blobs WHERE data IS NULL")}


def to_move(ex: Executor, object_ids: list[int], target: str) -> list[tuple[str, str]]:
    """(blob id, volume) of the file blobs of these versions that are not in volume ``target``."""
    m = marks(object_ids)
    rows = ex.execute(
        f"SELECT b.id, b.volume FROM blobs b WHERE b.data IS NULL AND b.volume <> ? AND b.id IN ("
        f"SELECT blob_id FROM objects WHERE id IN ({m}) AND blob_id IS NOT NULL UNION "
        f"SELECT blob_id FROM object_parts WHERE object_id IN ({m}))",
        (target, *object_ids, *object_ids)).fetchall()
    return [(r[0], r[1]) for r in rows]


def add(tx: Tx, blob_id: str, size: int, data: bytes | None, volume: str = "") -> None:
    tx.execute("INSERT INTO blobs (id, size, refs, volume, data) VALUES (?, ?, 1, ?, ?)",
               (blob_id, size, volume, data))


def set_volume(tx: Tx, blob_id: str, volume: str) -> None:
    tx.execute("UPDATE blobs SET volume = ? WHERE id = ?", (volume, blob_id))


def ref(tx: Tx, blob_id: str | None) -> None:
    if blob_id is not None:
        tx.execute("UPDATE blobs SET refs = refs + 1 WHERE id = ?", (blob_id,))


def unref(tx: Tx, blob_id: str | None) -> None:
    if blob_id is None:
        return
    row = tx.execute("UPDATE blobs SET refs = refs - 1 WHERE id = ? RETURNING refs, data IS NULL, volume",
                     (blob_id,)).fetchone()
    if row is not None and row[0] <= 0:
        tx.execute("DELETE FROM blobs WHERE id = ?", (blob_id,))
        if row[1]:
            tx.execute("INSERT INTO garbage (blob_id, volume) VALUES (?, ?) ON CONFLICT DO NOTHING",
                       (blob_id, row[2]))
            tx.freed.append(blob_id)


def release_many(tx: Tx, blob_ids: list[str]) -> None:
    """Drop one reference per listed id (an id may repeat); blobs left unreferenced are freed."""
    if not blob_ids:
        return
    counts: dict[str, int] = {}
    for blob_id in blob_ids:
        counts[blob_id] = counts.get(blob_id, 0) + 1
    tx.executemany("UPDATE blobs SET refs = refs - ? WHERE id = ?", [(n, b) for b, n in counts.items()])
    dead = tx.execute(f"SELECT id, volume, data IS NULL FROM blobs WHERE id IN ({marks(list(counts))}) "
                      "AND refs <= 0", list(counts)).fetchall()
    if dead:
        files = [(r[0], r[1]) for r in dead if r[2]]
        tx.executemany("INSERT INTO garbage (blob_id, volume) VALUES (?, ?) ON CONFLICT DO NOTHING", files)
        tx.executemany("DELETE FROM blobs WHERE id = ?", [(r[0],) for r in dead])
        tx.freed.extend(blob_id for blob_id, _ in files)


def refree_pending(tx: Tx) -> int:
    """Put the garbage a crash left behind on ``tx.freed`` again (recovery); returns how many."""
    pending = [r[0] for r in tx.execute("SELECT blob_id FROM garbage").fetchall()]
    tx.freed.extend(pending)
    return len(pending)


def forget_garbage(tx: Tx, blob_ids: list[str]) -> None:
    tx.executemany("DELETE FROM garbage WHERE blob_id = ?", [(b,) for b in blob_ids])
