"""The SQLite catalog's writer on a real database file: group commits across worker processes, checkpoints.

Workers take turns through an ``flock`` on ``<db>.write-lock``; here the test itself holds that
lock from its own open file (to ``flock`` that is another process), as a busy worker would.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storage_backends.base import NewObject
from storage_backends.catalog.records import NewVersion, Placement
from storage_backends.catalog.sql import buckets, objects
from storage_backends.catalog.sqlite import SqliteCatalog
from storage_backends.catalog.sqlite_writer import CHECKPOINT_FRAMES
from storage_backends.catalog.store import Tx
from tests.harness.files import wal_commits


@pytest.fixture
def other_worker(tmp_path: Path) -> Iterator[int]:
    """A descriptor of the write lock, as another worker process has it (not locked yet)."""
    fd = os.open(tmp_path / "metadata.db.write-lock", os.O_CREAT | os.O_RDWR, 0o600)
    yield fd
    os.close(fd)


def put(key: str) -> Callable[[Tx], object]:
    version = NewVersion(1, "e", None, Placement(None, None, b"x"))
    return lambda tx: objects.put_version(tx, "b", key, NewObject(owner_id="o"), version, None)


async def until_all_wait(tasks: list[asyncio.Task[object]]) -> None:
    for _ in range(20):  # a few loop turns: every write has queued up behind the lock
        await asyncio.sleep(0)
    assert not any(t.done() for t in tasks)


def test_writes_waiting_for_another_workers_lock_share_one_commit(tmp_path: Path, other_worker: int) -> None:
    db = tmp_path / "metadata.db"

    async def main() -> None:
        cat = SqliteCatalog(str(db))
        try:
            await cat.write(lambda tx: buckets.create(tx, "b", "r", "o"))
            fcntl.flock(other_worker, fcntl.LOCK_EX)
            before = wal_commits(db)
            tasks = [asyncio.ensure_future(cat.write(put(f"k{i}"))) for i in range(10)]
            await until_all_wait(tasks)
            fcntl.flock(other_worker, fcntl.LOCK_UN)
            await asyncio.gather(*tasks)
            assert wal_commits(db) - before == 1  # one lock turn, one commit, for all ten
            assert len(await cat.list_latest("b", ("", True), None, 100)) == 10
        finally:
            await cat.aclose()

    asyncio.run(main())


def test_a_failing_write_behind_the_lock_fails_alone(tmp_path: Path, other_worker: int) -> None:
    db = tmp_path / "metadata.db"

    def failing(tx: Tx) -> None:
        put("half")(tx)
        raise RuntimeError("boom")

    async def main() -> None:
        cat = SqliteCatalog(str(db))
        try:
            await cat.write(lambda tx: buckets.create(tx, "b", "r", "o"))
            fcntl.flock(other_worker, fcntl.LOCK_EX)
            tasks = [asyncio.ensure_future(cat.write(fn)) for fn in (put("one"), failing, put("two"))]
            await until_all_wait(tasks)
            fcntl.flock(other_worker, fcntl.LOCK_UN)
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert isinstance(results[1], RuntimeError)
            assert [r.key for r in await cat.list_latest("b", ("", True), None, 10)] == ["one", "two"]
        finally:
            await cat.aclose()

    asyncio.run(main())


def test_steady_writes_are_checkpointed_and_the_wal_restarts(tmp_path: Path) -> None:
    """The writer checkpoints the WAL itself (SQLite's auto-checkpoint is off): it must still do so."""
    db = tmp_path / "metadata.db"
    body = os.urandom(3000)  # about a page per row: a few thousand frames in all

    def row(i: int) -> Callable[[Tx], object]:
        version = NewVersion(len(body), "e", None, Placement(None, None, body))
        return lambda tx: objects.put_version(tx, "b", f"k{i}", NewObject(owner_id="o"), version, None)

    async def main() -> None:
        cat = SqliteCatalog(str(db))
        try:
            await cat.write(lambda tx: buckets.create(tx, "b", "r", "o"))
            for start in range(0, 4 * CHECKPOINT_FRAMES, 16):
                await asyncio.gather(*(cat.write(row(i)) for i in range(start, start + 16)))
            page = 4096
            assert os.path.getsize(f"{db}-wal") < 2 * CHECKPOINT_FRAMES * (page + 24)  # it restarted
            assert os.path.getsize(db) > 3 * CHECKPOINT_FRAMES * page  # the rows reached the database
        finally:
            await cat.aclose()

    asyncio.run(main())
