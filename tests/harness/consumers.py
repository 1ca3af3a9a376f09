"""For each broker target, a consumer set up before anything is published, through the broker's own client.

``consumer(kind)`` is an async context manager yielding a :class:`Consumer`: ``url(host, port)`` is the
target URL to deliver to (the port may be a relay's), ``received(n)`` waits for the first ``n`` messages
and returns their JSON, in the order the broker holds them. Everything it creates (exchange, queue,
stream, schema) has a unique name and is removed on exit. Shared by the tests and ``bench/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aio_pika
import aiomqtt
import nats
import psycopg
import psycopg.errors

from tests.harness.brokers import require

__all__ = ["KINDS", "Consumer", "consumer"]

KINDS = ("amqp", "nats-jetstream", "nats-core", "mqtt", "postgresql")
WAIT = 10.0  # seconds for messages to arrive


@dataclass
class Consumer:
    url: Callable[[str, int], str]
    received: Callable[[int], Awaitable[list[Any]]]
    broker: tuple[str, int]  # where the real broker listens
    details: dict[str, Any]  # what a kind-specific test may want: names, client handles


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@contextlib.asynccontextmanager
async def _amqp() -> AsyncIterator[Consumer]:
    host, port = require("rabbitmq")
    connection = await aio_pika.connect(host=host, port=port, login="guest", password="guest")
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(_unique("s3gate-test-"), aio_pika.ExchangeType.DIRECT,
                                                  auto_delete=True)
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, "uploads")
        messages: list[aio_pika.abc.AbstractIncomingMessage] = []

        async def received(n: int) -> list[Any]:
            async with asyncio.timeout(WAIT):
                while len(messages) < n:
                    message = await queue.get(no_ack=True, fail=False)
                    if message is None:
                        await asyncio.sleep(0.01)
                    else:
                        messages.append(message)
            return [json.loads(m.body) for m in messages[:n]]

        yield Consumer(lambda h, p: f"amqp://guest:guest@{h}:{p}/?exchange={exchange.name}&routing_key=uploads",
                       received, (host, port), {"exchange": exchange.name, "queue": queue.name, "channel": channel,
                                                "messages": messages})
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def _nats(jetstream: bool) -> AsyncIterator[Consumer]:
    host, port = require("nats")
    client = await nats.connect(f"nats://{host}:{port}")
    subject = _unique("s3gate.test.")
    stream = _unique("S3GATE_TEST_")
    try:
        if jetstream:
            js = client.jetstream()
            await js.add_stream(name=stream, subjects=[f"{subject}.>"])

            async def received(n: int) -> list[Any]:
                async with asyncio.timeout(WAIT):
                    while (await js.stream_info(stream)).state.messages < n:
                        await asyncio.sleep(0.01)
                return [json.loads((await js.get_msg(stream, seq)).data or b"") for seq in range(1, n + 1)]
        else:
            sub = await client.subscribe(f"{subject}.>")
            got: list[Any] = []

            async def received(n: int) -> list[Any]:
                while len(got) < n:
                    got.append(json.loads((await sub.next_msg(timeout=WAIT)).data))
                return got[:n]

        yield Consumer(lambda h, p: f"nats://{h}:{p}?subject={subject}.events", received, (host, port),
                       {"stream": stream if jetstream else None, "client": client})
    finally:
        if jetstream:
            await client.jetstream().delete_stream(stream)
        await client.close()


@contextlib.asynccontextmanager
async def _mqtt(qos: int) -> AsyncIterator[Consumer]:
    host, port = require("mosquitto")
    topic = _unique("s3gate/test/")
    got: list[Any] = []
    async with aiomqtt.Client(host, port, identifier=_unique("s3gate-test-consumer-")) as client:
        await client.subscribe(topic, qos=2)

        async def collect() -> None:
            async for message in client.messages:
                got.append(json.loads(message.payload))  # type: ignore[arg-type]

        collector = asyncio.create_task(collect())

        async def received(n: int) -> list[Any]:
            async with asyncio.timeout(WAIT):
                while len(got) < n:
                    await asyncio.sleep(0.01)
            return got[:n]

        try:
            yield Consumer(lambda h, p: f"mqtt://{h}:{p}?topic={topic}&qos={qos}", received, (host, port), {})
        finally:
            collector.cancel()
            await asyncio.gather(collector, return_exceptions=True)


@contextlib.asynccontextmanager
async def _postgresql() -> AsyncIterator[Consumer]:
    host, port = require("postgresql")
    schema = _unique("s3gate_test_")
    conn = await psycopg.AsyncConnection.connect(f"postgresql://postgres@{host}:{port}/postgres", autocommit=True)
    try:
        await conn.execute(f"CREATE SCHEMA {schema}")

        async def received(n: int) -> list[Any]:
            async with asyncio.timeout(WAIT):
                while True:
                    with contextlib.suppress(psycopg.errors.UndefinedTable):  # created by the first delivery
                        rows = await (await conn.execute(
                            f"SELECT event FROM {schema}.events ORDER BY sequencer LIMIT %s", (n,))).fetchall()
                        if len(rows) >= n:
                            return [row[0] for row in rows]
                    await asyncio.sleep(0.01)

        yield Consumer(lambda h, p: f"postgresql://postgres@{h}:{p}/postgres?table={schema}.events", received,
                       (host, port), {"schema": schema, "connection": conn})
    finally:
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        await conn.close()


def consumer(kind: str) -> contextlib.AbstractAsyncContextManager[Consumer]:
    match kind:
        case "amqp":
            return _amqp()
        case "nats-jetstream" | "nats-core":
            return _nats(kind == "nats-jetstream")
        case "mqtt" | "mqtt-qos0" | "mqtt-qos2":
            return _mqtt(qos=int(kind[-1]) if kind != "mqtt" else 1)
        case "postgresql":
            return _postgresql()
    raise ValueError(f"no consumer for {kind!r}")
