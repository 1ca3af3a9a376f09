"""AMQP 0-9-1 target (RabbitMQ): ``amqp://USER:PASS@HOST:PORT/VHOST?exchange=X&routing_key=R``.

Each event is one persistent message (delivery mode 2, ``message_id`` = the event id) published with the
``mandatory`` flag on a channel in publisher-confirm mode; delivery returns once the broker acked it,
which for a durable queue means written to disk. A message no queue is bound for is returned by the
broker (and acked!): that counts as a failure, not a delivery, so a missing binding shows up as retries
and then in the dead-letter table with its reason instead of silently dropping every event.
Without ``exchange`` the default exchange routes to the queue named by ``routing_key``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import aio_pika
import aio_pika.abc
import aiormq.exceptions

from gateway.events.targets import DeliveryError, EventInfo
from gateway.events.targets.broker import DEFAULT_TIMEOUT, Link, query_params

__all__ = ["open"]


@dataclass(frozen=True)
class _Session:
    connection: aio_pika.abc.AbstractConnection
    channel: aio_pika.abc.AbstractChannel
    exchange: aio_pika.abc.AbstractExchange


class AmqpTarget:
    def __init__(self, name: str, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        params = query_params(name, url, {"exchange", "routing_key"})
        self.name, self.url = name, url
        self._exchange = params.get("exchange", "")
        self._routing_key = params.get("routing_key", "")
        if not self._exchange and not self._routing_key:
            raise ValueError(f"notification target {name!r}: an AMQP URL needs ?exchange=X (and routing_key=R "
                             "if the exchange routes by key), or routing_key=QUEUE for the default exchange")
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"notification target {name!r}: bad port in AMQP URL: {exc}") from None
        self._tls = parts.scheme.lower() == "amqps"
        self._host, self._port = parts.hostname or "localhost", port or (5671 if self._tls else 5672)
        self._login, self._password = unquote(parts.username or "guest"), unquote(parts.password or "guest")
        self._vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
        self._link: Link[_Session] = Link(url, self._connect, self._close, self._alive, timeout)

    async def _connect(self) -> _Session:
        connection = await aio_pika.connect(host=self._host, port=self._port, login=self._login,
                                            password=self._password, virtualhost=self._vhost, ssl=self._tls,
                                            timeout=self._link.timeout,
                                            client_properties={"connection_name": f"s3gate {self.name}"})
        try:
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            # A passive declare: a missing exchange is a clear NOT_FOUND now, not a closed channel later.
            exchange = (await channel.get_exchange(self._exchange, ensure=True) if self._exchange
                        else channel.default_exchange)
        except BaseException:
            await connection.close()
            raise
        return _Session(connection, channel, exchange)

    @staticmethod
    async def _close(session: _Session) -> None:
        await session.connection.close()

    @staticmethod
    def _alive(session: _Session) -> bool:
        return not session.connection.is_closed and not session.channel.is_closed

    async def deliver(self, message: bytes, event: EventInfo) -> None:
        await self._link.run(lambda session: self._publish(session, message, event))

    async def _publish(self, session: _Session, message: bytes, event: EventInfo) -> None:
        body = aio_pika.Message(message, content_type="application/json", message_id=event.event_id,
                                delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        try:
            await session.exchange.publish(body, self._routing_key, mandatory=True)
        except aiormq.exceptions.PublishError as exc:  # returned: no queue is bound for the routing key
            raise DeliveryError(f"exchange {self._exchange!r} routed nothing (returned {exc})") from exc
        except aiormq.exceptions.DeliveryError as exc:  # nacked: the broker could not take it
            raise DeliveryError(f"the broker refused the message (nack) on exchange {self._exchange!r}") from exc

    async def aclose(self) -> None:
        await self._link.aclose()


def open(name: str, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> AmqpTarget:  # noqa: A001 - the protocol's name
    return AmqpTarget(name, url, timeout)
