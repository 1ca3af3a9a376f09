"""The usage tables: stored totals integrated over time, counted events, early removals (issue 16).

Every function that adds, removes or re-classes a version calls :func:`added`, :func:`removed` or
:func:`transitioned` inside its own transaction, so the totals are exactly the versions the catalog
holds (delete markers hold no bytes and are not counted). Rows are keyed by the writer's shard
(``Tx.shard``: its process, or its PostgreSQL connection): a reader sums the shards, and concurrent
writers do not update the same row.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.wire.lifecycle_rules import DAY_MS
from storage_backends.catalog.sql import one, settings
from storage_backends.catalog.store import Executor, Tx
from storage_backends.usage import EARLY_MAX_DAYS, SMALL_OBJECT, EarlyRemoval, StoredUsage, UsageCounter, UsageReport

NO_MINIMUM = frozenset({"STANDARD", "REDUCED_REDUNDANCY"})  # classes whose removals are never "early"
SINCE = "usage_since_ms"  # ages and accruals run on the catalog's clock: DAY_MS is a day of it


# -- writes -----------------------------------------------------------------------------------------
_ELAPSED = "(CASE WHEN excluded.changed_ms > usage_stored.changed_ms " \
           "THEN excluded.changed_ms - usage_stored.changed_ms ELSE 0 END)"
_ACCRUED = (("object_ms", "objects"), ("byte_ms", "bytes"), ("small_object_ms", "small_objects"),
            ("small_byte_ms", "small_bytes"))
_ACCRUE = ", ".join(f"{acc} = usage_stored.{acc} + CAST(usage_stored.{col} AS DOUBLE PRECISION) * {_ELAPSED}"
                    for acc, col in _ACCRUED)
_CHANGE = (
    "INSERT INTO usage_stored (bucket, storage_class, shard, objects, bytes, small_objects, small_bytes, object_ms, "
    "byte_ms, small_object_ms, small_byte_ms, changed_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, ?) "
    f"ON CONFLICT (bucket, storage_class, shard) DO UPDATE SET {_ACCRUE}, "
    "objects = usage_stored.objects + excluded.objects, bytes = usage_stored.bytes + excluded.bytes, "
    "small_objects = usage_stored.small_objects + excluded.small_objects, "
    "small_bytes = usage_stored.small_bytes + excluded.small_bytes, "
    "changed_ms = CASE WHEN excluded.changed_ms > usage_stored.changed_ms THEN excluded.changed_ms "
    "ELSE usage_stored.changed_ms END")


class Changes:
    """One transaction's changes to the usage tables, summed per row before they are written."""

    __slots__ = ("stored", "early", "now")

    def __init__(self, tx: Tx) -> None:
        self.stored: dict[tuple[str, str], list[int]] = {}  # (bucket, class) -> objects, bytes, small ones
        self.early: dict[tuple[str, str, int], list[float]] = {}  # (bucket, class, days) -> count, bytes, age x bytes
        self.now = settings.now_ms(tx)

    def add(self, bucket: str, storage_class: str, size: int, sign: int = 1) -> None:
        """One version of ``size`` bytes came (``sign`` 1) or went (-1)."""
        t = self.stored.setdefault((bucket, storage_class), [0, 0, 0, 0])
        t[0] += sign
        t[1] += sign * size
        if size < SMALL_OBJECT:
            t[2] += sign
            t[3] += sign * size

    def remove(self, bucket: str, storage_class: str, size: int, in_class_since: int) -> None:
        """A version left its class: it stops accruing there, and may have left before a minimum duration."""
        self.add(bucket, storage_class, size, -1)
        age = max(self.now - in_class_since, 0)
        days = age // DAY_MS
        if storage_class not in NO_MINIMUM and days < EARLY_MAX_DAYS:
            e = self.early.setdefault((bucket, storage_class, days), [0, 0, 0.0])
            e[0] += 1
            e[1] += size
            e[2] += float(size) * age

    def write(self, tx: Tx) -> None:
        for (bucket, storage_class), totals in self.stored.items():
            tx.execute(_CHANGE, (bucket, storage_class, tx.shard, *totals, self.now))
        for (bucket, storage_class, days), (n, size, aged) in self.early.items():
            tx.execute(_EARLY, (bucket, storage_class, days, tx.shard, int(n), int(size), aged))


_EARLY = ("INSERT INTO usage_early (bucket, storage_class, age_days, shard, count, bytes, age_byte_ms) "
          "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (bucket, storage_class, age_days, shard) DO UPDATE SET "
          "count = usage_early.count + excluded.count, bytes = usage_early.bytes + excluded.bytes, "
          "age_byte_ms = usage_early.age_byte_ms + excluded.age_byte_ms")


