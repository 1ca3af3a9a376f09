"""StateCache: kept until forgotten or past its TTL; a load that raced an invalidation is not kept."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from storage_backends.state_cache import StateCache


class Source:
    """What the catalog holds: a value per (bucket, part); counts the loads."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], int] = {}
        self.loads = 0

    def loader(self, bucket: str, part: str) -> Callable[[], Awaitable[int]]:
        async def load() -> int:
            self.loads += 1
            return self.values[bucket, part]
        return load


def test_kept_until_forgotten_per_bucket_or_cleared() -> None:
    async def body() -> None:
        cache: StateCache[int] = StateCache(ttl_s=60)
        src = Source()
        src.values = {("a", "x"): 1, ("a", "y"): 2, ("b", "x"): 3}

        async def get(bucket: str, part: str) -> int:
            return await cache.get(bucket, part, src.loader(bucket, part))

        assert [await get("a", "x"), await get("a", "y"), await get("b", "x")] == [1, 2, 3]
        src.values = {("a", "x"): 10, ("a", "y"): 20, ("b", "x"): 30}
        assert [await get("a", "x"), await get("b", "x")] == [1, 3] and src.loads == 3  # hits
        cache.changed("a")  # every part of a, nothing of b
        assert [await get("a", "x"), await get("a", "y"), await get("b", "x")] == [10, 20, 3]
        cache.changed(None)
        assert await get("b", "x") == 30

    asyncio.run(body())


def test_a_load_that_raced_an_invalidation_is_returned_but_not_kept() -> None:
    async def body() -> None:
        cache: StateCache[str] = StateCache(ttl_s=60)
        reading, release = asyncio.Event(), asyncio.Event()

        async def slow_old_read() -> str:
            reading.set()
            await release.wait()
            return "old"  # read before the change committed

        pending = asyncio.create_task(cache.get("a", None, slow_old_read))
        await reading.wait()
        cache.forget("a")  # the change's notice arrives while the read is in flight
        release.set()
        assert await pending == "old"

        async def fresh() -> str:
            return "new"

        assert await cache.get("a", None, fresh) == "new"  # the stale read was not kept

    asyncio.run(body())


def test_errors_are_not_kept_and_expired_entries_reload() -> None:
    async def body() -> None:
        cache: StateCache[int] = StateCache(ttl_s=0)  # always expired: every get loads
        src = Source()
        with pytest.raises(KeyError):
            await cache.get("gone", None, src.loader("gone", "x"))
        src.values[("gone", "x")] = 5
        assert await cache.get("gone", None, src.loader("gone", "x")) == 5
        assert await cache.get("gone", None, src.loader("gone", "x")) == 5 and src.loads == 3

    asyncio.run(body())


def test_bounded_by_bucket_count() -> None:
    async def body() -> None:
        cache: StateCache[int] = StateCache(ttl_s=60, max_buckets=2)
        src = Source()
        src.values = {("a", "x"): 1, ("b", "x"): 2, ("c", "x"): 3}
        for b in "abc":
            await cache.get(b, "x", src.loader(b, "x"))
        await cache.get("c", "x", src.loader("c", "x"))
        await cache.get("a", "x", src.loader("a", "x"))  # dropped when c came in
        assert src.loads == 4

    asyncio.run(body())
