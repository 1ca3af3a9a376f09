"""Lifecycle enforcement for the local backend: one pass applies every enabled rule.

Each action finds its due work with an indexed range query on the time that makes it due
(``last_modified`` for current versions, ``noncurrent_since`` for noncurrent ones,
``initiated`` for uploads, ``restore_expiry`` for restored archives), so a pass reads due rows
and not the whole bucket. Work is applied in batches, each one write transaction that first
re-checks that the row is still in the state that made it due (a concurrent PUT wins).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass
from functools import partial
from typing import Protocol, TypeVar

from gateway.wire.lifecycle_rules import CLASS_RANK, Clock, Configuration, Rule, Transition
from storage_backends.local import metadata as md
from storage_backends.local import uploads
from storage_backends.local.listing import successor

BATCH = 1000
ALL_CLASSES = tuple(CLASS_RANK)

T = TypeVar("T")


class Write(Protocol):
    """LocalBackend._write: run a transaction in the group-committing writer, then free blob files."""

    def __call__(self, fn: Callable[[sqlite3.Connection, list[str]], T], /) -> Awaitable[T]: ...


MoveBlobs = Callable[[list[int], str], Awaitable[None]]


@dataclass(slots=True)
class PassReport:
    expired: int = 0
    noncurrent_expired: int = 0
    delete_markers_removed: int = 0
    uploads_aborted: int = 0
    transitioned: int = 0
    noncurrent_transitioned: int = 0
    restores_expired: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _prefix_clause(rule: Rule, column: str = "key") -> tuple[str, list[object]]:
    prefix = rule.filter.prefix
    if not prefix:
        return "", []
    upper = successor(prefix)
    if upper is None:
        return f" AND {column} >= ?", [prefix]
    return f" AND {column} >= ? AND {column} < ?", [prefix, upper]


def _matching(rule: Rule, rows: list[sqlite3.Row]) -> list[sqlite3.Row]:
    return [r for r in rows if rule.filter.matches(r["key"], r["size"], md.map_of(r["tags"]))]


class LifecyclePass:
    def __init__(self, read: sqlite3.Connection, write: Write, clock: Clock, move: MoveBlobs) -> None:
        self.read = read
        self.write = write
        self.clock = clock
        self.move = move
        self.now = clock.now_ms()
        self.report = PassReport()

    async def run(self) -> PassReport:
        configs = self.read.execute("SELECT bucket, document FROM bucket_configs WHERE kind = 'lifecycle'").fetchall()
        for bucket, document in configs:
            config = Configuration.from_json(document)
            for rule in config.rules:
                if rule.enabled:
                    await self._apply(bucket, rule, config)
        await self._expire_restores()
        return self.report

    async def _apply(self, bucket: str, rule: Rule, config: Configuration) -> None:
        versioning = self.read.execute("SELECT versioning FROM buckets WHERE name = ?", (bucket,)).fetchall()
        if not versioning:
            return
        for transition in rule.transitions:
            await self._transition_current(bucket, rule, transition, config)
        for transition in rule.noncurrent_transitions:
            await self._transition_noncurrent(bucket, rule, transition, config)
        if rule.expiration_days is not None or rule.expiration_date_ms is not None:
            await self._expire_current(bucket, rule, versioning[0][0])
        if rule.noncurrent_days is not None:
            await self._expire_noncurrent(bucket, rule)
        if rule.expired_object_delete_marker:
            await self._remove_lonely_markers(bucket, rule)
        if rule.abort_days is not None:
            await self._abort_uploads(bucket, rule)

    def _current_cutoff(self, days: int | None, date_ms: int | None) -> int | None:
        if days is not None:
            return self.clock.cutoff(self.now, days)
        assert date_ms is not None
        return 2**62 if self.now >= date_ms else None

    def _stream(self, sql: str, args: tuple[object, ...]) -> Iterator[list[sqlite3.Row]]:
        """Batches of one query's rows. The pass reads its own snapshot, so the batches it
        deletes meanwhile do not disturb the scan; each batch is re-checked when applied."""
        cursor = self.read.execute(sql, args)
        try:
            while rows := cursor.fetchmany(BATCH):
                yield rows
        finally:
            cursor.close()

    def _due_current(self, bucket: str, rule: Rule, cutoff: int, classes: tuple[str, ...]
                     ) -> Iterator[list[sqlite3.Row]]:
        """Current versions last modified before ``cutoff`` (index: bucket, storage class, time)."""
        marks = ",".join("?" * len(classes))
        extra, args = _prefix_clause(rule)
        return self._stream(
            f"SELECT id, key, size, tags FROM objects WHERE bucket = ? AND storage_class IN ({marks}) "
            f"AND last_modified <= ? AND is_latest = 1 AND delete_marker = 0{extra}",
            (bucket, *classes, cutoff, *args))

    async def _expire_current(self, bucket: str, rule: Rule, versioning: str | None) -> None:
        cutoff = self._current_cutoff(rule.expiration_days, rule.expiration_date_ms)
        if cutoff is None:
            return
        for rows in self._due_current(bucket, rule, cutoff, ALL_CLASSES):
            due = [(r["id"], r["key"]) for r in _matching(rule, rows)]
            if due:
                self.report.expired += await self.write(partial(_tx_expire_current, bucket=bucket, due=due))

    async def _expire_noncurrent(self, bucket: str, rule: Rule) -> None:
        assert rule.noncurrent_days is not None
        cutoff = self.clock.cutoff(self.now, rule.noncurrent_days)
        keep = rule.newer_noncurrent_versions or 0
        for rows in self._due_noncurrent(bucket, rule, cutoff, keep):
            ids = [r["id"] for r in _matching(rule, rows)]
            if ids:
                removed = await self.write(partial(_tx_remove, ids=ids, still=_still_noncurrent))
                self.report.noncurrent_expired += removed

    def _due_noncurrent(self, bucket: str, rule: Rule, cutoff: int, keep: int,
                        classes: tuple[str, ...] = ALL_CLASSES) -> Iterator[list[sqlite3.Row]]:
        """Noncurrent versions past ``cutoff``, except the ``keep`` newest noncurrent ones of each key.

        Without ``keep`` this is a range scan of the (bucket, noncurrent_since) index. With it,
        only keys that have a due version are ranked (newest first) to find what to keep.
        """
        extra, args = _prefix_clause(rule)
        marks = ",".join("?" * len(classes))
        if not keep:
            return self._stream(
                f"SELECT id, key, size, tags FROM objects WHERE bucket = ? AND noncurrent_since <= ? "
                f"AND is_latest = 0 AND storage_class IN ({marks}){extra}", (bucket, cutoff, *classes, *args))
        return self._stream(
            f"SELECT id, key, size, tags FROM (SELECT id, key, size, tags, noncurrent_since, storage_class, "
            f"ROW_NUMBER() OVER (PARTITION BY key ORDER BY id DESC) AS position FROM objects "
            f"WHERE bucket = ? AND is_latest = 0 AND key IN (SELECT key FROM objects WHERE bucket = ? "
            f"AND is_latest = 0 AND noncurrent_since <= ?{extra})) "
            f"WHERE position > ? AND noncurrent_since <= ? AND storage_class IN ({marks})",
            (bucket, bucket, cutoff, *args, keep, cutoff, *classes))

    async def _remove_lonely_markers(self, bucket: str, rule: Rule) -> None:
        extra, args = _prefix_clause(rule, "o.key")
        for rows in self._stream(
                f"SELECT o.id, o.key FROM objects o WHERE o.bucket = ? AND o.is_latest = 1 AND o.delete_marker = 1"
                f"{extra} AND NOT EXISTS (SELECT 1 FROM objects n WHERE n.bucket = o.bucket AND n.key = o.key "
                f"AND n.id <> o.id)", (bucket, *args)):
            ids = [r["id"] for r in rows]
            self.report.delete_markers_removed += await self.write(
                partial(_tx_remove, ids=ids, still=_still_lonely_markers))

    async def _abort_uploads(self, bucket: str, rule: Rule) -> None:
        assert rule.abort_days is not None
        cutoff = self.clock.cutoff(self.now, rule.abort_days)
        extra, args = _prefix_clause(rule)
        for rows in self._stream(f"SELECT upload_id FROM uploads WHERE bucket = ? AND initiated <= ?{extra}",
                                 (bucket, cutoff, *args)):
            ids = [r[0] for r in rows]
            self.report.uploads_aborted += await self.write(partial(uploads.tx_abort_many, upload_ids=ids))

    def _floor(self, rule: Rule, config: Configuration) -> int:
        """S3 does not transition objects under 128 KiB unless the rule's size filter says otherwise."""
        return 0 if rule.filter.size_greater_than is not None else config.transition_floor()

    async def _transition_current(self, bucket: str, rule: Rule, t: Transition, config: Configuration) -> None:
        cutoff = self._current_cutoff(t.days, t.date_ms)
        if cutoff is None:
            return
        sources = tuple(c for c, rank in CLASS_RANK.items() if rank < CLASS_RANK[t.storage_class])
        floor = self._floor(rule, config)
        for rows in self._due_current(bucket, rule, cutoff, sources):
            ids = [r["id"] for r in _matching(rule, rows) if r["size"] >= floor]
            if ids:
                self.report.transitioned += await self._transition(ids, t.storage_class)

    async def _transition_noncurrent(self, bucket: str, rule: Rule, t: Transition, config: Configuration) -> None:
        assert t.days is not None
        sources = tuple(c for c, rank in CLASS_RANK.items() if rank < CLASS_RANK[t.storage_class])
        floor = self._floor(rule, config)
        keep = t.newer_noncurrent_versions or 0
        for rows in self._due_noncurrent(bucket, rule, self.clock.cutoff(self.now, t.days), keep, sources):
            ids = [r["id"] for r in _matching(rule, rows) if r["size"] >= floor]
            if ids:
                self.report.noncurrent_transitioned += await self._transition(ids, t.storage_class)

    async def _transition(self, ids: list[int], storage_class: str) -> int:
        await self.move(ids, storage_class)  # bytes first (when the class has its own directory)
        marks = ",".join("?" * len(ids))

        def commit(conn: sqlite3.Connection, garbage: list[str]) -> int:
            return conn.execute(f"UPDATE objects SET storage_class = ?, restore_ready = NULL, restore_expiry = NULL "
                                f"WHERE id IN ({marks})", (storage_class, *ids)).rowcount

        return await self.write(commit)

    async def _expire_restores(self) -> None:
        def commit(conn: sqlite3.Connection, garbage: list[str]) -> int:
            return conn.execute("UPDATE objects SET restore_ready = NULL, restore_expiry = NULL "
                                "WHERE restore_expiry <= ?", (self.now,)).rowcount

        self.report.restores_expired += await self.write(commit)


