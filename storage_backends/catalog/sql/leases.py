"""The leases table: named, expiring claims that let one process run a background job."""

from __future__ import annotations

from storage_backends.catalog.sql import one
from storage_backends.catalog.store import Executor


def take(ex: Executor, name: str, holder: str, now_ms: int, ttl_ms: int, replacing: str | None = None) -> bool:
    """Take or renew ``name`` for ``holder`` until now + ttl, unless another holder's lease is live
    (``replacing``: a holder known to be dead, whose live lease may be taken at once)."""
    ex.execute("INSERT INTO leases (name, holder, expires_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
               "holder = excluded.holder, expires_ms = excluded.expires_ms "
               "WHERE leases.holder = excluded.holder OR leases.expires_ms <= ? OR leases.holder = ?",
               (name, holder, now_ms + ttl_ms, now_ms, replacing or holder))
    row = one(ex, "SELECT holder FROM leases WHERE name = ?", (name,))
    return row is not None and row[0] == holder


def release(ex: Executor, name: str, holder: str) -> None:
    ex.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))


def holder(ex: Executor, name: str, now_ms: int) -> str | None:
    row = one(ex, "SELECT holder FROM leases WHERE name = ? AND expires_ms > ?", (name, now_ms))
    return str(row[0]) if row else None
