"""The request body as it streams in: framing removed, every digest verified, never buffered whole.

:func:`open_body` reads the headers that describe a body (Content-Length, aws-chunked,
x-amz-content-sha256, Content-MD5, x-amz-checksum-*, x-amz-trailer, presigned checksum
parameters), rejects bad ones before a byte is read, and returns a :class:`RequestBody`.
Iterating it yields blocks of about ``BLOCK`` bytes while MD5, the payload SHA-256 and the
object checksum are computed beside the consumer (in ``wire.lanes`` for big bodies; hashlib releases
the GIL).
At the end it verifies them all and raises :class:`S3Error` instead of finishing if anything
differs, so a storage backend that commits only after a clean end of stream can never publish
a corrupt or truncated object.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Callable
from typing import Any

from gateway.auth import Principal
from gateway.chunked import ChunkedDecoder
from gateway.request import S3Request
from gateway.wire import checksums
from gateway.wire.errors import Code, S3Error
from gateway.wire.lanes import Digester
from gateway.wire.sigv4 import STREAMING_MODES, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER, UNSIGNED
from storage_backends.base import Digests

# The body is digested in blocks of about this size: the protocol joins received pieces (uvloop
# reads 256,000 bytes at a time) into one before it pauses reading (one copy, and a quarter of the
# hand-offs to the digest threads, each of which has to win the GIL back); smaller ones are joined here.
BLOCK = 1024 * 1024

Receive = Callable[[], Any]


async def receive_stream(receive: Receive) -> AsyncIterator[bytes]:
    """The request body as it arrives. No read-ahead task is needed: the protocol keeps reading
    the socket until ``BLOCK`` bytes wait (``http_protocol``), while the blocks before are hashed
    and written in threads."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise S3Error(Code.IncompleteBody)
        if body := message.get("body"):
            yield body
        if not message.get("more_body", False):
            return


class RequestBody:
    """An incoming object body; see the module docstring. Satisfies ``storage_backends.base.Body``."""

    def __init__(self, source: AsyncIterator[bytes | memoryview], *, expected_size: int | None, algorithm: str,
                 expected_checksum: str | None, trailer_name: str | None, decoder: ChunkedDecoder | None,
                 content_md5: str | None, payload_sha256: str | None, store_algorithm: str) -> None:
        self._source = source
        self._expected_size = expected_size
        self._algorithm = algorithm  # the client's checksum (verified), or the one we compute
        self._store_algorithm = store_algorithm  # the one reported in digests()
        self._expected_checksum = expected_checksum
        self._trailer_name = trailer_name
        self._decoder = decoder
        self._content_md5 = content_md5
        self._payload_sha256 = payload_sha256
        self._digester = Digester(payload_sha256 is not None, {algorithm, store_algorithm})
        self._digests: Digests | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # One block is always held back and released only once the whole stream has been
        # verified: a consumer that forwards bytes (the upstream backend) never delivers a
        # complete body for a request that then fails its checksum. The digests run in lanes
        # beside the consumer, a few blocks behind the receiving at most.
        held: bytes | None = None
        digester = self._digester
        try:
            async for block in self._blocks():
                await digester.feed(block)
                if held is not None:
                    yield held
                held = block
        finally:
            await digester.drain()
        self._finish()
        if held is not None:
            yield held

    async def _blocks(self) -> AsyncIterator[bytes]:
        """The received pieces regrouped into blocks of about ``BLOCK`` bytes."""
        pieces: list[bytes | memoryview] = []
        gathered = 0
        async for piece in self._source:
            pieces.append(piece)
            gathered += len(piece)
            if gathered >= BLOCK:
                yield b"".join(pieces)  # one exact-size copy (none for a lone piece)
                pieces.clear()
                gathered = 0
        if pieces:
            yield b"".join(pieces)

    @property
    def size(self) -> int | None:
        """The decoded length the client announced, if it did (streaming bodies may not)."""
        return self._expected_size

    @property
    def announced_checksum(self) -> tuple[str, str | None] | None:
        if self._trailer_name is None and self._expected_checksum is None:
            return None
        return self._algorithm, self._expected_checksum

    @property
    def content_md5(self) -> str | None:
        return self._content_md5

    def _finish(self) -> None:
        d = self._digester
        if self._expected_size is not None and d.size != self._expected_size:
            raise S3Error(Code.IncompleteBody)
        md5 = d.md5.digest()
        if self._content_md5 is not None and base64.b64decode(self._content_md5) != md5:
            raise S3Error(Code.BadDigest, ExpectedDigest=self._content_md5,
                          CalculatedDigest=base64.b64encode(md5).decode())
        if self._payload_sha256 is not None and d.sha256 is not None:
            computed = d.sha256.hexdigest()
            if computed != self._payload_sha256.lower():
                raise S3Error(Code.XAmzContentSHA256Mismatch, ClientComputedContentSHA256=self._payload_sha256,
                              S3ComputedContentSHA256=computed)
        value = checksums.b64(d.checksums[self._algorithm].digest())
        expected = self._expected_checksum
        if self._trailer_name is not None and self._decoder is not None:
            expected = self._decoder.trailers.get(self._trailer_name)
            if expected is None:
                raise S3Error(Code.InvalidRequest, f"The trailer {self._trailer_name} announced in x-amz-trailer "
                              "was not sent.")
            if not checksums.is_valid_value(self._algorithm, expected):
                raise S3Error(Code.InvalidRequest, f"Value for {self._trailer_name} trailing header is invalid.")
        if expected is not None and expected != value:
            raise S3Error(Code.BadDigest, f"The {self._algorithm} you specified did not match the calculated "
                          "checksum.")
        stored = self._store_algorithm
        self._digests = Digests(md5_hex=md5.hex(), size=d.size, checksum_algorithm=stored,
                                checksum_value=checksums.b64(d.checksums[stored].digest()),
                                checksum_given=expected is not None and stored == self._algorithm)

    def digests(self) -> Digests:
        if self._digests is None:
            raise RuntimeError("digests() before the body was read to its end")
        return self._digests


