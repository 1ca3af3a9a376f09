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

from storage_backends.base import StoredTotal
from storage_backends.local.archive import ArchiveOps
from storage_backends.local.core import INLINE_MAX
from storage_backends.local.locks import LockOps
from storage_backends.local.notifications import LocalOutbox
from storage_backends.local.stream import LocalObjectStream

__all__ = ["INLINE_MAX", "LocalBackend", "LocalObjectStream"]


class LocalBackend(ArchiveOps, LockOps):
    """The default backend: everything on local disk."""

    _outbox: LocalOutbox | None = None

    @property
    def outbox(self) -> LocalOutbox:
        """Event notifications' outbox: tables of the catalog (usable once started)."""
        if self._outbox is None:
            self._outbox = LocalOutbox(self._cat, self._forget_bucket)
        return self._outbox

    async def stored_totals(self) -> list[StoredTotal]:
        return []  # placeholder until the usage accounting (issue 16) keeps the totals
