"""The local backend's notification outbox: catalog tables written in the changes' own transactions."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from gateway.wire.notification_rules import Configuration
from storage_backends.catalog.dialects import MetadataLocation, open_metadata
from storage_backends.catalog.sql import notifications as rows
from storage_backends.catalog.store import Catalog
from storage_backends.local.core import dead_here
from storage_backends.outbox import LEASE, OutboxEvent, TargetCounts, Topic


class LocalOutbox:
    def __init__(self, catalog: Catalog, forget: Callable[[str], None]) -> None:
        self._cat = catalog
        self._forget = forget  # the bucket cache's entry, after a configuration change
        self._source: str | None = None

    @property
    def on_emitted(self) -> Callable[[], None]:
        return self._cat.on_emitted

    @on_emitted.setter
    def on_emitted(self, callback: Callable[[], None]) -> None:
        self._cat.on_emitted = callback

    async def configuration(self, bucket: str) -> Configuration | None:
        document = await self._cat.config(bucket, rows.KIND)
        return Configuration.from_json(document) if document else None

    async def configure(self, bucket: str, config: Configuration | None, tests: list[tuple[str, str]]) -> None:
        await self._cat.write(lambda tx: rows.configure(tx, bucket, config, tests))
        self._forget(bucket)

    async def source(self) -> str:
        if self._source is None:
            self._source = await self._cat.setting(rows.SOURCE)
        if self._source is None:
            self._source = await self._cat.write(rows.source)
        return self._source

    async def targets(self) -> list[str]:
        return await self._cat.outbox_targets()

    async def pending(self, target: str, limit: int) -> list[OutboxEvent]:
        return await self._cat.outbox_pending(target, limit)

    async def delivered(self, ids: list[int]) -> None:
        if ids:
            await self._cat.write(lambda tx: rows.delivered(tx, ids))

    async def failed(self, ids: list[int], error: str) -> None:
        if ids:
            await self._cat.write(lambda tx: rows.failed(tx, ids, error))

    async def expire(self, older_than_ms: int) -> int:
        return await self._cat.write(lambda tx: rows.expire(tx, older_than_ms))

    async def bound(self, target: str, max_queue: int) -> int:
        return await self._cat.write(lambda tx: rows.bound(tx, target, max_queue))

    async def counts(self) -> list[TargetCounts]:
        return await self._cat.outbox_counts()

    async def dead_letters(self, limit: int) -> list[tuple[OutboxEvent, str, int]]:
        return await self._cat.dead_letters(limit)

    async def topics(self) -> list[Topic]:
        return await self._cat.topics()

    async def put_topic(self, topic: Topic) -> Topic:
        return await self._cat.write(lambda tx: rows.put_topic(tx, topic))

    async def delete_topic(self, name: str, account_id: str) -> None:
        await self._cat.write(lambda tx: rows.delete_topic(tx, name, account_id))

    async def lease(self, holder: str, ttl_s: float) -> bool:
        """Take or renew the dispatcher's lease; a holder on this host that died (kill -9) is replaced at once."""
        current = await self._cat.lease_holder(LEASE)
        if current is not None and current != holder and not dead_here(current):
            return False
        return await self._cat.lease(LEASE, holder, ttl_s, replacing=current if current != holder else None)

    async def release(self, holder: str) -> None:
        await self._cat.release(LEASE, holder)


@contextlib.asynccontextmanager
async def opened(location: MetadataLocation) -> AsyncIterator[LocalOutbox]:
    """A data dir's outbox on catalog connections of its own: all the dispatcher's process needs of the backend."""
    catalog = open_metadata(location)
    try:
        yield LocalOutbox(catalog, lambda _bucket: None)
    finally:
        await catalog.aclose()
