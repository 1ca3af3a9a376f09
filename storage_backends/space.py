"""Free disk space: the reserve below which writes are refused, and the answer to a full disk.

Writes are refused while a file system they would use has less free space than its reserve
(``--min-free-space``), so that what needs a little space always finds it: the metadata commits of
writes already under way, deletes (which free space at once), the metadata WAL. A write that meets
a full disk anyway (ENOSPC from a blob file, SQLITE_FULL from the metadata) gets the same answer:
503 ServiceUnavailable, which AWS SDKs retry with backoff and a client can retry later, with a
message naming the full disk. The log gets a warning (at most one per disk every few seconds),
not a traceback: a full disk is the operator's to fix, not a bug.

The check is one ``statvfs`` (about a microsecond), made before a write and again for every MiB
a blob file grows, so concurrent uploads cannot run far past the reserve.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from pathlib import Path
from typing import NoReturn

from gateway.wire.errors import Code, S3Error
from storage_backends.base import FreeSpaceReserve, VolumeSpace

log = logging.getLogger("s3gate.space")

DATA = "data"  # the data directory's file system: metadata, and the blobs of every class without a directory
MIN_FREE_INODES = 1000  # a blob is a file: running out of inodes is a full disk too (MinIO refuses at 1000)
WARN_EVERY_S = 10.0
_warned: dict[str, tuple[float, int]] = {}  # disk name -> (last warning, refusals not logged since)


def disk_full(name: str) -> S3Error:
    """The answer to a write that does not fit: retryable (503), and saying which disk is full."""
    where = "the data directory's disk" if name == DATA else f"the disk of storage class {name}"
    return S3Error(Code.ServiceUnavailable,
                   f"Not enough free disk space: {where} is full or below its reserve (--min-free-space). "
                   "Writes are refused until space is freed; deletes still work. Retry later.")


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC or EDQUOT from the file system (the catalog recognises its database's own "disk is full")."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def refuse(name: str, why: str) -> NoReturn:
    """Warn (rate-limited per disk) and raise :func:`disk_full`."""
    now = time.monotonic()
    last, unlogged = _warned.get(name, (float("-inf"), 0))
    if now - last >= WARN_EVERY_S:
        more = f" ({unlogged} more refused since the last warning)" if unlogged else ""
        log.warning("write refused: %s%s; delete objects or add space", why, more)
        _warned[name] = (now, 0)
    else:
        _warned[name] = (last, unlogged + 1)
    raise disk_full(name)


class SpaceGuard:
    """The reserve of the file system holding one directory."""

    def __init__(self, name: str, path: Path, reserve: FreeSpaceReserve) -> None:
        self.name = name
        self.path = path
        self.reserve = reserve

    def measure(self, incoming: int = 0) -> VolumeSpace:
        st = os.statvfs(self.path)
        total, free = st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize
        inodes = st.f_favail if st.f_files else None
        reserve = self.reserve.bytes_of(total)
        refused = free - incoming < reserve or (inodes is not None and inodes < MIN_FREE_INODES)
        return VolumeSpace(self.name, total, free, reserve, inodes, refused)

    def check(self, incoming: int = 0) -> None:
        """Refuse a write that would leave less than the reserve after storing ``incoming`` more bytes."""
        st = os.statvfs(self.path)  # the common case, in a few microseconds: room, and inodes to spare
        if st.f_bavail * st.f_frsize - incoming >= self.reserve.bytes_of(st.f_blocks * st.f_frsize) \
                and (not st.f_files or st.f_favail >= MIN_FREE_INODES):
            return
        space = self.measure(incoming)
        if space.writes_refused:
            low = space.free_inodes is not None and space.free_inodes < MIN_FREE_INODES
            inodes = f", {space.free_inodes} inodes (at least {MIN_FREE_INODES} kept)" if low else ""
            refuse(self.name, f"{self.path} ({self.name}) has {_mb(space.free_bytes)} free{inodes}, "
                              f"{_mb(incoming)} more to store, reserve {_mb(space.reserve_bytes)} (--min-free-space)")

    def full(self, exc: BaseException) -> NoReturn:
        """A write that met a full disk anyway (no reserve, or one run past by concurrent writes)."""
        refuse(self.name, f"{self.path} ({self.name}) is full: {exc}")


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"
