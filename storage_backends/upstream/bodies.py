"""Request bodies on their way upstream: streamed as they are verified, the client's checksum passed on.

The gateway's ``Body`` holds its last block back until every digest has been verified, so a body
that fails verification never reaches the upstream whole: the upstream request is cut short of its
Content-Length and the upstream stores nothing. A checksum the client sent in a header goes upstream
in the same header; one that arrives in a trailer (known only at the end) goes upstream as an
``aws-chunked`` trailer carrying the verified value, so the upstream stores the client's checksum.
A Content-MD5 without a checksum goes along too (an upstream wants one or the other for an Object
Lock write).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from gateway.wire import checksums
from gateway.wire.sigv4 import STREAMING_UNSIGNED_TRAILER
from storage_backends.base import Body

FRAME = 1024 * 1024  # aws-chunked chunk size: fixed, so the framed length is known up front
_CRLF = b"\r\n"
_FULL_HEAD = f"{FRAME:x}\r\n".encode()


@dataclass(slots=True)
class Outgoing:
    """How a body goes upstream: extra headers, the content, its length and payload hash."""

    content: bytes | AsyncIterator[bytes]
    length: int | None
    headers: dict[str, str] = field(default_factory=dict)
    payload_hash: str | None = None  # None: the client's default (signed bytes or UNSIGNED-PAYLOAD)


async def outgoing(body: Body) -> Outgoing:
    announced = body.announced_checksum
    size = body.size
    md5 = {"content-md5": body.content_md5} if body.content_md5 else {}
    if size == 0:
        # Nothing to hold back: verify first, then send an empty body with the checksum known.
        async for _ in body:
            pass
        if announced is None:
            return Outgoing(b"", 0, md5)
        digests = body.digests()
        return Outgoing(b"", 0, _checksum_header(digests.checksum_algorithm, digests.checksum_value))
    if announced is None:  # a Content-MD5 goes along (an upstream wants one, or a checksum, for Object Lock)
        return Outgoing(aiter(body), size, md5)
    algorithm, value = announced
    if value is not None or size is None:
        return Outgoing(aiter(body), size, _checksum_header(algorithm, value) if value is not None else {})
    trailer = checksums.header_name(algorithm)
    return Outgoing(_aws_chunked(body, trailer), framed_length(size, algorithm),
                    {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(size),
                     "x-amz-trailer": trailer, "x-amz-sdk-checksum-algorithm": algorithm},
                    STREAMING_UNSIGNED_TRAILER)


def _checksum_header(algorithm: str, value: str) -> dict[str, str]:
    """As SDKs send it: some servers (moto) go by x-amz-sdk-checksum-algorithm."""
    return {checksums.header_name(algorithm): value, "x-amz-sdk-checksum-algorithm": algorithm}


def framed_length(size: int, algorithm: str) -> int:
    """Bytes on the wire for ``size`` payload bytes in FRAME chunks plus the checksum trailer."""
    full, rest = divmod(size, FRAME)
    length = full * (len(_FULL_HEAD) + FRAME + 2)
    if rest:
        length += len(f"{rest:x}\r\n") + rest + 2
    value = checksums.b64(bytes(checksums.DIGEST_SIZES[algorithm]))
    return length + len(b"0\r\n") + len(f"{checksums.header_name(algorithm)}:{value}\r\n") + 2


def _frame(data: bytes | memoryview) -> bytes:
    head = _FULL_HEAD if len(data) == FRAME else f"{len(data):x}\r\n".encode()
    return b"".join((head, data, _CRLF))


async def _aws_chunked(body: Body, trailer: str) -> AsyncIterator[bytes]:
    pending = b""
    async for block in body:
        data = pending + block if pending else block
        whole = len(data) - len(data) % FRAME
        view = memoryview(data)
        for start in range(0, whole, FRAME):
            yield _frame(view[start: start + FRAME])
        pending = bytes(view[whole:])
    if pending:
        yield _frame(pending)
    # The body ended cleanly, so it was verified: its digests are the trailer's value.
    yield f"0\r\n{trailer}:{body.digests().checksum_value}\r\n\r\n".encode()