def _tx_remove(conn: sqlite3.Connection, garbage: list[str], *, ids: list[int],
               still: Callable[[sqlite3.Connection, list[int]], list[int]]) -> int:
    """Remove the versions among ``ids`` that are still in the state that made them due."""
    return md.remove_versions(conn, still(conn, ids), garbage)


def _still_noncurrent(conn: sqlite3.Connection, ids: list[int]) -> list[int]:
    marks = ",".join("?" * len(ids))
    return [r[0] for r in conn.execute(f"SELECT id FROM objects WHERE id IN ({marks}) AND is_latest = 0", ids)]


def _still_lonely_markers(conn: sqlite3.Connection, ids: list[int]) -> list[int]:
    marks = ",".join("?" * len(ids))
    return [r[0] for r in conn.execute(
        f"SELECT o.id FROM objects o WHERE o.id IN ({marks}) AND o.is_latest = 1 AND o.delete_marker = 1 AND "
        "NOT EXISTS (SELECT 1 FROM objects n WHERE n.bucket = o.bucket AND n.key = o.key AND n.id <> o.id)", ids)]


def _tx_expire_current(conn: sqlite3.Connection, garbage: list[str], *, bucket: str, due: list[tuple[int, str]]
                       ) -> int:
    """Expire current versions that are still current: delete them, or add a delete marker if versioned."""
    versioning = md.bucket_row(conn, bucket)["versioning"]
    ids = [i for i, _ in due]
    marks = ",".join("?" * len(ids))
    still = {r[0]: r[1] for r in conn.execute(
        f"SELECT id, key FROM objects WHERE id IN ({marks}) AND is_latest = 1 AND delete_marker = 0", ids)}
    if versioning is None:
        return md.remove_versions(conn, list(still), garbage)
    for key in still.values():
        md.tx_delete(conn, bucket, key, None, garbage)
    return len(still)
