"""The HTTP protocol's deadlines on a clock the test moves: the keep-alive timeout of an idle connection
(kept as a deadline, not a timer per request), the head timeout, and none while a request is in flight.

The transport records what is written; the event loop is asyncio's with its clock replaced, so no
test waits for real time to pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from gateway.http_protocol import configured

KEEP_ALIVE, HEAD_TIMEOUT = 30.0, 5.0
REQUEST = b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n"


class _Loop(asyncio.SelectorEventLoop):
    clock = 1000.0

    def time(self) -> float:
        return self.clock


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def write(self, data: Any) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def can_write_eof(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 9000) if name in ("peername", "sockname") else default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class _Connection:
    """One connection to a protocol whose app answers 200 once ``release`` is set."""

    def __init__(self, loop: _Loop) -> None:
        self.loop = loop
        self.release = asyncio.Event()
        self.release.set()

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await self.release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
            await send({"type": "http.response.body", "body": b"ok"})

        config = Config(app, timeout_keep_alive=int(KEEP_ALIVE), lifespan="off")
        config.load()
        protocol_class = configured(max_connections=10, header_timeout=HEAD_TIMEOUT)
        self.protocol = protocol_class(config=config, server_state=ServerState(), app_state={}, _loop=loop)
        self.transport = _Transport()
        self.protocol.connection_made(self.transport)

    def send(self, data: bytes) -> None:
        self.protocol.data_received(data)
        self.run()

    def run(self) -> None:
        for _ in range(5):  # the request's task, and what it schedules
            self.loop.run_until_complete(asyncio.sleep(0))

    def after(self, seconds: float) -> None:
        self.loop.clock += seconds
        self.run()

    def answers(self) -> int:
        return self.transport.written.count(b"HTTP/1.1 ")


@pytest.fixture
def loop() -> Iterator[_Loop]:
    loop = _Loop()
    yield loop
    loop.close()


def test_an_idle_connection_closes_at_the_keep_alive_timeout_of_its_last_answer(loop: _Loop) -> None:
    conn = _Connection(loop)
    conn.send(REQUEST)
    assert conn.answers() == 1 and not conn.transport.closed
    conn.after(KEEP_ALIVE - 1)
    conn.send(REQUEST)  # the deadline moves on with every answer
    conn.after(2)
    assert conn.answers() == 2 and not conn.transport.closed
    conn.after(KEEP_ALIVE)
    assert conn.transport.closed and conn.answers() == 2  # closed without a word


def test_a_new_connection_has_the_head_timeout_from_its_opening(loop: _Loop) -> None:
    silent, slow = _Connection(loop), _Connection(loop)
    slow.after(HEAD_TIMEOUT - 1)
    slow.send(REQUEST[:-2])  # a late first byte does not move the deadline
    slow.after(1.5)
    assert silent.transport.closed and silent.transport.written == b""
    assert slow.transport.closed and b"<Code>RequestTimeout</Code>" in slow.transport.written


def test_a_head_begun_on_an_idle_connection_has_the_head_timeout_from_its_first_bytes(loop: _Loop) -> None:
    conn = _Connection(loop)
    conn.send(REQUEST)
    conn.after(KEEP_ALIVE - 1)
    conn.send(REQUEST[:-2])
    conn.after(2)  # past the keep-alive deadline: the head has its own
    assert not conn.transport.closed
    conn.after(HEAD_TIMEOUT)
    assert conn.transport.closed and b"<Code>RequestTimeout</Code>" in conn.transport.written


def test_no_deadline_runs_while_a_request_is_in_flight(loop: _Loop) -> None:
    conn = _Connection(loop)
    conn.release.clear()
    conn.send(REQUEST)
    conn.after(KEEP_ALIVE + HEAD_TIMEOUT)
    assert not conn.transport.closed and conn.answers() == 0
    conn.release.set()
    conn.run()
    assert conn.answers() == 1
    conn.after(KEEP_ALIVE + 1)
    assert conn.transport.closed
