"""Immutable blob files: the bytes of object bodies and upload parts.

A blob is named by a random id, never by the user's key, so no key can reach outside the data
directory. Writing goes to a per-process temp directory, is fsynced, then renamed into
``blobs/<id[:2]>/<id>`` and the directory fsynced: only then may metadata point at it. A crash
leaves either nothing visible or a complete file that no metadata names yet (an orphan the
start-up sweep removes). Readers hold an open descriptor, so a blob deleted while being read
stays readable to them.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import aiofiles
import aiofiles.os

from storage_backends.base import Body

log = logging.getLogger("s3gate.blobs")

READ_CHUNK = 1024 * 1024


def new_blob_id() -> str:
    return uuid.uuid4().hex


class SpilledBody:
    """What writing a body produced: inline bytes (small bodies) or a published blob file."""

    __slots__ = ("blob_id", "size", "inline")

    def __init__(self, blob_id: str | None, size: int, inline: bytes | None) -> None:
        self.blob_id = blob_id
        self.size = size
        self.inline = inline


class BlobStore:
    def __init__(self, root: Path, inline_max: int) -> None:
        self.root = root
        self.blob_dir = root / "blobs"
        self.tmp_root = root / "tmp"
        self.inline_max = inline_max
        self._tmp: Path | None = None
        self._lock_fd: int | None = None

    # -- start-up -----------------------------------------------------------------------------
    def open(self) -> None:
        """Create the layout and claim a temp directory; remove temp dirs of dead processes."""
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_root.mkdir(parents=True, exist_ok=True)
        for i in range(256):
            (self.blob_dir / f"{i:02x}").mkdir(exist_ok=True)
        _fsync_dir(self.blob_dir)
        self._remove_dead_tmp_dirs()
        self._tmp = self.tmp_root / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._tmp.mkdir()
        self._lock_fd = os.open(self._tmp / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def _remove_dead_tmp_dirs(self) -> None:
        for entry in self.tmp_root.iterdir():
            lock = entry / ".lock"
            try:
                fd = os.open(lock, os.O_RDWR)
            except FileNotFoundError:
                shutil.rmtree(entry, ignore_errors=True)
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live process owns it
            finally:
                os.close(fd)
            shutil.rmtree(entry, ignore_errors=True)

    def sweep_orphans(self, known: Iterable[str], older_than_s: float) -> int:
        """Delete blob files that no metadata names (a crash between publish and commit)."""
        known_ids = set(known)
        cutoff = time.time() - older_than_s
        removed = 0
        for sub in self.blob_dir.iterdir():
            for entry in os.scandir(sub):
                if entry.name not in known_ids and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
        return removed

    # -- paths ----------------------------------------------------------------------------------
    def path(self, blob_id: str) -> Path:
        return self.blob_dir / blob_id[:2] / blob_id

    # -- write ----------------------------------------------------------------------------------
    async def write(self, body: Body, *, allow_inline: bool = True) -> SpilledBody:
        """Consume ``body``; keep it inline if small, else publish it as a blob file.

        If the body raises (bad digest, truncated, client gone), the temp file is removed and
        the error propagates: nothing was published.
        """
        held = bytearray()
        iterator = body.__aiter__()
        if allow_inline:
            async for block in iterator:
                held += block
                if len(held) > self.inline_max:
                    break
            else:  # the body ended (and verified) while still small
                return SpilledBody(None, len(held), bytes(held))
        blob_id, size = await self.publish(bytes(held), iterator)
        return SpilledBody(blob_id, size, None)

    async def publish(self, head: bytes, rest: AsyncIterator[bytes]) -> tuple[str, int]:
        """Write ``head`` + ``rest`` to a temp file, fsync, rename into place, fsync the directory."""
        assert self._tmp is not None, "BlobStore.open() first"
        blob_id = new_blob_id()
        tmp = self._tmp / blob_id
        try:
            async with aiofiles.open(tmp, "wb") as f:
                size = len(head)
                if head:
                    await f.write(head)
                del head
                async for block in rest:
                    await f.write(block)
                    size += len(block)
                await f.flush()
                await asyncio.to_thread(os.fsync, f.fileno())
            final = self.path(blob_id)
            await aiofiles.os.rename(tmp, final)
            await asyncio.to_thread(_fsync_dir, final.parent)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        return blob_id, size

    # -- read -----------------------------------------------------------------------------------
    def open_fd(self, blob_id: str) -> int:
        """Raises FileNotFoundError if the blob was deleted meanwhile (callers retry the lookup)."""
        return os.open(self.path(blob_id), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))

    async def delete(self, blob_ids: Iterable[str]) -> None:
        def unlink_all() -> None:
            for blob_id in blob_ids:
                try:
                    os.unlink(self.path(blob_id))
                except FileNotFoundError:
                    pass

        await asyncio.to_thread(unlink_all)


async def read_fd(fd: int, start: int, length: int) -> AsyncIterator[bytes]:
    """Stream ``length`` bytes at ``start`` from an open descriptor, in ``READ_CHUNK`` pieces."""
    loop = asyncio.get_running_loop()
    position = start
    remaining = length
    while remaining > 0:
        chunk = await loop.run_in_executor(None, os.pread, fd, min(READ_CHUNK, remaining), position)
        if not chunk:
            raise OSError(f"blob ended {remaining} bytes early")
        position += len(chunk)
        remaining -= len(chunk)
        yield chunk


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
