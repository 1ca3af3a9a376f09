"""A per-process cache of bucket state (configuration, access records) that the catalog invalidates.

Every request needs its bucket's state, so it is read once per ``ttl_s`` rather than per request.
Changes reach it through ``forget(bucket)`` / ``clear()``, called from the catalog's ``on_change``
(this process's commits, and on PostgreSQL every gateway's, by LISTEN/NOTIFY); the TTL only bounds
what a missed notice (a reconnect, another SQLite worker process) can leave stale. A load that was
running while anything was forgotten is returned but not kept: it may have read the state from
before the change. The generation counted for that is global, not per bucket: configuration
changes are rare, and a spurious miss costs one reload.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class StateCache(Generic[V]):
    """Values by (bucket, part), each kept for ``ttl_s``; ``forget(bucket)`` drops every part of a bucket."""

    def __init__(self, ttl_s: float = 1.0, max_buckets: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_buckets = max_buckets
        self._entries: dict[str, dict[Hashable, tuple[float, V]]] = {}
        self._generation = 0

    async def get(self, bucket: str, part: Hashable, load: Callable[[], Awaitable[V]]) -> V:
        """The cached value, or ``load()``'s (kept unless an invalidation came while it ran; its errors pass)."""
        now = time.monotonic()
        parts = self._entries.get(bucket)
        hit = parts.get(part) if parts is not None else None
        if hit is not None and hit[0] > now:
            return hit[1]
        generation = self._generation
        value = await load()
        if generation == self._generation:
            if bucket not in self._entries and len(self._entries) >= self.max_buckets:
                self._entries.clear()
            self._entries.setdefault(bucket, {})[part] = (now + self.ttl_s, value)
        return value

    def forget(self, bucket: str) -> None:
        self._generation += 1
        self._entries.pop(bucket, None)

    def clear(self) -> None:
        self._generation += 1
        self._entries.clear()

    def changed(self, bucket: str | None) -> None:
        """The catalog's ``on_change`` callback: a bucket's state changed (None: anything may have)."""
        if bucket is None:
            self.clear()
        else:
            self.forget(bucket)
