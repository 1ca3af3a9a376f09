"""Three gateways on one PostgreSQL schema and one shared data directory: the image app's story (issue 17).

The gateways start at the same moment (one applies the migrations). Each runs in a PID namespace of
its own (``unshare``): to the others' holder ids it is another machine, so a dead gateway's leases
pass on by their TTL, as between hosts, never by its PID. Needs PostgreSQL and Redis (fails without).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest
import redis
from botocore.exceptions import ClientError

from storage_backends.holders import parse
from tests.harness.assertions import assert_same_bytes
from tests.harness.clients import unique_bucket_name
from tests.harness.ports import children
from tests.harness.postgres import TestDatabase
from tests.harness.rawhttp import signed
from tests.harness.servers import Server

NAMESPACE = ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child=SIGKILL"]
DAY_S = 4  # the lifecycle day: the leader passes every second (a quarter day)
EXPIRY_DAYS = 100  # 400 s: nothing falls due during the test unless the admin endpoint moves the clock
LIFECYCLE_OBJECTS = 1500
TAKEOVER_S = 15.0  # lease TTL 5 s + renewals every 1.5 s + a pass every second, with room for a busy machine


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


class Gateway(Server):
    """``s3gate serve`` in a PID namespace of its own (as on another machine, for holder ids)."""

    def command(self) -> list[str]:
        return [*NAMESPACE, *super().command()]

    @property
    def pidns(self) -> str:
        """The gateway's PID namespace (the inode its holder ids name)."""
        assert self.proc is not None
        (inner,) = children(self.proc.pid)
        return str(os.stat(f"/proc/{inner}/ns/pid").st_ino)

    def stop(self) -> None:
        """SIGINT to the gateway itself: unshare would only die of it, and SIGKILL the gateway."""
        if self.proc is None or self.proc.poll() is not None:
            return
        for pid in children(self.proc.pid):
            os.kill(pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass
class Fleet:
    gateways: list[Gateway]
    url: str  # the metadata schema's
    events: str  # the Redis list the notification target writes

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url) as conn:
            return conn.execute(query, params).fetchall()

    def leader(self, lease: str) -> Gateway:
        """The live gateway holding ``lease`` (waits for one to take it)."""
        deadline = time.monotonic() + TAKEOVER_S
        while time.monotonic() < deadline:
            rows = self.sql("SELECT holder FROM leases WHERE name = %s", (lease,))
            holder = parse(rows[0][0]) if rows else None
            for gateway in self.gateways:
                if holder is not None and gateway.alive() and gateway.pidns == holder.pidns:
                    return gateway
            time.sleep(0.1)
        raise AssertionError(f"no live gateway holds the {lease} lease: {rows}")


def _start_together(gateways: list[Gateway]) -> None:
    with ThreadPoolExecutor(len(gateways)) as pool:
        list(pool.map(lambda g: g.start(timeout=30), gateways))


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    probe = subprocess.run([*NAMESPACE, "true"], capture_output=True, text=True)
    assert probe.returncode == 0, f"this test runs gateways in PID namespaces of their own (unshare): {probe.stderr}"
    broker = redis.Redis()
    broker.ping()  # no Redis: a loud failure
    database = TestDatabase()
    url = database.fresh_url()
    events = f"s3gate-scale-{uuid.uuid4().hex[:8]}"
    shared = tmp_path_factory.mktemp("scale") / "shared"
    args = ["--metadata-url", url, "--lifecycle-day-seconds", str(DAY_S),
            "--notify-target", f"jobs=redis://127.0.0.1:6379/0?list={events}"]
    gateways = [Gateway(shared, args=args) for _ in range(3)]
    for number, gateway in enumerate(gateways, start=1):
        gateway.log_path = shared.parent / f"gateway-{number}.log"
    _start_together(gateways)  # at the same moment: the migrations run once
    try:
        yield Fleet(gateways, url, events)
    finally:
        for gateway in gateways:
            gateway.stop()
        broker.delete(events)
        database.drop()


def _clients(fleet: Fleet) -> list[Any]:
    return [g.client() for g in fleet.gateways]


