"""NATS target: ``nats://[USER:PASS@]HOST:PORT?subject=S``.

When a JetStream stream captures the subject, each event is a JetStream publish and delivery returns on
the stream's ack (stored; the ``Nats-Msg-Id`` header, the event id, lets the stream drop a redelivery
within its duplicate window). Otherwise it is a core NATS publish followed by a flush (a PING answered
after the server has read the message): the server received it, but core NATS keeps nothing, so only the
subscribers connected at that moment get it. Which one applies is looked up when connecting and again
every :data:`STREAM_RECHECK` seconds, so a stream created while the gateway runs is picked up.

The client's own reconnect is off: it would buffer publishes while disconnected and send them later,
after the delivery had already been reported failed. A lost connection fails the delivery instead, and
the next one connects anew.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import nats
import nats.aio.client
import nats.errors
import nats.js
import nats.js.errors

from gateway.events.targets import DeliveryError, EventInfo
from gateway.events.targets.broker import DEFAULT_TIMEOUT, Link, query_params

__all__ = ["STREAM_RECHECK", "open"]

STREAM_RECHECK = 30.0  # seconds between looking up which stream (if any) captures the subject
_SUBJECT = re.compile(r"[^\s.*>]+(\.[^\s.*>]+)*")  # tokens, no wildcards: a subject one can publish to


@dataclass
class _Session:
    client: nats.aio.client.Client
    jetstream: nats.js.JetStreamContext
    stream: str | None = None  # the stream capturing the subject; None: core NATS
    checked_at: float = float("-inf")


class NatsTarget:
    def __init__(self, name: str, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        subject = query_params(name, url, {"subject"}).get("subject", "")
        if not subject:
            raise ValueError(f"notification target {name!r}: a NATS URL needs ?subject=S")
        if not _SUBJECT.fullmatch(subject):
            raise ValueError(f"notification target {name!r}: {subject!r} is not a NATS subject one can publish "
                             "to (dot-separated tokens; no spaces, empty tokens or wildcards * and >)")
        if parts.path not in ("", "/"):
            raise ValueError(f"notification target {name!r}: a NATS URL has no path (got {parts.path!r}); "
                             "the subject goes in ?subject=S")
        self.name, self.url, self._subject = name, url, subject
        self._server = urlunsplit(("nats", parts.netloc, "", "", ""))
        self._link: Link[_Session] = Link(url, self._connect, self._close, self._alive, timeout)

    async def _connect(self) -> _Session:
        last_error: list[Exception] = []  # the client reports why a server failed here, then raises NoServersError

        async def record(exc: Exception) -> None:
            last_error[:] = [exc]

        try:
            # max_reconnect_attempts=1: the client tries the server twice at most, without waiting, then gives up.
            client = await nats.connect(self._server, name=f"s3gate {self.name}", allow_reconnect=False,
                                        max_reconnect_attempts=1, reconnect_time_wait=0, error_cb=record,
                                        connect_timeout=max(1, round(self._link.timeout)))
        except nats.errors.NoServersError:
            raise (last_error[0] if last_error else ConnectionError("no NATS server answered")) from None
        return _Session(client, client.jetstream(timeout=self._link.timeout))

    @staticmethod
    async def _close(session: _Session) -> None:
        await session.client.close()

    @staticmethod
    def _alive(session: _Session) -> bool:
        return session.client.is_connected

    async def _resolve_stream(self, session: _Session) -> None:
        try:
            session.stream = await session.jetstream.find_stream_name_by_subject(self._subject)
        except (nats.js.errors.NotFoundError, nats.errors.NoRespondersError):  # no stream; no JetStream at all
            session.stream = None
        session.checked_at = time.monotonic()

    async def deliver(self, message: bytes, event: EventInfo) -> None:
        await self._link.run(lambda session: self._publish(session, message, event))

    async def _publish(self, session: _Session, message: bytes, event: EventInfo) -> None:
        if time.monotonic() - session.checked_at > STREAM_RECHECK:
            await self._resolve_stream(session)
        headers = {"Nats-Msg-Id": event.event_id}
        if session.stream is None:
            await session.client.publish(self._subject, message, headers=headers)
            await session.client.flush(timeout=max(1, round(self._link.timeout)))
            return
        try:
            await session.jetstream.publish(self._subject, message, headers=headers)
        except nats.js.errors.NoStreamResponseError as exc:
            session.checked_at = float("-inf")  # the stream went away: look again next time
            raise DeliveryError(f"stream {session.stream!r} did not answer for subject {self._subject!r}") from exc
        except nats.js.errors.APIError as exc:  # the stream answered with an error (full, wrong subject...)
            raise DeliveryError(f"stream {session.stream!r} refused the message: {exc.description}") from exc

    async def aclose(self) -> None:
        await self._link.aclose()


def open(name: str, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> NatsTarget:  # noqa: A001 - the protocol's name
    return NatsTarget(name, url, timeout)
