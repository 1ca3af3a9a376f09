"""LocalBackend: object bodies as blob files (or inline rows), metadata in SQLite.

The write path for every object: stream the verified body to a temp file (or keep it in
memory if it is small), fsync, rename into ``blobs/``, then commit the metadata in one
transaction. Until that commit nothing is visible; after it, the bytes and metadata survive a
crash or power loss. Freed blob files are deleted after the commit that freed them.

The operations are grouped by family, each building on the previous one:
``core`` (stores, write path, clock) -> ``objects`` -> ``multipart`` -> ``archive``
(lifecycle and restores); ``locks`` (Object Lock) builds on ``objects`` too.
"""

from __future__ import annotations

from functools import partial

from storage_backends.base import StoredTotal
from storage_backends.catalog.sql import usage as usage_rows
from storage_backends.local.archive import ArchiveOps
from storage_backends.local.core import INLINE_MAX
from storage_backends.local.locks import LockOps
from storage_backends.local.notifications import LocalOutbox
from storage_backends.local.stream import LocalObjectStream
from storage_backends.usage import UsageCounter, UsageReport

__all__ = ["INLINE_MAX", "LocalBackend", "LocalObjectStream"]


class LocalBackend(ArchiveOps, LockOps):
    """The default backend: everything on local disk."""

    _outbox: LocalOutbox | None = None

    @property
    def outbox(self) -> LocalOutbox:
        """Event notifications' outbox: tables of the catalog (usable once started)."""
        if self._outbox is None:
            self._outbox = LocalOutbox(self._cat)
        return self._outbox

    async def stored_totals(self) -> list[StoredTotal]:
        return [StoredTotal(s.bucket, s.storage_class, s.objects, s.bytes) for s in await self._cat.usage_stored()
                if s.objects or s.bytes]

    async def record_usage(self, counters: list[UsageCounter]) -> None:
        """The gateway's batch, with the bytes this process read from the IA classes since the last one."""
        batch = counters + self._take_retrievals()
        if batch:
            await self._cat.write(partial(usage_rows.count_many, counters=batch))

    async def usage(self) -> UsageReport:
        return await self._cat.usage()
