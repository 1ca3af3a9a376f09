"""Event notifications end to end through the gateway, to the machine's RabbitMQ, NATS, Mosquitto and PostgreSQL.

A bucket's configuration names declared ``amqp://``, ``nats://``, ``mqtt://`` and ``postgresql://`` targets
by ARN; an upload's event is read back with each broker's own client (``tests.harness.consumers``). A broker
that is not running fails the test, never skips it. Delivery runs in a process of its own beside the
workers, restarted by the supervisor if it dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.harness.clients import unique_bucket_name
from tests.harness.consumers import consumer
from tests.harness.servers import LOCAL, Server, Stack

pytestmark = pytest.mark.backends(*LOCAL, reason="the local backend's outbox and dispatcher")

ACCOUNT = "000000000000"
REGION = "us-east-1"
KINDS = {"amqp": "amqp", "nats": "nats-jetstream", "mqtt": "mqtt", "pg": "postgresql"}  # target name -> consumer


def gateway(stack: Stack, data_dir: Path, targets: dict[str, str]) -> Server:
    args = [arg for name, url in targets.items() for arg in ("--notify-target", f"{name}={url}")]
    return stack.gateway(data_dir, args=args).start()


def rule(kind: str, target: str, prefix: str) -> dict[str, Any]:
    service, arn_key = {"Queue": ("sqs", "QueueArn"), "Topic": ("sns", "TopicArn")}[kind]
    return {"Id": f"to-{target}", arn_key: f"arn:aws:{service}:{REGION}:{ACCOUNT}:{target}",
            "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}}}


def test_an_upload_reaches_each_broker_through_the_gateway(stack: Stack, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with contextlib.AsyncExitStack() as exits:
            consumers = {name: await exits.enter_async_context(consumer(kind)) for name, kind in KINDS.items()}
            srv = gateway(stack, tmp_path / "data", {name: c.url(*c.broker) for name, c in consumers.items()})
            exits.callback(srv.stop)
            s3 = srv.client()
            bucket = unique_bucket_name("brokers")
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
                "QueueConfigurations": [rule("Queue", "amqp", "amqp/"), rule("Queue", "pg", "pg/")],
                "TopicConfigurations": [rule("Topic", "nats", "nats/"), rule("Topic", "mqtt", "mqtt/")]})
            etags = {name: s3.put_object(Bucket=bucket, Key=f"{name}/cat photo.jpg", Body=name.encode())["ETag"]
                     for name in consumers}
            for name, c in consumers.items():
                test_event, created = await c.received(2)
                assert test_event["Event"] == "s3:TestEvent" and test_event["Bucket"] == bucket, name
                (record,) = created["Records"]
                assert record["eventSource"] == "aws:s3" and record["eventName"] == "ObjectCreated:Put", name
                assert record["s3"]["configurationId"] == f"to-{name}"
                assert record["s3"]["bucket"]["name"] == bucket
                assert record["s3"]["object"]["key"] == f"{name}/cat+photo.jpg"
                assert record["s3"]["object"]["size"] == len(name)
                assert f'"{record["s3"]["object"]["eTag"]}"' == etags[name]

    asyncio.run(scenario())


def test_two_data_dirs_deliver_to_one_table_without_losing_events(stack: Stack, tmp_path: Path) -> None:
    """Event ids are unique across data directories (and kept across restarts): the PostgreSQL target's
    primary key, NATS's Nats-Msg-Id, drop only true redeliveries."""
    async def scenario() -> None:
        async with consumer("postgresql") as c:
            url = c.url(*c.broker)
            ids: dict[str, list[str]] = {}
            for side in ("a", "b", "a"):  # a is restarted on its data dir after b ran
                srv = gateway(stack, tmp_path / side, {"pg": url})
                try:
                    s3 = srv.client()
                    bucket = f"two-dirs-{side}"
                    if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
                        s3.create_bucket(Bucket=bucket)
                        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
                            "QueueConfigurations": [rule("Queue", "pg", "")]})
                    s3.put_object(Bucket=bucket, Key=f"k{len(ids.get(side, []))}", Body=b"x")
                    await c.received(sum(map(len, ids.values())) + (1 if side in ids else 2))
                finally:
                    srv.stop()
                rows = await (await c.details["connection"].execute(
                    f"SELECT id FROM {c.details['schema']}.events WHERE bucket = %s", (f"two-dirs-{side}",))).fetchall()
                ids[side] = [r[0] for r in rows]
            # a: a TestEvent and two uploads (one per run); b: a TestEvent and one upload
            assert (len(ids["a"]), len(ids["b"])) == (3, 2)
            sources = {side: {i.rpartition("-")[0] for i in found} for side, found in ids.items()}
            assert len(sources["a"]) == len(sources["b"]) == 1 and sources["a"] != sources["b"]

    asyncio.run(scenario())


def dispatcher_pids(srv: Server) -> list[int]:
    return [int(pid) for pid in re.findall(r"Event dispatcher started \(process (\d+)\)", srv.log())]


def test_a_killed_dispatcher_process_is_replaced_and_delivers(stack: Stack, tmp_path: Path) -> None:
    client = redis.Redis()
    client.ping()  # no Redis: a loud failure
    name = f"s3gate-test-{uuid.uuid4().hex[:8]}"
    srv = gateway(stack, tmp_path / "data", {"jobs": f"redis://127.0.0.1:6379/0?list={name}"})
    try:
        s3 = srv.client()
        s3.create_bucket(Bucket="restarted")
        s3.put_bucket_notification_configuration(Bucket="restarted", NotificationConfiguration={
            "QueueConfigurations": [rule("Queue", "jobs", "")]})
        deadline = time.monotonic() + 10
        while not dispatcher_pids(srv) or client.llen(name) < 1:  # the s3:TestEvent
            assert time.monotonic() < deadline, srv.log()
            time.sleep(0.05)
        (first,) = dispatcher_pids(srv)
        assert first != srv.proc.pid  # type: ignore[union-attr]
        os.kill(first, signal.SIGKILL)
        s3.put_object(Bucket="restarted", Key="while-down", Body=b"x")  # requests never wait for delivery
        while client.llen(name) < 2:
            assert time.monotonic() < deadline + 10, srv.log()
            time.sleep(0.05)
        assert len(dispatcher_pids(srv)) == 2 and first not in dispatcher_pids(srv)[1:]
        assert b'"key":"while-down"' in client.lindex(name, 1)  # type: ignore[operator]
    finally:
        srv.stop()
        client.delete(name)
