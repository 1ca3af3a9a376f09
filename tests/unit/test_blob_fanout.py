"""The blob store's fan-out directories are made in a thread while the server starts: a blob
published meanwhile waits for them, and a fan-out that failed is made again by the next blob."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage_backends.local.blobs import BlobStore


async def _body() -> AsyncIterator[bytes]:
    yield b"x" * 100


def test_open_returns_before_the_fanout_and_a_publish_waits_for_it(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = BlobStore(tmp_path, inline_max=10)
        store.open()
        blob_id, size = await store.publish(_body())  # at once: the fan-out may still be running
        assert size == 100 and store.path(blob_id).read_bytes() == b"x" * 100
        assert len([d for d in (tmp_path / "blobs").iterdir() if d.is_dir()]) == 256
        store.close()

    asyncio.run(scenario())


def test_a_failed_fanout_is_retried_by_the_next_publish(tmp_path: Path) -> None:
    async def scenario() -> None:
        (tmp_path / "blobs").mkdir()
        (tmp_path / "blobs" / "7f").write_bytes(b"a file where a directory must go")
        store = BlobStore(tmp_path, inline_max=10)
        store.open()
        with pytest.raises(FileExistsError):
            await store.publish(_body())
        (tmp_path / "blobs" / "7f").unlink()
        blob_id, _ = await store.publish(_body())
        assert store.path(blob_id).exists() and (tmp_path / "blobs" / "7f").is_dir()
        store.close()

    asyncio.run(scenario())
