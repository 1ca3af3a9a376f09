"""What the broker targets (AMQP, NATS, MQTT, PostgreSQL) share: reading their URL's query, and a
connection that is opened on first delivery and reopened after it fails.

A broker restart kills the connection under an idle target; the next delivery notices only when it uses
it. So a failure on a connection that had already worked is retried once on a new one, and the first
event after a restart goes through without waiting for the dispatcher's backoff. A failure on a fresh
connection is the broker's answer for now: :class:`DeliveryError`, and the dispatcher retries later.
Every step is bounded by a timeout, so an unreachable or silent broker is an error, never a hang.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from typing import Generic, TypeVar
from urllib.parse import parse_qsl, urlsplit

from gateway.events.targets import DeliveryError, redacted_url

__all__ = ["DEFAULT_TIMEOUT", "Link", "describe", "query_params"]

C = TypeVar("C")
T = TypeVar("T")

DEFAULT_TIMEOUT = 10.0  # seconds for connecting, and again for one confirmation


def query_params(name: str, url: str, allowed: Collection[str]) -> dict[str, str]:
    """The query of ``url`` as a dict; ValueError naming the target for an unknown or repeated parameter."""
    params: dict[str, str] = {}
    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if key not in allowed:
            raise ValueError(f"notification target {name!r}: unknown URL parameter {key!r} "
                             f"(known: {', '.join(sorted(allowed))})")
        if key in params:
            raise ValueError(f"notification target {name!r}: URL parameter {key!r} given twice")
        params[key] = value
    return params


def describe(exc: BaseException) -> str:
    """An exception as one line for the dead-letter table: its type, and its message when it has one."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Link(Generic[C]):
    """One connection (of type ``C``) to a broker, shared by concurrent deliveries.

    ``connect`` opens it (under the lock, so concurrent first deliveries open one), ``close`` closes it,
    ``alive`` says whether it is still usable without a round trip (a closed client, say).
    """

    def __init__(self, url: str, connect: Callable[[], Awaitable[C]], close: Callable[[C], Awaitable[None]],
                 alive: Callable[[C], bool] = lambda _: True, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._label = redacted_url(url)
        self._connect, self._close, self._alive, self.timeout = connect, close, alive, timeout
        self._conn: C | None = None
        self._lock = asyncio.Lock()

    async def run(self, op: Callable[[C], Awaitable[T]]) -> T:
        """``op`` on the connection within the timeout; DeliveryError if it fails on a fresh connection.

        A DeliveryError raised by ``op`` itself is the broker's answer on a healthy connection (a nack,
        an unroutable message, a rejected row): it passes through and the connection is kept.
        """
        for attempt in range(2):
            conn, fresh = await self._acquire()
            try:
                async with asyncio.timeout(self.timeout):
                    return await op(conn)
            except DeliveryError:
                raise
            except Exception as exc:
                await self._discard(conn)
                if fresh or attempt:
                    raise DeliveryError(f"{self._label}: {describe(exc)}") from exc
        raise AssertionError("unreachable: the second attempt returns or raises")

    async def _acquire(self) -> tuple[C, bool]:
        async with self._lock:
            if self._conn is not None and self._alive(self._conn):
                return self._conn, False
            if self._conn is not None:
                await self._discard(self._conn)
            try:
                async with asyncio.timeout(self.timeout):
                    self._conn = await self._connect()
            except Exception as exc:
                raise DeliveryError(f"{self._label}: cannot connect: {describe(exc)}") from exc
            return self._conn, True

    async def _discard(self, conn: C) -> None:
        """Forget ``conn`` and close it; only the first of several failing deliveries on it closes it."""
        if self._conn is not conn:
            return
        self._conn = None
        try:
            async with asyncio.timeout(self.timeout):
                await self._close(conn)
        except Exception:  # noqa: S110 - it already failed; closing is a courtesy to the broker
            pass

    async def aclose(self) -> None:
        if self._conn is not None:
            await self._discard(self._conn)
