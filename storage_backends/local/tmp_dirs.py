"""Per-process temp directories in a data directory that processes on several hosts may share.

Each process writes incoming bodies under ``tmp/<holder id>`` (``storage_backends.holders``) and
holds an flock on its ``.lock`` while it lives. Whether another directory's owner is dead is told
two ways. On this kernel (this host since its boot, or a container on it: the same boot id), by the
flock: free means dead (kill -9 included), as the kernel keeps flocks. Another host's flock or PID
tells nothing (NFS may not carry flocks, a PID is another kernel's), so its owner touches
``.heartbeat`` every ``HEARTBEAT_S`` and its directory is removed only once that is ``STALE_S`` old
by the file system's clock: the mtime of a file we have just touched, never ``time.time()``, since
hosts' clocks differ and NFS stamps the server's time.
Claims and sweeps take ``tmp/.claim-lock`` so that no process takes another's new directory for
dead between its mkdir and its lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from storage_backends.holders import lock_free, new_holder, parse, same_kernel

CLAIM_LOCK = ".claim-lock"  # in tmp/, beside the processes' temp directories
LOCK = ".lock"
HEARTBEAT = ".heartbeat"
HEARTBEAT_S = 60.0
STALE_S = 3600.0  # another host's directory whose heartbeat is this old is a dead gateway's


class TempDir:
    """This process's temp directory in one ``tmp/`` root: claimed, kept alive, released."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path: Path | None = None
        self._lock_fd: int | None = None

    def claim(self) -> Path:
        """Sweep dead processes' directories, then make and lock ours."""
        self.root.mkdir(parents=True, exist_ok=True)
        with _claim_lock(self.root, wait=True):
            sweep(self.root)
            path = self.root / str(new_holder())
            path.mkdir()
            self._lock_fd = os.open(path / LOCK, os.O_CREAT | os.O_RDWR, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            _touch(path / HEARTBEAT)
        self.path = path
        return path

    def beat(self) -> None:
        """Tell other hosts we live (every ``HEARTBEAT_S``), and sweep if no other process is claiming."""
        if self.path is None:
            return
        _touch(self.path / HEARTBEAT)
        with _claim_lock(self.root, wait=False) as locked:
            if locked:
                sweep(self.root)

    def fs_now(self) -> float:
        """The file system's clock (the mtime of our heartbeat, touched now): what its files' ages count from."""
        assert self.path is not None, "claim() first"
        return _touch(self.path / HEARTBEAT)

    def release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = None


def sweep(root: Path, stale_s: float = STALE_S) -> list[str]:
    """Remove the temp directories of dead processes (the caller holds the claim lock); returns their names."""
    now = _touch(root / CLAIM_LOCK)  # the file system's clock
    removed = []
    for entry in root.iterdir():
        if entry.is_symlink() or not entry.is_dir():
            continue  # the claim lock, or a file someone left: not a process's temp directory
        holder = parse(entry.name)
        # Unparseable: an older gateway's ``<pid>-<token>``, which only ever ran on one host. This kernel's:
        # dead once no process holds its lock (no lock file: not a temp dir of ours, or never finished).
        if holder is None or same_kernel(holder):
            dead = lock_free(entry / LOCK) is not False
        else:
            dead = now - _last_beat(entry) > stale_s
        if dead:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed


def _last_beat(entry: Path) -> float:
    """When the owner last showed life: its heartbeat, or the directory's making (a claim in progress)."""
    times = []
    for path in (entry / HEARTBEAT, entry):
        try:
            times.append(path.stat().st_mtime)
        except OSError:
            pass
    return max(times, default=0.0)


def _touch(path: Path) -> float:
    """Set ``path``'s mtime to now (the server's time on NFS: utime without times) and return that mtime."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        os.utime(fd)
        return os.fstat(fd).st_mtime
    finally:
        os.close(fd)


@contextlib.contextmanager
def _claim_lock(root: Path, *, wait: bool) -> Iterator[bool]:
    fd = os.open(root / CLAIM_LOCK, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
