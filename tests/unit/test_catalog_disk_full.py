"""The SQLite catalog on a full disk: SQLITE_FULL is the disk-full 503, rolled back, and the next write works.

The catalog lives on a small tmpfs of the test's own (mounting needs root, as CI runs the tests): a test
that cannot mount it fails, it never skips.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.wire.errors import S3Error
from storage_backends.catalog.dialects import open_catalog
from storage_backends.catalog.sql import buckets


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(tmp_path)], check=True)
    yield tmp_path
    subprocess.run(["umount", str(tmp_path)], check=True)


def test_a_commit_that_does_not_fit_is_the_disk_full_error_and_leaves_no_row(small_disk: Path) -> None:
    async def body() -> None:
        cat = open_catalog("sqlite", str(small_disk / "metadata.db"))
        try:
            st = os.statvfs(small_disk)
            filler = small_disk / "filler"
            filler.write_bytes(bytes(st.f_bavail * st.f_frsize - 100_000))  # 100 KB left
            documents = {f"kind{i}": "x" * 100_000 for i in range(10)}  # a 1 MB transaction
            with pytest.raises(S3Error) as caught:
                await cat.write(lambda tx: buckets.create(tx, "big", "us-east-1", "owner", documents))
            assert (caught.value.status, caught.value.code) == (503, "ServiceUnavailable")
            assert "the data directory's disk is full" in caught.value.message
            assert await cat.bucket("big") is None
            filler.unlink()
            await cat.write(lambda tx: buckets.create(tx, "big", "us-east-1", "owner", documents))
            assert await cat.config("big", "kind9") == "x" * 100_000
        finally:
            await cat.aclose()

    asyncio.run(body())