def test_uploads_through_one_gateway_are_read_listed_copied_and_deleted_through_the_others(fleet: Fleet) -> None:
    g1, g2, g3 = _clients(fleet)
    bucket = unique_bucket_name("photos")
    g1.create_bucket(Bucket=bucket)
    bodies = {key: os.urandom(size) for key, size in
              (("B", 10), ("_", 200 * 1024), ("a", 1024), ("a/b.jpg", 300 * 1024), ("a/c.jpg", 5))}
    for key, body in bodies.items():
        g1.put_object(Bucket=bucket, Key=key, Body=body)
    for key, body in bodies.items():
        assert_same_bytes(g2.get_object(Bucket=bucket, Key=key)["Body"].read(), body)
    listed = [o["Key"] for o in g3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == ["B", "_", "a", "a/b.jpg", "a/c.jpg"]  # byte order
    folders = g2.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in folders["CommonPrefixes"]] == ["a/"]
    g2.copy_object(Bucket=bucket, Key="copy.jpg", CopySource={"Bucket": bucket, "Key": "a/b.jpg"})
    assert_same_bytes(g3.get_object(Bucket=bucket, Key="copy.jpg")["Body"].read(), bodies["a/b.jpg"])
    g3.delete_object(Bucket=bucket, Key="a/b.jpg")
    with pytest.raises(ClientError) as missing:
        g1.head_object(Bucket=bucket, Key="a/b.jpg")
    assert missing.value.response["Error"]["Code"] == "404"
    assert "a/b.jpg" not in [o["Key"] for o in g2.list_objects_v2(Bucket=bucket)["Contents"]]
    # one multipart upload, its parts through different gateways
    upload_id = g1.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(1024)]
    etags = [c.upload_part(Bucket=bucket, Key="big", UploadId=upload_id, PartNumber=n, Body=part)["ETag"]
             for n, (c, part) in enumerate(zip((g2, g3), parts, strict=True), start=1)]
    assert [p["PartNumber"] for p in g1.list_parts(Bucket=bucket, Key="big", UploadId=upload_id)["Parts"]] == [1, 2]
    g1.complete_multipart_upload(Bucket=bucket, Key="big", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]})
    assert_same_bytes(g2.get_object(Bucket=bucket, Key="big")["Body"].read(), b"".join(parts))


def test_concurrent_conditional_writes_on_two_gateways_let_exactly_one_win(fleet: Fleet) -> None:
    g1, g2, g3 = _clients(fleet)
    bucket = unique_bucket_name("once")
    g1.create_bucket(Bucket=bucket)
    barrier = threading.Barrier(2)

    def attempt(client: Any, key: str, body: bytes) -> str:
        barrier.wait()
        try:
            client.put_object(Bucket=bucket, Key=key, Body=body, IfNoneMatch="*")
            return "won"
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])

    with ThreadPoolExecutor(2) as pool:
        for round_no in range(40):
            key = f"avatar-{round_no}"
            bodies = (f"gateway 1, round {round_no}".encode(), f"gateway 2, round {round_no}".encode())
            outcomes = list(pool.map(attempt, (g1, g2), (key, key), bodies))
            assert sorted(outcomes) in (["PreconditionFailed", "won"], ["ConditionalRequestConflict", "won"]), outcomes
            assert g3.get_object(Bucket=bucket, Key=key)["Body"].read() == bodies[outcomes.index("won")]


def _anonymous_status(anonymous: httpx.Client, gateway: Gateway, bucket: str) -> int:
    return anonymous.get(f"{gateway.endpoint}/{bucket}/cat.jpg").status_code


def test_a_bucket_policy_change_on_one_gateway_applies_on_the_others_within_a_second(fleet: Fleet) -> None:
    g1 = fleet.gateways[0].client()
    bucket = unique_bucket_name("public")
    g1.create_bucket(Bucket=bucket)
    g1.delete_public_access_block(Bucket=bucket)
    g1.put_object(Bucket=bucket, Key="cat.jpg", Body=b"meow")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]})
    others = fleet.gateways[1:]
    anonymous = httpx.Client(timeout=10)  # one client: a new one costs more than the change takes to spread
    changes: list[tuple[Callable[[], object], int, int]] = [
        (lambda: g1.put_bucket_policy(Bucket=bucket, Policy=policy), 403, 200),
        (lambda: g1.delete_bucket_policy(Bucket=bucket), 200, 403)]
    for change, before, after in changes:
        for gateway in others:  # cached there now
            assert _anonymous_status(anonymous, gateway, bucket) == before
        change()
        changed_at = time.monotonic()
        for gateway in others:
            while _anonymous_status(anonymous, gateway, bucket) != after:
                assert time.monotonic() - changed_at < 1.0, f"{gateway.endpoint} still answers {before}"
                time.sleep(0.01)


