"""A multi-process raw-HTTP load generator, for the HEAD workloads wrk cannot drive.

wrk's response parser does not know which request a response answers, so it waits for the
body that ``Content-Length`` announces on a HEAD response and never completes one (wg/wrk#198).
This client does what wrk does for the other workloads: kept-alive connections, one request in
flight per connection, presigned paths cycled per connection, latency per request. It is
asyncio on uvloop with a bare Protocol (no HTTP library on the hot path), one event loop per
process, up to 2 processes; its ceiling is measured against nginx in the same run.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import time
from multiprocessing.connection import Connection
from typing import cast

import uvloop

from bench.load import LoadResult
from bench.s3 import Endpoint

Outcome = tuple[int, int, list[int], float]  # requests, errors, latencies (ns), seconds
TIMEOUT_S = 10.0


class _Client(asyncio.Protocol):
    """One connection: send a request, parse status line and headers, skip the body, repeat.

    Like wrk, a server that closes the connection (moto answers ``Connection: close``) costs a
    reconnect, not an error; a request unanswered after ``TIMEOUT_S`` is an error.
    """

    def __init__(self, slot: _Slot) -> None:
        self.slot = slot
        self.buffer = bytearray()
        self.body_left = -1  # -1: reading headers
        self.in_flight = False
        self.closing = False
        self.sent_at = 0
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        if time.monotonic() >= self.slot.deadline or self.closing:
            self.transport.close()
            return
        self.sent_at = time.perf_counter_ns()
        self.in_flight = True
        self.transport.write(self.slot.next_request())
        self.timer = asyncio.get_running_loop().call_later(TIMEOUT_S, self.transport.close)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.body_left < 0:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).lower()
            del self.buffer[:end + 4]
            if not head.startswith((b"http/1.1 2", b"http/1.0 2")):
                self.slot.errors += 1
            self.closing = b"\r\nconnection: close" in head or head.startswith(b"http/1.0")
            self.body_left = 0 if self.slot.head else _content_length(head)
        take = min(self.body_left, len(self.buffer))
        del self.buffer[:take]
        self.body_left -= take
        if self.body_left == 0:
            self.slot.latencies.append(time.perf_counter_ns() - self.sent_at)
            self.body_left = -1
            self.in_flight = False
            if self.timer:
                self.timer.cancel()
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer:
            self.timer.cancel()
        if self.in_flight:
            self.slot.errors += 1
        self.slot.lost.set()


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


class _Slot:
    """One of the ``concurrency`` request streams: reconnects until the deadline."""

    def __init__(self, requests: list[bytes], head: bool, deadline: float) -> None:
        self.requests, self.head, self.deadline = requests, head, deadline
        self.index, self.errors = 0, 0
        self.latencies: list[int] = []
        self.lost = asyncio.Event()

    def next_request(self) -> bytes:
        self.index += 1
        return self.requests[self.index % len(self.requests)]

    async def run(self, endpoint: Endpoint) -> None:
        loop = asyncio.get_running_loop()
        while time.monotonic() < self.deadline:
            self.lost.clear()
            try:
                await asyncio.wait_for(loop.create_connection(lambda: _Client(self), endpoint.host, endpoint.port),
                                       TIMEOUT_S)
            except (OSError, TimeoutError):
                self.errors += 1
                await asyncio.sleep(0.01)
                continue
            await self.lost.wait()


async def _drive(endpoint: Endpoint, requests: list[bytes], head: bool, connections: int,
                 duration_s: float) -> Outcome:
    started = time.perf_counter()
    deadline = time.monotonic() + duration_s
    slots = [_Slot(requests[i::connections] or requests, head, deadline) for i in range(connections)]
    await asyncio.gather(*(slot.run(endpoint) for slot in slots))
    latencies = [x for slot in slots for x in slot.latencies]
    return len(latencies), sum(slot.errors for slot in slots), latencies, time.perf_counter() - started


def _worker(endpoint: Endpoint, requests: list[bytes], head: bool, connections: int, duration_s: float,
            out: Connection) -> None:
    out.send(uvloop.run(_drive(endpoint, requests, head, connections, duration_s)))
    out.close()


def run_raw(endpoint: Endpoint, method: str, paths: list[str], concurrency: int, duration_s: float) -> LoadResult:
    """Bodiless requests (HEAD, GET) over ``concurrency`` connections split across 1-2 processes."""
    host = f"{endpoint.host}:{endpoint.port}"
    requests = [f"{method} {p} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() for p in paths]
    processes = 2 if concurrency >= 2 else 1
    ctx = mp.get_context("fork")
    pipes, workers = [], []
    for n in range(processes):
        conns = concurrency // processes + (1 if n < concurrency % processes else 0)
        receive, send = ctx.Pipe(duplex=False)
        worker = ctx.Process(target=_worker, args=(endpoint, requests[n::processes], method == "HEAD", conns,
                                                   duration_s, send))
        worker.start()
        pipes.append(receive)
        workers.append(worker)
    try:
        if not all(pipe.poll(duration_s + 3 * TIMEOUT_S) for pipe in pipes):
            raise RuntimeError(f"{method} load: a client process did not finish")
        outcomes: list[Outcome] = [pipe.recv() for pipe in pipes]
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.join(1)
            if worker.is_alive():
                worker.kill()
                worker.join()
    latencies = sorted(x for o in outcomes for x in o[2])
    if not latencies:
        raise RuntimeError(f"{method} load: no request completed")
    seconds = max(o[3] for o in outcomes)
    errors = sum(o[1] for o in outcomes)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] / 1e6

    return LoadResult(ops_s=(len(latencies) - errors) / seconds, p50_ms=pct(50), p99_ms=pct(99),
                     requests=len(latencies), errors=errors, wraps=0)
