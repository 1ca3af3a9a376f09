"""The large-body path in pieces: digest lanes, aws-chunked decoding across received pieces, the
protocol's body buffer and the blob writer's writev loop."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from gateway.chunked import ChunkedDecoder
from gateway.http_protocol import _Pieces
from gateway.wire import lanes
from gateway.wire.errors import S3Error
from storage_backends.local.blobs import IOV_MAX, _write_all
from tests.harness.rawhttp import unsigned_chunks


def test_a_lane_runs_in_order_and_stays_within_its_depth() -> None:
    seen: list[bytes] = []
    gate = threading.Event()

    def slow(block: bytes) -> None:
        gate.wait()
        seen.append(block)

    async def main() -> None:
        lane = lanes.Lane(slow, depth=2)
        await lane.put(b"1")
        await lane.put(b"2")  # two queued: the first is being processed, blocked on the gate
        third = asyncio.create_task(lane.put(b"3"))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not third.done()  # no more than `depth` blocks behind: the upload waits
        gate.set()
        await third
        await lane.join()
        lane.check()

    asyncio.run(main())
    assert seen == [b"1", b"2", b"3"]


def test_a_lane_hands_on_its_first_error_and_skips_the_rest() -> None:
    done: list[bytes] = []

    def fn(block: bytes) -> None:
        if block == b"bad":
            raise ValueError(block)
        done.append(block)

    async def main() -> None:
        lane = lanes.Lane(fn, depth=4)
        for block in (b"a", b"bad", b"b"):
            await lane.put(block)
        await lane.join()
        with pytest.raises(ValueError):
            lane.check()

    asyncio.run(main())
    assert done == [b"a"]


@contextmanager
def _lane_pool(monkeypatch: pytest.MonkeyPatch, threads: int, turn: int) -> Iterator[None]:
    """The lanes on a pool of ``threads`` of their own, taking turns of ``turn`` bytes."""
    pool = ThreadPoolExecutor(threads)
    monkeypatch.setattr(lanes, "TURN", turn)
    monkeypatch.setattr(lanes, "_pool", lambda: pool)
    try:
        yield
    finally:
        pool.shutdown()


def test_a_long_lane_takes_turns_with_others(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``TURN`` bytes a lane goes to the back of the pool's queue: with one pool thread, a
    second upload's block is digested after the first upload's first turn, not after all of it."""
    order: list[str] = []
    gate = threading.Event()

    def first_fn(block: bytes) -> None:
        gate.wait()
        order.append("first")

    async def main() -> None:
        first = lanes.Lane(first_fn, depth=10)
        second = lanes.Lane(lambda block: order.append("second"), depth=10)
        for _ in range(6):
            await first.put(b"x")
        await second.put(b"y")  # queued in the pool behind the first lane's running turn
        gate.set()
        await first.join()
        await second.join()

    with _lane_pool(monkeypatch, threads=1, turn=2):
        asyncio.run(main())
    assert order == ["first", "first", "second", "first", "first", "first", "first"]


def test_a_lane_alone_keeps_its_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """With nobody waiting for the pool, a lane past its turn goes on where it is."""
    threads: list[int] = []
    gate = threading.Event()

    def fn(block: bytes) -> None:
        gate.wait()  # every block is queued before the first is done: the lane never runs dry
        threads.append(threading.get_ident())

    async def main() -> None:
        lane = lanes.Lane(fn, depth=100)
        for _ in range(50):
            await lane.put(b"x")
        gate.set()
        await lane.join()

    with _lane_pool(monkeypatch, threads=2, turn=1):
        asyncio.run(main())
    assert len(threads) == 50 and len(set(threads)) == 1


async def _pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 100, 4096, 65539, 10**6])
def test_aws_chunked_is_decoded_whatever_the_pieces(piece: int) -> None:
    """Framing split anywhere (a CRLF across two pieces included); chunk data is never copied."""
    chunks = [bytes(range(256)) * 300, b"x" * 65536, b"tail"]
    wire = unsigned_chunks(chunks, ("x-amz-checksum-crc32", "AAAAAA=="))

    async def main() -> tuple[bytes, dict[str, str], set[type]]:
        decoder = ChunkedDecoder(_pieces(wire, piece), None, signed_trailer=False)
        out = [data async for data in decoder]
        return b"".join(out), decoder.trailers, {type(d) for d in out}

    data, trailers, kinds = asyncio.run(main())
    assert data == b"".join(chunks)
    assert trailers == {"x-amz-checksum-crc32": "AAAAAA=="}
    assert kinds <= {bytes, memoryview}


@pytest.mark.parametrize("wire", [b"10\r\n" + b"a" * 17 + b"\r\n0\r\n\r\n", b"z\r\n", b"1" * 5000],
                         ids=["data-longer-than-its-size", "bad-size", "header-too-long"])
def test_malformed_aws_chunked_is_refused(wire: bytes) -> None:
    async def main() -> None:
        async for _ in ChunkedDecoder(_pieces(wire, 1000), None, signed_trailer=False):
            pass

    with pytest.raises(S3Error) as exc:
        asyncio.run(main())
    assert exc.value.code == "InvalidRequest"


def test_body_pieces_are_joined_once_and_a_lone_piece_not_at_all() -> None:
    lone, pieces = b"a" * 300_000, _Pieces()
    assert not pieces and bytes(pieces) == b""
    pieces.add(lone)
    assert bytes(pieces) is lone
    pieces.add(b"bc")
    assert bytes(pieces) == lone + b"bc" and len(pieces) == 300_002


def test_writev_loop_writes_every_block(tmp_path: Path) -> None:
    blocks = [hashlib.sha256(str(i).encode()).digest() * (i % 5 + 1) for i in range(IOV_MAX * 2 + 3)]
    path = tmp_path / "blob"
    with open(path, "wb") as f:
        _write_all(f.fileno(), blocks)
    assert path.read_bytes() == b"".join(blocks)
