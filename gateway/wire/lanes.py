"""Digests of a streaming body beside the event loop, one block after another: a request body's
(``gateway.payload``) and a copy's re-read of stored bytes (the local backend).

MD5 of one stream cannot be split across cores, so a large upload goes at most as fast as one
core hashes: that core must never wait. A :class:`Lane` queues blocks from the event loop and
runs its function on them in order on a pool thread, which takes the next queued block itself
instead of handing back to the loop and waiting to be given the next (hashlib releases the GIL
on large buffers, so the loop receives meanwhile). The loop is woken only when it waits: for room
(the lane is ``depth`` blocks behind) or for the end. When lanes of concurrent uploads wait for
one of the pool's threads, a lane gives its thread up after ``TURN`` bytes; otherwise it keeps it
(moving MD5 to another thread costs a wake-up and a cold cache).
"""

from __future__ import annotations

import asyncio
import collections
import functools
import hashlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from gateway.wire import checksums

TURN = 4 * 1024 * 1024
THREAD_MIN = 64 * 1024  # below this (with no lane started yet), hashing on the loop is cheaper than a hop
DEPTH = 3  # blocks a digest lane may fall behind the receiving


@functools.cache
def _pool() -> ThreadPoolExecutor:
    """Created on first use: in the worker process, after any fork."""
    return ThreadPoolExecutor(os.cpu_count() or 2, thread_name_prefix="s3gate-digest")


class _Waiting:
    """How many lanes have been handed to the pool and wait for one of its threads."""

    count = 0
    lock = threading.Lock()

    @classmethod
    def add(cls, n: int) -> None:
        with cls.lock:
            cls.count += n


def _submit(lane: Lane) -> None:
    _Waiting.add(1)
    _pool().submit(lane._run)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():  # its task may have been cancelled meanwhile
        waiter.set_result(None)


class Lane:
    """``fn(block)`` for every block put, in order, on one pool thread at a time."""

    __slots__ = ("_fn", "_depth", "_blocks", "_lock", "_running", "_waiter", "_wake_at", "_loop", "_error")

    def __init__(self, fn: Callable[[bytes], object], depth: int) -> None:
        self._fn = fn
        self._depth = depth
        self._blocks: collections.deque[bytes] = collections.deque()  # the first is being processed
        self._lock = threading.Lock()
        self._running = False
        self._waiter: asyncio.Future[None] | None = None
        self._wake_at = 0  # wake the waiter once this few blocks are left
        self._loop = asyncio.get_running_loop()
        self._error: BaseException | None = None

    async def put(self, block: bytes) -> None:
        """Queue ``block``, first waiting (if ``depth`` are queued) until half of them are done."""
        if len(self._blocks) >= self._depth:
            await self._until(self._depth // 2)
        with self._lock:
            self._blocks.append(block)
            start, self._running = not self._running, True
        if start:
            _submit(self)

    async def join(self) -> None:
        """Wait until every block put has been processed."""
        await self._until(0)

    def check(self) -> None:
        """Raise what ``fn`` raised, if it did (the blocks after it were skipped)."""
        if self._error is not None:
            raise self._error

    async def _until(self, left: int) -> None:
        """Wait until no more than ``left`` blocks are queued."""
        with self._lock:
            if len(self._blocks) <= left:
                return
            self._waiter, self._wake_at = self._loop.create_future(), left
            waiter = self._waiter
        await waiter

    def _run(self) -> None:
        _Waiting.add(-1)
        budget = TURN
        while True:
            with self._lock:
                block = self._blocks[0]
            if self._error is None:
                try:
                    self._fn(block)
                except BaseException as exc:  # noqa: BLE001 - raised on the loop by check()
                    self._error = exc
            budget -= len(block)
            with self._lock:
                self._blocks.popleft()
                left = len(self._blocks)
                waiter = self._waiter
                if waiter is not None and left <= self._wake_at:
                    self._waiter = None
                else:
                    waiter = None
                self._running = left > 0
            if waiter is not None:
                self._loop.call_soon_threadsafe(_wake, waiter)
            if not left:
                return
            if budget <= 0:
                if _Waiting.count:  # the others' turn: to the back of the pool's queue
                    _submit(self)
                    return
                budget = TURN


class Digester:
    """MD5 (for the ETag) + a signed payload's SHA-256 (if wanted) + the checksums to verify and to store.

    Big bodies: MD5 in a lane of its own (the slowest digest, and the bound on a large PUT), the
    SHA-256 and any checksum that is not a cheap CRC in a second lane beside it, cheap CRCs (tens of
    GB/s) on the loop. Once a body has lanes, every block goes through them, in order.
    """

    __slots__ = ("md5", "sha256", "checksums", "size", "_slow", "_lanes")

    def __init__(self, want_sha256: bool, algorithms: set[str]) -> None:
        self.md5 = hashlib.md5()
        self.sha256 = hashlib.sha256() if want_sha256 else None
        self.checksums = {algo: checksums.new_hasher(algo) for algo in algorithms}
        self.size = 0
        self._slow = [h for algo, h in self.checksums.items() if algo not in checksums.CHEAP]
        if self.sha256 is not None:
            self._slow.append(self.sha256)
        self._lanes: list[Lane] = []

    def _update_slow(self, data: bytes) -> None:
        for hasher in self._slow:
            hasher.update(data)

    async def feed(self, block: bytes) -> None:
        self.size += len(block)
        for algo, hasher in self.checksums.items():
            if algo in checksums.CHEAP:
                hasher.update(block)
        if not self._lanes and len(block) < THREAD_MIN:
            self.md5.update(block)
            self._update_slow(block)
            return
        if not self._lanes:
            self._lanes.append(Lane(self.md5.update, DEPTH))
            if self._slow:
                self._lanes.append(Lane(self._update_slow, DEPTH))
        for lane in self._lanes:
            await lane.put(block)

    async def drain(self) -> None:
        """Wait for every block fed so far (also on error: no thread may touch the hashers later)."""
        for lane in self._lanes:
            await lane.join()
        for lane in self._lanes:
            lane.check()
