"""The AMQP, NATS, MQTT and PostgreSQL notification targets against the machine's real brokers (issue 14).

Each test publishes through ``open_target`` (the dispatcher's entry point) and reads back with the
broker's own client, bound before anything is published (``tests.harness.consumers``). A broker that
is not running fails the test; a broker restart is a relay cut and restored on the same port.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gateway.events.targets import DeliveryError, EventInfo, Target, open_target
from tests.harness.brokers import Relay, Silent, closed_port
from tests.harness.consumers import KINDS, Consumer, consumer

MODULES = {"amqp": "amqp", "nats-jetstream": "nats", "nats-core": "nats", "mqtt": "mqtt", "postgresql": "postgresql"}


def event(n: int, key: str = "photos/cat.jpg") -> tuple[bytes, EventInfo]:
    """An AWS-shaped message (the fields a consumer reads) and its EventInfo; ``n`` orders the events."""
    info = EventInfo(event_id=f"evt-{n:06d}-{time.monotonic_ns()}", event_time=f"2026-01-02T03:04:{n % 60:02d}.000Z",
                     event_name="ObjectCreated:Put", bucket="images", key=key, sequencer=f"{n:016X}")
    record = {"eventVersion": "2.1", "eventSource": "aws:s3", "eventTime": info.event_time,
              "eventName": info.event_name,
              "s3": {"bucket": {"name": info.bucket}, "object": {"key": key, "sequencer": info.sequencer}}}
    return json.dumps({"Records": [record]}).encode(), info


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())


async def deliver_all(target: Target, events: list[tuple[bytes, EventInfo]]) -> None:
    for message, info in events:
        await target.deliver(message, info)


@pytest.mark.parametrize("kind", KINDS)
def test_delivered_events_arrive_in_order(kind: str) -> None:
    async def scenario() -> None:
        async with consumer(kind) as c:
            target = open_target(kind, c.url(*c.broker))
            events = [event(n) for n in range(5)]
            await deliver_all(target, events)
            assert await c.received(5) == [json.loads(m) for m, _ in events]
            await target.aclose()
    run(scenario)


@pytest.mark.parametrize("kind", KINDS)
def test_target_reconnects_after_the_broker_restarts(kind: str) -> None:
    """The first delivery after a restart goes through (no error, no wait for the dispatcher's backoff)."""
    async def scenario() -> None:
        async with consumer(kind) as c:
            relay = Relay(c.broker)
            await relay.restore()
            target = open_target(kind, c.url("127.0.0.1", relay.port))
            before, after = event(1), event(2)
            await target.deliver(*before)
            await relay.cut()
            await relay.restore()
            await target.deliver(*after)
            assert await c.received(2) == [json.loads(before[0]), json.loads(after[0])]
            await target.aclose()
            await relay.cut()
    run(scenario)


@pytest.mark.parametrize("kind", KINDS)
def test_unreachable_broker_is_a_delivery_error_at_once(kind: str) -> None:
    async def scenario() -> None:
        async with consumer(kind) as c:
            target = open_target(kind, c.url("127.0.0.1", closed_port()))
            started = time.monotonic()
            with pytest.raises(DeliveryError, match="cannot connect"):
                await target.deliver(*event(1))
            assert time.monotonic() - started < 3
            await target.aclose()
    run(scenario)


@pytest.mark.parametrize("kind", KINDS)
def test_silent_broker_is_a_delivery_error_within_the_timeout(kind: str) -> None:
    async def scenario() -> None:
        async with consumer(kind) as c, Silent() as silent:
            module = importlib.import_module(f"gateway.events.targets.{MODULES[kind]}")
            target = module.open(kind, c.url("127.0.0.1", silent.port), timeout=0.5)
            started = time.monotonic()
            with pytest.raises(DeliveryError):
                await target.deliver(*event(1))
            assert time.monotonic() - started < 3
            await target.aclose()
    run(scenario)


def test_concurrent_deliveries_all_arrive() -> None:
    """Deliveries of different keys may overlap (the dispatcher pipelines them); none is lost."""
    async def scenario() -> None:
        for kind in KINDS:
            async with consumer(kind) as c:
                target = open_target(kind, c.url(*c.broker))
                events = [event(n, key=f"k{n}") for n in range(200)]
                await asyncio.gather(*(target.deliver(m, i) for m, i in events))
                got = await c.received(200)
                assert sorted(g["Records"][0]["s3"]["object"]["sequencer"] for g in got) == \
                    [i.sequencer for _, i in events], kind
                await target.aclose()
    run(scenario)


# --- AMQP ------------------------------------------------------------------------------------------------


def test_amqp_messages_are_persistent_json_with_the_event_id() -> None:
    async def scenario() -> None:
        async with consumer("amqp") as c:
            target = open_target("amqp", c.url(*c.broker))
            message, info = event(1)
            await target.deliver(message, info)
            await c.received(1)
            got = c.details["messages"][0]
            assert (got.body, got.delivery_mode, got.message_id, got.content_type) == \
                (message, 2, info.event_id, "application/json")
            await target.aclose()
    run(scenario)


def test_amqp_unroutable_message_is_a_delivery_error() -> None:
    """The broker acks a message no queue takes; counting it delivered would lose every event silently."""
    async def scenario() -> None:
        async with consumer("amqp") as c:
            host, port = c.broker
            target = open_target("amqp", f"amqp://guest:guest@{host}:{port}/?exchange={c.details['exchange']}"
                                         "&routing_key=nobody-listens")
            with pytest.raises(DeliveryError, match="routed nothing.*nobody-listens"):
                await target.deliver(*event(1))
            missing = open_target("amqp", f"amqp://guest:guest@{host}:{port}/?exchange=s3gate-no-such-exchange"
                                          "&routing_key=r")
            with pytest.raises(DeliveryError, match="no exchange 's3gate-no-such-exchange'"):
                await missing.deliver(*event(1))
            await target.aclose()
            await missing.aclose()
    run(scenario)


def test_amqp_default_exchange_routes_to_the_queue_named_by_routing_key() -> None:
    async def scenario() -> None:
        async with consumer("amqp") as c:
            host, port = c.broker
            target = open_target("amqp", f"amqp://guest:guest@{host}:{port}/?routing_key={c.details['queue']}")
            message, info = event(1)
            await target.deliver(message, info)
            assert await c.received(1) == [json.loads(message)]
            await target.aclose()
    run(scenario)


# --- NATS ------------------------------------------------------------------------------------------------


def test_nats_jetstream_drops_a_redelivery_by_event_id() -> None:
    async def scenario() -> None:
        async with consumer("nats-jetstream") as c:
            target = open_target("nats", c.url(*c.broker))
            first, second = event(1), event(2)
            for message, info in (first, first, second):
                await target.deliver(message, info)
            js = c.details["client"].jetstream()
            assert (await js.stream_info(c.details["stream"])).state.messages == 2
            stored = await js.get_msg(c.details["stream"], 1)
            assert stored.headers == {"Nats-Msg-Id": first[1].event_id}
            await target.aclose()
    run(scenario)


def test_nats_target_notices_a_stream_created_later() -> None:
    """Core NATS until a stream captures the subject; then JetStream, within STREAM_RECHECK."""
    async def scenario() -> None:
        from gateway.events.targets import nats as nats_target
        async with consumer("nats-core") as c:
            target = nats_target.open("nats", c.url(*c.broker))
            await target.deliver(*event(1))  # core: nothing stores it
            js = c.details["client"].jetstream()
            subject = c.url("", 0).partition("subject=")[2]
            await js.add_stream(name="S3GATE_TEST_LATE", subjects=[subject])
            try:
                nats_target.STREAM_RECHECK, saved = 0.0, nats_target.STREAM_RECHECK
                try:
                    await target.deliver(*event(2))
                finally:
                    nats_target.STREAM_RECHECK = saved
                assert (await js.stream_info("S3GATE_TEST_LATE")).state.messages == 1
            finally:
                await js.delete_stream("S3GATE_TEST_LATE")
            await target.aclose()
    run(scenario)


# --- MQTT ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["mqtt-qos0", "mqtt-qos2"])
def test_mqtt_other_qos_levels_deliver(kind: str) -> None:
    async def scenario() -> None:
        async with consumer(kind) as c:
            target = open_target("mqtt", c.url(*c.broker))
            events = [event(n) for n in range(3)]
            await deliver_all(target, events)
            assert await c.received(3) == [json.loads(m) for m, _ in events]
            await target.aclose()
    run(scenario)


# --- PostgreSQL ------------------------------------------------------------------------------------------


async def rows(c: Consumer) -> list[tuple[Any, ...]]:
    cursor = await c.details["connection"].execute(
        f"SELECT id, event_time, bucket, key, event_name, sequencer, event->'Records'->0->>'eventName' "
        f"FROM {c.details['schema']}.events ORDER BY sequencer")
    return list(await cursor.fetchall())


def test_postgresql_rows_have_the_event_columns_and_a_redelivery_adds_none() -> None:
    async def scenario() -> None:
        async with consumer("postgresql") as c:
            target = open_target("pg", c.url(*c.broker))
            first, second = event(1), event(2)
            for message, info in (first, second, first):
                await target.deliver(message, info)
            await target.aclose()
            again = open_target("pg", c.url(*c.broker))  # a restarted gateway redelivers too
            await again.deliver(*second)
            await again.aclose()
            got = await rows(c)
            assert [(r[0], r[1].isoformat(), r[2], r[3], r[4], r[5], r[6]) for r in got] == [
                (i.event_id, i.event_time.replace(".000Z", "+00:00"), "images", "photos/cat.jpg",
                 "ObjectCreated:Put", i.sequencer, "ObjectCreated:Put") for _, i in (first, second)]
    run(scenario)


def test_postgresql_a_rejected_row_does_not_fail_its_neighbours() -> None:
    async def scenario() -> None:
        async with consumer("postgresql") as c:
            target = open_target("pg", c.url(*c.broker))
            good1, good2 = event(1), event(3)
            bad_message = json.dumps({"Records": [{"s3": {"object": {"key": "a\u0000b"}}}]}).encode()
            bad = (bad_message, event(2)[1])  # jsonb refuses \u0000
            results = await asyncio.gather(*(target.deliver(m, i) for m, i in (good1, bad, good2)),
                                           return_exceptions=True)
            assert results[0] is None and results[2] is None
            assert isinstance(results[1], DeliveryError) and "\\u0000" in str(results[1])
            assert [r[0] for r in await rows(c)] == [good1[1].event_id, good2[1].event_id]
            await target.aclose()
    run(scenario)


# --- URL validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "message"), [
    ("amqp://guest:guest@127.0.0.1:5672/", "needs ?exchange=X"),
    ("amqp://127.0.0.1:5672/?exchange=x&routing_key=r&durable=1", "unknown URL parameter 'durable'"),
    ("amqp://127.0.0.1:99999/?exchange=x", "bad port"),
    ("amqp://127.0.0.1/?exchange=a&exchange=b", "given twice"),
    ("nats://127.0.0.1:4222", "needs ?subject=S"),
    ("nats://127.0.0.1:4222?subject=a.*", "not a NATS subject"),
    ("nats://127.0.0.1:4222?subject=a..b", "not a NATS subject"),
    ("nats://127.0.0.1:4222/s3?subject=a", "has no path"),
    ("mqtt://127.0.0.1:1883", "needs ?topic=T"),
    ("mqtt://127.0.0.1:1883?topic=a/%23", "not an MQTT topic"),
    ("mqtt://127.0.0.1:1883?topic=a&qos=3", "qos must be 0, 1 or 2"),
    ("mqtt://127.0.0.1:1883?topic=a&retain=1", "unknown URL parameter 'retain'"),
    ("postgresql://postgres@127.0.0.1/postgres", "needs ?table=T"),
    ("postgresql://postgres@127.0.0.1/postgres?table=events;drop", "is not TABLE or SCHEMA.TABLE"),
    ("postgresql://postgres@127.0.0.1/postgres?table=a.b.c", "is not TABLE or SCHEMA.TABLE"),
    ("postgresql://postgres@127.0.0.1/postgres?table=t&colour=red", 'invalid URI query parameter: "colour"'),
])
def test_bad_urls_are_refused_up_front(url: str, message: str) -> None:
    with pytest.raises(ValueError, match="notification target 'n': ") as refused:
        open_target("n", url)
    assert message in str(refused.value)
