"""Holder ids: who holds a lease or a temp directory, and whether that holder is known to be dead.

Several gateways on different hosts share one metadata store and one data directory, so a PID says
nothing by itself: pid 4242 on another host, in another container's PID namespace or before this
host's last reboot is not our 4242. A holder id therefore names the host, the boot (the kernel's
``boot_id``) and the PID namespace (the inode of ``/proc/self/ns/pid``) besides the pid and a random
token. Only a holder of this very host, boot and PID namespace can be found dead by its PID (a
restart after kill -9 takes its lease over at once); any other holder is alive until its lease or
heartbeat expires. Fields are joined by ``_`` (safe in a file name on NFS and SMB shares too); the
host comes first and may itself hold ``_``, so an id is split from the right.
"""

from __future__ import annotations

import fcntl
import functools
import os
import re
import socket
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage_backends.catalog.store import Catalog

SEPARATOR = "_"
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]")


@dataclass(frozen=True, slots=True)
class Holder:
    host: str
    boot: str
    pidns: str
    pid: int
    token: str

    def __str__(self) -> str:
        return SEPARATOR.join((self.host, self.boot, self.pidns, str(self.pid), self.token))

    @property
    def machine(self) -> tuple[str, str, str]:
        """Host, boot and PID namespace: equal to ours, the pid can be checked with ``kill(pid, 0)``."""
        return self.host, self.boot, self.pidns


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:  # not Linux, or /proc not mounted: the field stays empty, never equal to a real one
        return ""


@functools.cache
def this_machine() -> tuple[str, str, str]:
    """This process's host (made file-name safe), boot id and PID namespace (fixed for the process's life)."""
    try:
        pidns = str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        pidns = ""
    host = _UNSAFE.sub("-", socket.gethostname()) or "host"
    return host, _read("/proc/sys/kernel/random/boot_id").replace("-", ""), pidns


def new_holder() -> Holder:
    """A fresh id for this process (each call its own token: a process may hold several things)."""
    host, boot, pidns = this_machine()
    return Holder(host, boot or "noboot", pidns or "nons", os.getpid(), uuid.uuid4().hex[:8])


def parse(text: str | None) -> Holder | None:
    """The holder an id names, or None if it is not one (another program's, or an older gateway's)."""
    parts = (text or "").rsplit(SEPARATOR, 4)
    if len(parts) != 5 or not parts[3].isdigit() or not all(parts):
        return None
    return Holder(parts[0], parts[1], parts[2], int(parts[3]), parts[4])


def ours(holder: Holder) -> bool:
    """The holder runs (or ran) on this host, this boot, in this PID namespace."""
    return holder.machine == this_machine()


def same_kernel(holder: Holder) -> bool:
    """The holder runs (or ran) on this kernel since its boot: this host, or a container on it (another
    hostname and PID namespace, the same boot id), whose flocks this kernel keeps too."""
    return holder.boot == this_machine()[1]


def lock_free(path: str | os.PathLike[str]) -> bool | None:
    """Whether no process of this kernel holds ``path``'s flock (its holder is gone, kill -9 included, since
    the kernel drops a dead process's flocks); None when there is no such file."""
    try:
        fd = os.open(path, os.O_RDWR)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a live process holds it
    finally:
        os.close(fd)  # (a lock we took goes with it)
    return True


def dead_here(text: str | None) -> bool:
    """The id names a process of this host, boot and PID namespace that no longer runs; anything else
    (another host's, another namespace's, an unparseable id) is not known dead: its TTL decides."""
    holder = parse(text)
    if holder is None or not ours(holder):
        return False
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


async def take_lease(catalog: Catalog, name: str, holder: str, ttl_s: float, *, held: bool = False) -> bool:
    """Take or renew the lease ``name``: free, expired or ours, or held by a process known dead here (replaced
    at once rather than after the TTL). ``held``: we hold it already, so only the renewal is written."""
    current = None if held else await catalog.lease_holder(name)
    if current is None or current == holder:
        return await catalog.lease(name, holder, ttl_s)
    if dead_here(current):
        return await catalog.lease(name, holder, ttl_s, replacing=current)
    return False  # another live process holds it: a read, no write
