"""Immutable blob files: the bytes of object bodies and upload parts.

A blob is named by a random id, never by the user's key, so no key can reach outside the data
directory. Writing goes to a per-process temp directory, is fsynced, then renamed into
``blobs/<id[:2]>/<id>`` and the directory fsynced: only then may metadata point at it. A crash
leaves either nothing visible or a complete file that no metadata names yet (an orphan the
start-up sweep removes). Readers hold an open descriptor, so a blob deleted while being read
stays readable to them.

Blobs live in volumes: the data directory itself (volume ``""``) and, optionally, one directory
per storage class (a larger, cheaper disk for GLACIER, say), each with its own temp directory
so that the final rename never crosses file systems, and each with its free-space reserve
(``storage_backends.space``): a blob file that grows into the reserve, or meets a full disk, is
removed and its write refused with the disk-full error.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import aiofiles.os

from storage_backends.base import DEFAULT_RESERVE, Body, FreeSpaceReserve, VolumeSpace
from storage_backends.local.sealed import Seal, Sealer, seal_bytes
from storage_backends.local.tmp_dirs import TempDir
from storage_backends.space import DATA, SpaceGuard, is_disk_full

log = logging.getLogger("s3gate.blobs")

READ_CHUNK = 1024 * 1024
WRITEBACK_EVERY = 8 * 1024 * 1024
WRITE_BATCH = 1024 * 1024
IOV_MAX = 1024  # Linux's limit on the buffers of one writev
SPACE_CHECK_EVERY = 1024 * 1024  # bytes written between two checks of the reserve
DEFAULT_VOLUME = ""


def new_blob_id() -> str:
    return uuid.uuid4().hex


class SpilledBody:
    """What writing a body produced: inline bytes (small bodies) or a published blob file."""

    __slots__ = ("blob_id", "size", "inline")

    def __init__(self, blob_id: str | None, size: int, inline: bytes | None) -> None:
        self.blob_id = blob_id
        self.size = size
        self.inline = inline


class Volume:
    """One directory of blob files, with this process's own temp directory inside it (``tmp_dirs``)."""

    def __init__(self, root: Path, space: SpaceGuard) -> None:
        self.space = space
        self.blob_dir = root / "blobs"
        self.temp = TempDir(root / "tmp")
        self.tmp: Path | None = None

    def open(self) -> None:
        """Claim a temp directory; remove temp dirs of dead processes (the fan-out comes later)."""
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        self.tmp = self.temp.claim()

    def make_fanout(self) -> None:
        """The 256 directories blobs are spread over, synced into ``blobs/`` before a blob goes in one."""
        for i in range(256):
            (self.blob_dir / f"{i:02x}").mkdir(exist_ok=True)
        fsync_path(self.blob_dir)

    def close(self) -> None:
        self.temp.release()

    def path(self, blob_id: str) -> Path:
        return self.blob_dir / blob_id[:2] / blob_id


