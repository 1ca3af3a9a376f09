"""MQTT target: ``mqtt://[USER:PASS@]HOST:PORT?topic=T&qos=1``.

Each event is one PUBLISH on ``topic`` (MQTT 3.1.1, not retained). What delivery waits for follows the
QoS: 1 (the default) returns on the broker's PUBACK, 2 on its PUBCOMP (exactly once between us and the
broker), 0 as soon as the message is written to the socket; the broker confirms nothing at QoS 0, so an
event can be lost with the connection. The session is clean: a publish that was in flight when the
connection dropped is not resent by the client but reported failed, and the dispatcher redelivers it.
"""

from __future__ import annotations

import contextlib
import sys
import uuid
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import aiomqtt

from gateway.events.targets import EventInfo
from gateway.events.targets.broker import DEFAULT_TIMEOUT, Link, query_params

__all__ = ["open"]

_MAX_TOPIC_BYTES = 65535  # a topic is a length-prefixed UTF-8 string


@dataclass(frozen=True)
class _Session:
    client: aiomqtt.Client
    exit: contextlib.AsyncExitStack  # aiomqtt's client is a context manager; leaving it disconnects


class MqttTarget:
    def __init__(self, name: str, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        params = query_params(name, url, {"topic", "qos"})
        topic, qos = params.get("topic", ""), params.get("qos", "1")
        if not topic:
            raise ValueError(f"notification target {name!r}: an MQTT URL needs ?topic=T")
        if any(c in topic for c in "+#\0") or len(topic.encode()) > _MAX_TOPIC_BYTES:
            raise ValueError(f"notification target {name!r}: {topic!r} is not an MQTT topic one can publish to "
                             "(no wildcards + and #, at most 65535 bytes)")
        if qos not in ("0", "1", "2"):
            raise ValueError(f"notification target {name!r}: MQTT qos must be 0, 1 or 2 (got {qos!r})")
        try:
            port = parts.port or 1883
        except ValueError as exc:
            raise ValueError(f"notification target {name!r}: bad port in MQTT URL: {exc}") from None
        self.name, self.url, self._topic, self._qos = name, url, topic, int(qos)
        self._host, self._port = parts.hostname or "localhost", port
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._link: Link[_Session] = Link(url, self._connect, self._close, timeout=timeout)

    async def _connect(self) -> _Session:
        client = aiomqtt.Client(self._host, self._port, username=self._username, password=self._password,
                                identifier=f"s3gate-{self.name}-{uuid.uuid4().hex[:12]}", clean_session=True,
                                timeout=self._link.timeout, keepalive=30, max_inflight_messages=64)
        client.pending_calls_threshold = sys.maxsize  # many publishes awaiting their ack is pipelining, not a fault
        stack = contextlib.AsyncExitStack()
        await stack.enter_async_context(client)
        return _Session(client, stack)

    @staticmethod
    async def _close(session: _Session) -> None:
        await session.exit.aclose()

    async def deliver(self, message: bytes, event: EventInfo) -> None:
        await self._link.run(lambda session: session.client.publish(self._topic, message, qos=self._qos))

    async def aclose(self) -> None:
        await self._link.aclose()


def open(name: str, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> MqttTarget:  # noqa: A001 - the protocol's name
    return MqttTarget(name, url, timeout)