def client_checksum(req: S3Request, principal: Principal, *, checksum_headers: bool = True
                    ) -> tuple[str | None, str | None, str | None]:
    """(algorithm, expected value from a header/query, trailer name) as the client asked for them.

    ``checksum_headers=False``: the request's ``x-amz-checksum-*`` (and SDK algorithm) headers are
    about something else than this body (CompleteMultipartUpload's: the object), only a trailer counts.
    """
    headers = req.headers
    found = [(algo, headers[name]) for name in headers if (algo := checksums.algorithm_of_header(name))] \
        if checksum_headers else []
    if principal.presigned and checksum_headers:
        for name, value in req.query.items():
            algo = checksums.algorithm_of_header(name.lower())
            if algo and not any(a == algo for a, _ in found):
                found.append((algo, value))
    if len(found) > 1:
        raise S3Error(Code.InvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types "
                      "are not allowed.")
    trailer = headers.get("x-amz-trailer", "").strip().lower() or None
    sdk = (headers.get("x-amz-sdk-checksum-algorithm", "").upper() or None) if checksum_headers else None
    if sdk is not None and sdk not in checksums.ALGORITHMS:
        raise S3Error(Code.InvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.")
    if trailer is not None:
        algo = checksums.algorithm_of_header(trailer)
        if algo is None:
            raise S3Error(Code.InvalidRequest, f"Value for x-amz-trailer header is invalid: {trailer}")
        if found:
            raise S3Error(Code.InvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum "
                          "Types are not allowed.")
        if principal.payload_hash not in STREAMING_MODES:
            raise S3Error(Code.InvalidRequest, "x-amz-trailer requires an aws-chunked STREAMING-*-TRAILER payload.")
        return algo, None, trailer
    if found:
        algo, value = found[0]
        if sdk is not None and sdk != algo:
            raise S3Error(Code.InvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.")
        if not checksums.is_valid_value(algo, value):
            raise S3Error(Code.InvalidRequest, f"Value for {checksums.header_name(algo)} header is invalid.")
        return algo, value, None
    if sdk is not None:
        raise S3Error(Code.InvalidRequest, "x-amz-sdk-checksum-algorithm specified, but no corresponding "
                      "x-amz-checksum-* or x-amz-trailer headers were found.")
    return None, None, None


def content_md5(req: S3Request) -> str | None:
    value = req.headers.get("content-md5")
    if value is None:
        return None
    try:
        if len(base64.b64decode(value, validate=True)) != 16:
            raise ValueError
    except (binascii.Error, ValueError):
        raise S3Error(Code.InvalidDigest, fields={"Content-MD5": value}) from None
    return value


def declared_size(req: S3Request, principal: Principal) -> int | None:
    """The payload length the client announced (after aws-chunked decoding), if any."""
    headers = req.headers
    raw = headers.get("x-amz-decoded-content-length") if principal.payload_hash in STREAMING_MODES \
        else headers.get("content-length")
    if raw is None:
        if principal.payload_hash in STREAMING_MODES:
            raise S3Error(Code.MissingContentLength, "You must provide the x-amz-decoded-content-length header "
                          "with an aws-chunked payload.")
        return None
    try:
        size = int(raw)
    except ValueError:
        raise S3Error(Code.InvalidArgument, "Content-Length is not a number", ArgumentName="Content-Length",
                      ArgumentValue=raw) from None
    if size < 0:
        raise S3Error(Code.InvalidArgument, "Content-Length is negative", ArgumentName="Content-Length")
    return size


def open_body(req: S3Request, principal: Principal, receive: Receive, *, max_size: int,
              store_algorithm: str | None = None, checksum_headers: bool = True) -> RequestBody:
    """Validate the body's headers and return the verifying stream (nothing is read yet).

    The checksum the client sent is verified (see ``client_checksum`` for ``checksum_headers``);
    ``store_algorithm`` (default: the client's, else CRC64NVME as S3 does) is the one ``digests()``
    reports for storing.
    """
    mode = principal.payload_hash
    headers = req.headers
    size = declared_size(req, principal)
    if size is None and "chunked" not in headers.get("transfer-encoding", "").lower():
        raise S3Error(Code.MissingContentLength)
    if size is not None and size > max_size:
        raise S3Error(Code.EntityTooLarge, ProposedSize=str(size), MaxSizeAllowed=str(max_size))
    algorithm, expected, trailer = client_checksum(req, principal, checksum_headers=checksum_headers)
    received = receive_stream(receive)
    source: AsyncIterator[bytes | memoryview] = received
    decoder = None
    if mode in STREAMING_MODES:
        decoder = ChunkedDecoder(received, principal.signer, signed_trailer=mode == STREAMING_SIGNED_TRAILER)
        source = decoder.__aiter__()
    elif trailer is not None:
        raise S3Error(Code.InvalidRequest, "x-amz-trailer requires an aws-chunked payload.")
    if mode in (STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER) and trailer is None:
        raise S3Error(Code.InvalidRequest, "A STREAMING-*-TRAILER payload needs an x-amz-trailer header.")
    sha256 = mode if mode not in (UNSIGNED, *STREAMING_MODES) else None
    algorithm = algorithm or store_algorithm or checksums.DEFAULT_ALGORITHM
    return RequestBody(
        source,
        expected_size=size,
        algorithm=algorithm,
        store_algorithm=store_algorithm or algorithm,
        expected_checksum=expected,
        trailer_name=trailer,
        decoder=decoder,
        content_md5=content_md5(req),
        payload_sha256=sha256,
    )


def verified_stream(source: AsyncIterator[bytes], *, algorithm: str | None, expected: str | None,
                    min_size: int, max_size: int) -> RequestBody:
    """A body that arrives inside something else (a POST form's file part): checksum and size verified."""

    async def bounded() -> AsyncIterator[bytes]:
        total = 0
        async for chunk in source:
            total += len(chunk)
            if total > max_size:
                raise S3Error(Code.EntityTooLarge, ProposedSize=str(total), MaxSizeAllowed=str(max_size))
            yield chunk
        if total < min_size:
            raise S3Error(Code.EntityTooSmall, ProposedSize=str(total), MinSizeAllowed=str(min_size))

    algorithm = algorithm or checksums.DEFAULT_ALGORITHM
    return RequestBody(bounded(), expected_size=None, algorithm=algorithm, store_algorithm=algorithm,
                       expected_checksum=expected, trailer_name=None, decoder=None, content_md5=None,
                       payload_sha256=None)


def stored_content_encoding(value: str | None) -> str | None:
    """Content-Encoding as sent (S3 returns it so, spaces included) minus the transport-only
    ``aws-chunked`` token and its comma; None when nothing else was sent."""
    if value is None:
        return None
    kept = [token for token in value.split(",") if token.strip().lower() != "aws-chunked"]
    return ",".join(kept).strip() or None