class BlobStore:
    def __init__(self, root: Path, inline_max: int, class_dirs: dict[str, Path] | None = None,
                 reserve: FreeSpaceReserve = DEFAULT_RESERVE) -> None:
        self.inline_max = inline_max
        self.volumes = {DEFAULT_VOLUME: Volume(root, SpaceGuard(DATA, root, reserve))}
        for storage_class, directory in (class_dirs or {}).items():
            self.volumes[storage_class] = Volume(directory, SpaceGuard(storage_class, directory, reserve))
        self._fanout: asyncio.Future[None] | None = None  # making the fan-out directories; None once made

    def open(self) -> None:
        """Claim each volume's temp directory, and start making the fan-out directories in a thread:
        on a new data dir that takes tens of milliseconds that the server's start need not wait for."""
        for volume in self.volumes.values():
            volume.open()
        self._fanout = self._start_fanout()

    def _start_fanout(self) -> asyncio.Future[None]:
        fanout = asyncio.ensure_future(asyncio.to_thread(self._make_fanouts))
        fanout.add_done_callback(_report_fanout)
        return fanout

    def _make_fanouts(self) -> None:
        for volume in self.volumes.values():
            volume.make_fanout()

    async def _fanned_out(self) -> None:
        """Wait for the fan-out directories (made long before the first blob, as a rule); retried if it failed."""
        fanout = self._fanout
        if fanout is None:
            return
        try:
            await asyncio.shield(fanout)
        except OSError:
            if self._fanout is fanout:
                self._fanout = self._start_fanout()
            raise
        self._fanout = None

    def close(self) -> None:
        for volume in self.volumes.values():
            volume.close()

    def heartbeat(self) -> None:
        """Every ``tmp_dirs.HEARTBEAT_S``: show other hosts our temp directories live; sweep dead ones."""
        for volume in self.volumes.values():
            volume.temp.beat()

    def volume_for(self, storage_class: str) -> str:
        """The volume new bytes of this storage class go to."""
        return storage_class if storage_class in self.volumes else DEFAULT_VOLUME

    def path(self, blob_id: str, volume: str = DEFAULT_VOLUME) -> Path:
        return self.volumes.get(volume, self.volumes[DEFAULT_VOLUME]).path(blob_id)

    def admit(self, volume: str = DEFAULT_VOLUME, incoming: int = 0) -> None:
        """Refuse a write (the disk-full error) unless ``incoming`` more bytes fit in ``volume`` above its
        reserve and the data directory, which takes the metadata, is above its own."""
        target = self.volumes.get(volume, self.volumes[DEFAULT_VOLUME])
        target.space.check(incoming)
        if target is not self.volumes[DEFAULT_VOLUME]:
            self.volumes[DEFAULT_VOLUME].space.check()

    def disk_space(self) -> list[VolumeSpace]:
        return [volume.space.measure() for volume in self.volumes.values()]

    def sweep_orphans(self, known: Iterable[tuple[str, str]], older_than_s: float) -> int:
        """Delete blob files that no metadata names (a crash between publish and commit, or
        between a transition's copy and its commit). ``known`` holds (blob id, volume) pairs."""
        known_pairs = set(known)
        removed = 0
        for name, volume in self.volumes.items():
            cutoff = volume.temp.fs_now() - older_than_s  # not time.time(): gateways' clocks and the share's differ
            for sub in volume.blob_dir.iterdir():
                for entry in os.scandir(sub):
                    if (entry.name, name) not in known_pairs and entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
                        removed += 1
        return removed

    # -- write ----------------------------------------------------------------------------------
    async def write(self, body: Body, *, allow_inline: bool = True, volume: str = DEFAULT_VOLUME,
                    seal: Seal | None = None) -> SpilledBody:
        """Consume ``body``; keep it inline if small, else publish it as a blob file (sealed with
        ``seal``, inline bytes too: ``inline`` then holds the sealed bytes, ``size`` the plaintext's).

        If the body raises (bad digest, truncated, client gone), the temp file is removed and
        the error propagates: nothing was published.
        """
        held: list[bytes] = []
        size = 0
        iterator = body.__aiter__()
        if allow_inline:
            async for block in iterator:
                held.append(block)
                size += len(block)
                if size > self.inline_max:
                    break
            else:  # the body ended (and verified) while still small
                data = b"".join(held)
                return SpilledBody(None, size, seal_bytes(seal, data) if seal is not None else data)
        blob_id, size = await self.publish(_prepend(held, iterator), volume=volume, seal=seal)
        return SpilledBody(blob_id, size, None)

    async def publish(self, blocks: AsyncIterator[bytes], *, volume: str = DEFAULT_VOLUME,
                      blob_id: str | None = None, seal: Seal | None = None) -> tuple[str, int]:
        """Write ``blocks`` to a temp file, fsync, rename into place, fsync the directory; returns the
        blob id and the bytes given (with ``seal``: sealed as they go, their plaintext size).

        Blocks are written in batches of about ``WRITE_BATCH`` by one ``writev`` in a thread while
        the next ones arrive (a thread hop per block would cost the event loop more than the write).
        """
        sealer = None
        if seal is not None:
            sealer = Sealer(seal)
            blocks = sealer.stream(seal.header, blocks)
        target = self.volumes.get(volume, self.volumes[DEFAULT_VOLUME])
        assert target.tmp is not None, "BlobStore.open() first"
        blob_id = blob_id or new_blob_id()
        tmp = target.tmp / blob_id
        loop = asyncio.get_running_loop()
        writing: asyncio.Future[None] | None = None
        flushing: asyncio.Future[None] | None = None
        fd = -1
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
            batch: list[bytes] = []
            size = batched = flushed = checked = 0
            async for block in blocks:
                batch.append(block)
                batched += len(block)
                if batched < WRITE_BATCH:
                    continue
                if writing is not None:
                    if not writing.done() and batched < 2 * WRITE_BATCH:
                        continue  # gather more while the last batch is being written
                    await asyncio.shield(writing)  # a cancel must not leave a thread writing to a closed fd
                writing = loop.run_in_executor(None, _write_all, fd, batch)
                size += batched
                batch, batched = [], 0
                if size - checked >= SPACE_CHECK_EVERY:
                    target.space.check()
                    checked = size
                if size - flushed >= WRITEBACK_EVERY and (flushing is None or flushing.done()):
                    # Start writing back to disk while more arrives, so the final fsync of a
                    # big body is short (its time overlaps the upload instead of following it).
                    flushing, flushed = loop.run_in_executor(None, os.fdatasync, fd), size
            if batch:
                if writing is not None:
                    await asyncio.shield(writing)
                writing = loop.run_in_executor(None, _write_all, fd, batch)
                size += batched
            for pending in (writing, flushing):
                if pending is not None:
                    await asyncio.shield(pending)
            await asyncio.to_thread(os.fsync, fd)
            os.close(fd)
            fd = -1
            final = target.path(blob_id)
            await self._fanned_out()
            await aiofiles.os.rename(tmp, final)
            await asyncio.to_thread(fsync_path, final.parent)
            if sealer is not None:
                size = sealer.size
        except BaseException as exc:
            for pending in (writing, flushing):
                if pending is not None:
                    if not pending.done():  # no thread may write to the descriptor once it is closed
                        await asyncio.wait([pending])
                    if not pending.cancelled():
                        pending.exception()  # retrieved: the error raised is the first one
            if fd >= 0:
                os.close(fd)
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            if is_disk_full(exc):
                target.space.full(exc)
            raise
        return blob_id, size

    async def copy_to(self, blob_id: str, source: str, target: str) -> None:
        """Copy a blob into another volume under the same id (a storage-class transition)."""
        fd = self.open_fd(blob_id, source)
        try:
            size = os.fstat(fd).st_size
            await self.publish(read_fd(fd, 0, size), volume=target, blob_id=blob_id)
        finally:
            os.close(fd)

    # -- read -----------------------------------------------------------------------------------
    def open_fd(self, blob_id: str, volume: str = DEFAULT_VOLUME) -> int:
        """Raises FileNotFoundError if the blob was deleted meanwhile (callers retry the lookup)."""
        return os.open(self.path(blob_id, volume), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))

    async def delete(self, blob_ids: Iterable[str], volumes: Iterable[str] | None = None) -> None:
        """Unlink blob files; without ``volumes``, from whichever volume holds them."""
        names = list(volumes) if volumes is not None else list(self.volumes)

        def unlink_all() -> None:
            for blob_id in blob_ids:
                for name in names:
                    try:
                        os.unlink(self.path(blob_id, name))
                    except FileNotFoundError:
                        pass

        await asyncio.to_thread(unlink_all)


def _report_fanout(fanout: asyncio.Future[None]) -> None:
    if not fanout.cancelled() and fanout.exception() is not None:
        log.warning("could not make the blob directories (the next blob written retries): %s", fanout.exception())


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


def _write_all(fd: int, blocks: list[bytes]) -> None:
    """``writev`` until every byte is written (a regular file may take less per call)."""
    views = [memoryview(b) for b in blocks]
    while views:
        written = os.writev(fd, views[:IOV_MAX])
        while views and written >= len(views[0]):
            written -= len(views.pop(0))
        if written:
            views[0] = views[0][written:]


async def _prepend(first: list[bytes], rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``first`` then ``rest``; each block of ``first`` is let go as soon as it is handed on."""
    first.reverse()
    while first:
        yield first.pop()
    async for block in rest:
        yield block


def fsync_path(path: str | Path) -> None:
    """fsync a file or a directory (a rename is durable once its directory is synced)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
