"""Lifecycle enforcement for the local backend: one pass applies every enabled rule.

Each action finds its due work through the catalog's snapshot scans (indexed range queries on
the time that makes it due, see ``catalog.sql.lifecycle``), so a pass reads due rows and not
the whole bucket. Work is applied in batches, each one write transaction that first
re-checks that the row is still in the state that made it due (a concurrent PUT wins).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from functools import partial
from typing import Protocol, TypeVar

from gateway.wire.lifecycle_rules import CLASS_RANK, Clock, Configuration, Rule, Transition
from storage_backends.catalog.records import DueRow, map_of
from storage_backends.catalog.sql import buckets as bucket_rows
from storage_backends.catalog.sql import lifecycle as due_rows
from storage_backends.catalog.sql import objects as version_rows
from storage_backends.catalog.sql import uploads as upload_rows
from storage_backends.catalog.store import Snapshot, Tx

ALL_CLASSES = tuple(CLASS_RANK)

T = TypeVar("T")


class Write(Protocol):
    """Catalog.write: run a transaction in the group-committing writer, then free blob files."""

    def __call__(self, fn: Callable[[Tx], T], /) -> Awaitable[T]: ...


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

def _matching(rule: Rule, rows: list[DueRow]) -> list[DueRow]:
    return [r for r in rows if rule.filter.matches(r.key, r.size, map_of(r.tags))]


def _ids(rows: list[DueRow]) -> list[int]:
    return [int(r.id) for r in rows]


class LifecyclePass:
    def __init__(self, snapshot: Snapshot, write: Write, clock: Clock, move: MoveBlobs) -> None:
        self.snapshot = snapshot
        self.write = write
        self.clock = clock
        self.move = move
        self.now = clock.now_ms()
        self.report = PassReport()

    async def run(self) -> PassReport:
        for bucket, document in await self.snapshot.lifecycle_configs():
            config = Configuration.from_json(document)
            for rule in config.rules:
                if rule.enabled:
                    await self._apply(bucket, rule, config)
        await self._expire_restores()
        return self.report

    async def _apply(self, bucket: str, rule: Rule, config: Configuration) -> None:
        exists, versioning = await self.snapshot.versioning(bucket)
        if not exists:
            return
        for transition in rule.transitions:
            await self._transition_current(bucket, rule, transition, config)
        for transition in rule.noncurrent_transitions:
            await self._transition_noncurrent(bucket, rule, transition, config)
        if rule.expiration_days is not None or rule.expiration_date_ms is not None:
            await self._expire_current(bucket, rule, versioning)
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

    async def _expire_current(self, bucket: str, rule: Rule, versioning: str | None) -> None:
        cutoff = self._current_cutoff(rule.expiration_days, rule.expiration_date_ms)
        if cutoff is None:
            return
        async for rows in self.snapshot.due_current(bucket, rule.filter.prefix, cutoff, ALL_CLASSES):
            found = [(int(r.id), r.key) for r in _matching(rule, rows)]
            if found:
                self.report.expired += await self.write(partial(_tx_expire_current, bucket=bucket, due=found))

    async def _expire_noncurrent(self, bucket: str, rule: Rule) -> None:
        assert rule.noncurrent_days is not None
        cutoff = self.clock.cutoff(self.now, rule.noncurrent_days)
        keep = rule.newer_noncurrent_versions or 0
        async for rows in self.snapshot.due_noncurrent(bucket, rule.filter.prefix, cutoff, keep, ALL_CLASSES):
            ids = _ids(_matching(rule, rows))
            if ids:
                removed = await self.write(partial(_tx_remove, ids=ids, still=due_rows.still_removable_noncurrent))
                self.report.noncurrent_expired += removed

    async def _remove_lonely_markers(self, bucket: str, rule: Rule) -> None:
        async for rows in self.snapshot.lonely_markers(bucket, rule.filter.prefix):
            self.report.delete_markers_removed += await self.write(
                partial(_tx_remove, ids=_ids(rows), still=due_rows.still_lonely_markers))

    async def _abort_uploads(self, bucket: str, rule: Rule) -> None:
        assert rule.abort_days is not None
        cutoff = self.clock.cutoff(self.now, rule.abort_days)
        async for rows in self.snapshot.due_uploads(bucket, rule.filter.prefix, cutoff):
            ids = [str(r.id) for r in rows]
            self.report.uploads_aborted += await self.write(partial(upload_rows.abort_many, upload_ids=ids))

    def _floor(self, rule: Rule, config: Configuration) -> int:
        """S3 does not transition objects under 128 KiB unless the rule's size filter says otherwise."""
        return 0 if rule.filter.size_greater_than is not None else config.transition_floor()

    async def _transition_current(self, bucket: str, rule: Rule, t: Transition, config: Configuration) -> None:
        cutoff = self._current_cutoff(t.days, t.date_ms)
        if cutoff is None:
            return
        sources = tuple(c for c, rank in CLASS_RANK.items() if rank < CLASS_RANK[t.storage_class])
        floor = self._floor(rule, config)
        async for rows in self.snapshot.due_current(bucket, rule.filter.prefix, cutoff, sources):
            ids = [int(r.id) for r in _matching(rule, rows) if r.size >= floor]
            if ids:
                self.report.transitioned += await self._transition(ids, t.storage_class)

    async def _transition_noncurrent(self, bucket: str, rule: Rule, t: Transition, config: Configuration) -> None:
        assert t.days is not None
        sources = tuple(c for c, rank in CLASS_RANK.items() if rank < CLASS_RANK[t.storage_class])
        floor = self._floor(rule, config)
        keep = t.newer_noncurrent_versions or 0
        cutoff = self.clock.cutoff(self.now, t.days)
        async for rows in self.snapshot.due_noncurrent(bucket, rule.filter.prefix, cutoff, keep, sources):
            ids = [int(r.id) for r in _matching(rule, rows) if r.size >= floor]
            if ids:
                self.report.noncurrent_transitioned += await self._transition(ids, t.storage_class)

    async def _transition(self, ids: list[int], storage_class: str) -> int:
        await self.move(ids, storage_class)  # bytes first (when the class has its own directory)
        return await self.write(lambda tx: version_rows.set_storage_class(tx, ids, storage_class))

    async def _expire_restores(self) -> None:
        now = self.now
        await self.write(lambda tx: version_rows.complete_restores(tx, now))
        self.report.restores_expired += await self.write(lambda tx: version_rows.expire_restores(tx, now))


def _tx_remove(tx: Tx, *, ids: list[int], still: Callable[[Tx, list[int]], list[int]]) -> int:
    """Remove the versions among ``ids`` that are still in the state that made them due."""
    return version_rows.remove_versions(tx, still(tx, ids))


def _tx_expire_current(tx: Tx, *, bucket: str, due: list[tuple[int, str]]) -> int:
    """Expire current versions that are still current: delete them, or add a delete marker if versioned."""
    versioning = bucket_rows.require(tx, bucket).versioning
    still = due_rows.still_current(tx, [i for i, _ in due])
    if versioning is None:
        return version_rows.remove_versions(tx, list(still))
    for key in still.values():
        version_rows.delete(tx, bucket, key, None, event="LifecycleExpiration")
    return len(still)

