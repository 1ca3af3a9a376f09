"""Acknowledged means durable: SIGKILL in the middle of uploads, then restart."""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from tests.harness.clients import make_client
from tests.harness.servers import LOCAL


@pytest.mark.backends(*LOCAL, reason="durability of the local data dir under SIGKILL (upstreams keep their own)")
@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_during_uploads_keeps_every_acknowledged_object(make_server, workers):
    # With 2 workers, their commits take turns and batch up behind each other's: each still
    # answers only once the WAL fsync covers its own commit.
    srv = make_server(args=["--workers", str(workers)]).start()
    s3 = make_client(srv.endpoint)
    s3.create_bucket(Bucket="crash")
    acknowledged: dict[str, str] = {}
    attempted: dict[str, set[str]] = {}
    stop = threading.Event()
    lock = threading.Lock()

    def writer(worker: int) -> None:
        client = make_client(srv.endpoint)
        rng = random.Random(worker)
        i = 0
        while not stop.is_set():
            key = f"w{worker}/k{i % 25}"  # overwrites as well as new keys
            body = os.urandom(rng.choice([100, 5_000, 70_000, 400_000, 3_000_000]))
            digest = hashlib.md5(body).hexdigest()
            with lock:
                attempted.setdefault(key, set()).add(digest)
            try:
                client.put_object(Bucket="crash", Key=key, Body=body)
            except (BotoCoreError, ClientError):
                return  # the server died under us
            with lock:
                acknowledged[key] = digest
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    time.sleep(2.5)
    srv.kill()
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged) > 20

    srv.start()
    try:
        s3 = make_client(srv.endpoint)
        for key, digest in acknowledged.items():
            body = s3.get_object(Bucket="crash", Key=key)["Body"].read()
            got = hashlib.md5(body).hexdigest()
            # The acknowledged write, or a later one that was in flight: never a torn object.
            assert got == digest or got in attempted[key], key
        listed = s3.list_objects_v2(Bucket="crash")["Contents"]
        for obj in listed:
            assert obj["ETag"].strip('"') in attempted[obj["Key"]]
        # temp files of the killed process are gone after the restart
        leftovers = [p for p in (srv.data_dir / "tmp").rglob("*") if p.is_file() and not p.name.endswith("lock")]
        assert len([p for p in leftovers if str(srv.proc.pid) not in str(p)]) == 0  # type: ignore[union-attr]
    finally:
        srv.stop()
