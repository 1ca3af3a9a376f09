"""The machine's message brokers for the notification tests, and two stand-ins for a broker in trouble.

``require`` fails the test loudly when a broker is not listening: these tests run in CI, where a
silently skipped broker would hide a broken target. ``Relay`` is a TCP relay to a real broker that can
be cut and restored on the same port, which is what a broker restart looks like to a client, without
restarting the machine's shared broker. ``Silent`` accepts connections and never answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

import pytest

from tests.harness.servers import free_port

__all__ = ["BROKERS", "Relay", "Silent", "closed_port", "require"]

# name -> (host, port) as .ci/run and the developers' machines provide them
BROKERS = {
    "rabbitmq": ("127.0.0.1", 5672),
    "nats": ("127.0.0.1", 4222),
    "mosquitto": ("127.0.0.1", 1883),
    "postgresql": ("127.0.0.1", 5432),
    "redis": ("127.0.0.1", 6379),
}


def require(name: str) -> tuple[str, int]:
    """The broker's address; fails (never skips) the test when nothing listens there."""
    host, port = BROKERS[name]
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        pytest.fail(f"{name} is not listening on {host}:{port} ({exc}): these tests need the real broker; "
                    "start it (CI starts it in .ci/run)")
    return host, port


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    return free_port()


class Relay:
    """Forwards 127.0.0.1:``port`` to a broker; ``cut()`` drops every connection and stops listening,
    ``restore()`` listens again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.port = target, free_port()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            broker_reader, broker_writer = await asyncio.open_connection(*self.target)
            try:
                await asyncio.gather(_pipe(client_reader, broker_writer), _pipe(broker_reader, client_writer))
            finally:
                broker_writer.close()
        finally:
            client_writer.close()
            self._tasks.discard(task)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    with contextlib.suppress(OSError):
        writer.write_eof()


class Silent:
    """A port that accepts connections and never says a word: a hung broker."""

    def __init__(self) -> None:
        self.port = free_port()
        self._held: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Silent:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._held:
            writer.close()

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._held.append(writer)
