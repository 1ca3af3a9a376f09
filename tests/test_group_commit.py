"""Metadata commits are shared: concurrent writes that wait for another worker's turn commit together.

Workers of one data dir take turns committing through an ``flock`` on ``metadata.db.write-lock``.
The test holds that lock itself, as a worker in the middle of a commit does, while PUTs arrive;
the commits are counted in SQLite's write-ahead log.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from pathlib import Path

import pytest

from tests.harness.files import wal_commits
from tests.harness.rawhttp import read_reply, sign_v4

WAITING_PUTS = 16


def _request(endpoint: str, key: str, body: bytes) -> bytes:
    url = f"{endpoint}/group/{key}"
    headers = sign_v4("PUT", url, body=body)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (f"PUT /group/{key} HTTP/1.1\r\nHost: {endpoint.split('//')[1]}\r\n{head}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def _unread_bytes(server_port: int, client_ports: set[int]) -> int | None:
    """Bytes the server has not read yet from these connections (None: not all are established)."""
    unread, seen = 0, 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state, queues = fields[1], fields[2], fields[3], fields[4]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == server_port \
                    and int(remote.rsplit(":", 1)[1], 16) in client_ports:
                seen += 1
                unread += int(queues.split(":")[1], 16)
    return unread if seen == len(client_ports) else None


def _lock_waiters(lock_path: Path) -> int:
    """Processes blocked on an flock of this file (``->`` lines of /proc/locks)."""
    inode = os.stat(lock_path).st_ino
    return sum(1 for line in Path("/proc/locks").read_text().splitlines()
               if "->" in line and line.split()[-3].endswith(f":{inode}"))


def _until(condition: object, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


@pytest.mark.backends("local", reason="commits of the local data dir's metadata")
def test_puts_waiting_for_another_workers_lock_share_one_commit(make_server):
    srv = make_server().start()
    srv.client().create_bucket(Bucket="group")
    db = srv.data_dir / "metadata.db"
    lock_path = Path(f"{db}.write-lock")
    other_worker = os.open(lock_path, os.O_RDWR)
    sockets: list[socket.socket] = []
    try:
        fcntl.flock(other_worker, fcntl.LOCK_EX)
        before = wal_commits(db)
        for i in range(WAITING_PUTS):
            sock = socket.create_connection(("127.0.0.1", srv.port))
            sock.sendall(_request(srv.endpoint, f"k{i}", b"x" * i))
            sockets.append(sock)
        ports = {s.getsockname()[1] for s in sockets}
        _until(lambda: _unread_bytes(srv.port, ports) == 0, "the server reads every PUT")
        _until(lambda: _lock_waiters(lock_path) > 0, "a PUT waits for the lock")
        time.sleep(0.2)  # the last PUTs read queue their commits behind it
        fcntl.flock(other_worker, fcntl.LOCK_UN)
        for sock in sockets:
            assert read_reply(sock).startswith(b"HTTP/1.1 200 "), "PUT failed"
        # One commit carries every waiting PUT (each used to take a turn of its own: 16 commits);
        # the maintenance lease may renew in one more, a straggler (a very slow machine) in another.
        assert wal_commits(db) - before <= 3
    finally:
        os.close(other_worker)
        for sock in sockets:
            sock.close()
    listed = srv.client().list_objects_v2(Bucket="group")
    assert listed["KeyCount"] == WAITING_PUTS