def test_notifications_are_delivered_once_by_one_dispatcher(fleet: Fleet) -> None:
    clients = _clients(fleet)
    bucket = unique_bucket_name("events")
    clients[0].create_bucket(Bucket=bucket)
    clients[0].put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": "arn:aws:sqs:us-east-1:000000000000:jobs",
                                 "Events": ["s3:ObjectCreated:*"]}]})
    keys = [f"upload-{n}" for n in range(30)]
    for n, key in enumerate(keys):
        clients[n % 3].put_object(Bucket=bucket, Key=key, Body=b"x")
    broker = redis.Redis()
    deadline = time.monotonic() + 15
    while broker.llen(fleet.events) < len(keys) + 1:  # and the s3:TestEvent
        assert time.monotonic() < deadline, f"{broker.llen(fleet.events)} events of {len(keys) + 1}"
        time.sleep(0.05)
    time.sleep(1.0)  # a second dispatcher would deliver its copies meanwhile
    messages = [json.loads(m) for m in broker.lrange(fleet.events, 0, -1)]
    created = [r["s3"]["object"]["key"] for m in messages for r in m.get("Records", [])]
    assert sorted(created) == sorted(keys) and len(messages) == len(keys) + 1


def test_a_gateway_killed_during_uploads_loses_no_acknowledged_object(fleet: Fleet) -> None:
    clients = _clients(fleet)
    victim = fleet.gateways[2]
    bucket = unique_bucket_name("crash")
    clients[0].create_bucket(Bucket=bucket)
    acked: dict[str, tuple[str, int, float]] = {}  # key -> (md5, gateway, when)
    stop = threading.Event()

    def upload(worker: int) -> None:
        gateway = worker % 3
        for n in range(10_000):
            if stop.is_set():
                return
            key = f"{worker}/{n}"
            body = os.urandom(150 * 1024 if n % 2 else 2048)  # blob files in the shared dir, and inline rows
            try:
                clients[gateway].put_object(Bucket=bucket, Key=key, Body=body)
            except Exception:  # noqa: BLE001 - the killed gateway's uploads fail: not acknowledged
                if gateway == 2 and not victim.alive():
                    return
                raise
            acked[key] = (md5(body), gateway, time.monotonic())

    tmp = victim.data_dir / "tmp"
    victims_tmp = [d.name for d in tmp.iterdir() if (h := parse(d.name)) is not None and h.pidns == victim.pidns]
    try:
        with ThreadPoolExecutor(6) as pool:
            running = [pool.submit(upload, worker) for worker in range(6)]
            time.sleep(1.5)
            victim.kill()
            killed_at = time.monotonic()
            time.sleep(1.5)
            stop.set()
            for future in running:
                future.result()
    finally:  # the later tests want three gateways again
        victim.start(timeout=30)  # a restart on this host: the dead process's temp dir is swept (its flock is free)
    assert any(g == 2 for _, g, _ in acked.values()), "the killed gateway acknowledged nothing"
    # (an answer the victim sent just before its kill may be counted just after it)
    assert {0, 1} <= {g for _, g, when in acked.values() if when > killed_at + 0.5}, "the others stopped serving"
    for n, (key, (digest, _, _)) in enumerate(sorted(acked.items())):
        assert md5(clients[n % 2].get_object(Bucket=bucket, Key=key)["Body"].read()) == digest, key
    assert victims_tmp
    deadline = time.monotonic() + 15  # by the worker, which claims its own once the port is open
    while [name for name in victims_tmp if (tmp / name).exists()]:
        assert time.monotonic() < deadline, "the killed gateway's temp directory was not swept"
        time.sleep(0.05)


def _due_markers(fleet: Fleet, buckets: list[str]) -> int:
    return int(fleet.sql("SELECT count(*) FROM objects WHERE bucket = ANY(%s) AND delete_marker = 1",
                         (buckets,))[0][0])


