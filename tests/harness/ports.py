"""Loopback ports for the processes the tests start, safe when several pytest-xdist workers start them at once.

A port found free can be taken by another process before the child binds it. Binding port 0 and closing
(the usual trick) draws from Linux's ephemeral range (32768-60999), where every worker's outgoing
connections and port-0 binds land too. So each xdist worker hands out ports from its own slice of
20000-32767, round its slice from a random start, skipping any port something holds: the workers of one
run never collide, and a concurrent run (another checkout's suite, a bench) seldom does; ``Server.start``
takes new ports when its bind lost all the same.
"""

from __future__ import annotations

import itertools
import os
import random
import socket
from collections.abc import Iterator

__all__ = ["free_port"]

LOW, HIGH = 20000, 32768  # below the ephemeral range
_cycle: Iterator[int] | None = None


def _slice() -> range:
    """This process's ports: an xdist worker's share of LOW..HIGH, or all of it outside xdist."""
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    size = (HIGH - LOW) // count
    return range(LOW + index * size, LOW + (index + 1) * size)


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A loopback port nothing is bound to, not handed out again until this process has gone round its slice."""
    global _cycle
    if _cycle is None:
        ports = _slice()
        start = random.randrange(len(ports))
        _cycle = itertools.cycle([*ports[start:], *ports[:start]])
    for port in itertools.islice(_cycle, HIGH - LOW):
        if _bindable(port):
            return port
    raise RuntimeError("no free loopback port in this worker's slice")


def listens(pid: int, port: int) -> bool:
    """Whether process ``pid`` (or a child of it) holds a socket listening on loopback ``port``.

    Connecting would not tell: when another process took the port first, the connection reaches it."""
    wanted = _listening_sockets(port)
    if not wanted:
        return False
    for holder in (pid, *children(pid)):
        try:
            fds = os.listdir(f"/proc/{holder}/fd")
        except OSError:  # it exited meanwhile
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{holder}/fd/{fd}") in wanted:
                    return True
            except OSError:
                continue
    return False


def _listening_sockets(port: int) -> set[str]:
    """``socket:[inode]`` of each TCP socket listening on ``port`` (state 0A in /proc/net/tcp)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in itertools.islice(f, 1, None):
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    found.add(f"socket:[{fields[9]}]")
    return found


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found.extend(int(c) for c in f.read().split())
    except OSError:  # it exited meanwhile
        pass
    return found