def added(tx: Tx, bucket: str, storage_class: str, size: int) -> None:
    """A version of ``size`` bytes now stored (a PUT, a copy, a completed upload)."""
    changes = Changes(tx)
    changes.add(bucket, storage_class, size)
    changes.write(tx)


def removed(tx: Tx, rows: Iterable[tuple[str, str, int, int]]) -> None:
    """Versions (bucket, class, size, in class since) deleted, by requests or lifecycle rules."""
    changes = Changes(tx)
    for bucket, storage_class, size, since in rows:
        changes.remove(bucket, storage_class, size, since)
    changes.write(tx)


def transitioned(tx: Tx, rows: Iterable[tuple[str, str, int, int]], storage_class: str) -> None:
    """Versions (bucket, old class, size, in class since) moved into ``storage_class`` by a lifecycle rule:
    they leave their old class (which may count them as removed early); each is a transition request."""
    changes = Changes(tx)
    moved: dict[str, list[int]] = {}
    for bucket, old, size, since in rows:
        changes.remove(bucket, old, size, since)
        changes.add(bucket, storage_class, size)
        m = moved.setdefault(bucket, [0, 0])
        m[0] += 1
        m[1] += size
    changes.write(tx)
    for bucket, (n, size) in moved.items():
        count(tx, bucket, storage_class, "transition", n, size)


def count(tx: Tx, bucket: str, storage_class: str, kind: str, n: int, size: int) -> None:
    """Add ``n`` events of ``kind`` (and their bytes) to a bucket's counters."""
    tx.execute("INSERT INTO usage_counters (bucket, storage_class, kind, shard, count, bytes) "
               "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (bucket, storage_class, kind, shard) DO UPDATE SET "
               "count = usage_counters.count + excluded.count, bytes = usage_counters.bytes + excluded.bytes",
               (bucket, storage_class, kind, tx.shard, n, size))


def count_many(tx: Tx, counters: Iterable[UsageCounter]) -> None:
    """A worker's batch of counted requests (flushed every few seconds, not one write per request)."""
    for c in counters:
        count(tx, c.bucket, c.storage_class, c.kind, c.count, c.bytes)


def seeded(tx: Tx, rows: Iterable[tuple[str, str, int]]) -> None:
    """Versions (bucket, class, size) inserted in bulk (benchmark seeding)."""
    changes = Changes(tx)
    for bucket, storage_class, size in rows:
        changes.add(bucket, storage_class, size)
    changes.write(tx)


# -- reads ------------------------------------------------------------------------------------------
def since(ex: Executor) -> int:
    """When accounting began (the catalog's creation, or the migration that added it)."""
    row = one(ex, "SELECT value FROM settings WHERE name = ?", (SINCE,))
    return int(row[0]) if row else 0


def report(ex: Executor) -> UsageReport:
    now = settings.now_ms(ex)
    return UsageReport(since(ex), now, stored(ex, now), counters(ex), early(ex))


def stored(ex: Executor, now: int | None = None) -> list[StoredUsage]:
    """Per bucket and class, summed over shards; with ``now``, accruals brought up to it."""
    upto = "0" if now is None else f"(CASE WHEN {int(now)} > changed_ms THEN {int(now)} - changed_ms ELSE 0 END)"
    rows = ex.execute(
        "SELECT bucket, storage_class, SUM(objects), SUM(bytes), SUM(small_objects), SUM(small_bytes), "
        + ", ".join(f"SUM({acc} + CAST({col} AS DOUBLE PRECISION) * {upto})" for acc, col in _ACCRUED) + " "
        "FROM usage_stored GROUP BY bucket, storage_class ORDER BY bucket, storage_class").fetchall()
    return [StoredUsage(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5]), float(r[6]), float(r[7]), float(r[8]),
                   float(r[9])) for r in rows]


def counters(ex: Executor) -> list[UsageCounter]:
    rows = ex.execute("SELECT bucket, storage_class, kind, SUM(count), SUM(bytes) FROM usage_counters "
                      "GROUP BY bucket, storage_class, kind ORDER BY bucket, storage_class, kind").fetchall()
    return [UsageCounter(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in rows]


def early(ex: Executor) -> list[EarlyRemoval]:
    rows = ex.execute("SELECT bucket, storage_class, age_days, SUM(count), SUM(bytes), SUM(age_byte_ms) "
                      "FROM usage_early GROUP BY bucket, storage_class, age_days "
                      "ORDER BY bucket, storage_class, age_days").fetchall()
    return [EarlyRemoval(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), float(r[5])) for r in rows]