def _expiring_buckets(clients: list[Any], count: int, objects: int) -> list[tuple[str, str]]:
    """Versioned buckets whose objects expire after ``EXPIRY_DAYS``: their (bucket, key) pairs."""
    buckets = [unique_bucket_name("expire") for _ in range(count)]
    for bucket in buckets:
        clients[0].create_bucket(Bucket=bucket)
        clients[0].put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    keys = [(buckets[n % count], f"thumb/{n:05d}") for n in range(objects)]
    with ThreadPoolExecutor(12) as pool:
        list(pool.map(lambda nk: clients[nk[0] % 3].put_object(Bucket=nk[1][0], Key=nk[1][1], Body=b"t"),
                      enumerate(keys)))
    for bucket in buckets:
        clients[1].put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
            {"ID": "old-thumbs", "Status": "Enabled", "Filter": {"Prefix": "thumb/"},
             "Expiration": {"Days": EXPIRY_DAYS}}]})
    return keys


def _expired_once(s3: Any, keys: list[tuple[str, str]]) -> None:
    """Each key has its object and, newest, exactly one delete marker."""
    for bucket in sorted({b for b, _ in keys}):
        versions = _all_versions(s3, bucket)
        assert sorted(versions) == sorted(k for b, k in keys if b == bucket)
        assert all(v == ["marker", "object"] for v in versions.values()), bucket


def test_passes_overlapping_on_every_gateway_expire_each_object_once(fleet: Fleet) -> None:
    keys = _expiring_buckets(_clients(fleet), 1, 300)
    buckets = sorted({b for b, _ in keys})

    def passes(gateway: Gateway, advance: int) -> None:
        for _ in range(1 if advance else 4):
            answer = signed(gateway, "POST", f"/_s3gate/admin/lifecycle?advance-days={advance}")
            assert answer.status_code == 200, answer.text

    with ThreadPoolExecutor(3) as pool:  # one moves the clock, all three pass at once (and the leader's own)
        list(pool.map(passes, fleet.gateways, (EXPIRY_DAYS + 1, 0, 0)))
    deadline = time.monotonic() + 10
    while _due_markers(fleet, buckets) < len(keys):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    _expired_once(fleet.gateways[0].client(), keys)


def test_lifecycle_expires_each_object_once_while_its_leader_is_killed(fleet: Fleet) -> None:
    clients = _clients(fleet)
    keys = _expiring_buckets(clients, 3, LIFECYCLE_OBJECTS)
    buckets = sorted({b for b, _ in keys})
    leader = fleet.leader("maintenance")
    # The admin endpoint moves the shared clock past the objects' expiry and runs a pass on the leader, which
    # is killed once part of the objects have their delete marker.
    advancing = threading.Thread(target=lambda: _ignore_errors(lambda: signed(
        leader, "POST", f"/_s3gate/admin/lifecycle?advance-days={EXPIRY_DAYS + 1}")), daemon=True)
    advancing.start()
    deadline = time.monotonic() + 30
    while (done := _due_markers(fleet, buckets)) == 0:
        assert time.monotonic() < deadline, "the pass did not start"
        time.sleep(0.005)
    leader.kill()
    killed_at = time.monotonic()
    assert done < LIFECYCLE_OBJECTS, "the pass ended before the leader could be killed in its middle"
    while _due_markers(fleet, buckets) < LIFECYCLE_OBJECTS:
        assert time.monotonic() - killed_at < TAKEOVER_S, f"no gateway took the pass over ({done} were done)"
        time.sleep(0.05)
    assert fleet.leader("maintenance") is not leader
    time.sleep(1.5)  # more passes: none expires anything again
    _expired_once(next(c for c, g in zip(clients, fleet.gateways, strict=True) if g.alive()), keys)


def _ignore_errors(call: Callable[[], object]) -> None:
    try:
        call()
    except httpx.HTTPError:  # the gateway answering it was killed: expected
        pass


def _all_versions(s3: Any, bucket: str) -> dict[str, list[str]]:
    """key -> its versions newest first, as "marker" or "object"."""
    found: dict[str, list[tuple[bool, str]]] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for marker in page.get("DeleteMarkers", []):
            found.setdefault(marker["Key"], []).append((marker["IsLatest"], "marker"))
        for version in page.get("Versions", []):
            found.setdefault(version["Key"], []).append((version["IsLatest"], "object"))
    return {key: [kind for _, kind in sorted(entries, reverse=True)] for key, entries in found.items()}
