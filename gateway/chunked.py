"""Decode ``Content-Encoding: aws-chunked`` bodies.

Wire format (signed variant; the unsigned one has no ``;chunk-signature=``)::

    <hex size>;chunk-signature=<sig>\\r\\n<data>\\r\\n ... 0;chunk-signature=<sig>\\r\\n
    [x-amz-checksum-crc32:<b64>\\r\\n [x-amz-trailer-signature:<sig>\\r\\n]] \\r\\n

Each chunk signature chains on the previous one (the seed is the request signature), so a
reordered, dropped or altered chunk fails. Data is yielded as it arrives, uncopied (received
pieces, or views of their parts); the caller commits nothing until the whole stream, trailer
included, has been verified.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator

from gateway.auth.sigv4 import ChunkSigner
from gateway.wire.errors import Code, S3Error

MAX_LINE = 4096


def _malformed(what: str) -> S3Error:
    return S3Error(Code.InvalidRequest, f"Malformed aws-chunked payload: {what}.")


class ChunkedDecoder:
    """Strips aws-chunked framing from ``source``; verifies chunk signatures; collects trailers."""

    def __init__(self, source: AsyncIterator[bytes], signer: ChunkSigner | None, *,
                 signed_trailer: bool) -> None:
        self._source = source
        self._signer = signer
        self._signed_trailer = signed_trailer
        self._piece = b""  # the received piece being read, from ``_pos`` on
        self._pos = 0
        self._previous = signer.seed_signature if signer else ""
        self.trailers: dict[str, str] = {}

    async def _next(self) -> bytes:
        try:
            return await anext(self._source)
        except StopAsyncIteration:
            raise S3Error(Code.IncompleteBody, "The aws-chunked payload ended before its final chunk.") from None

    async def _line(self) -> str:
        """The next line of framing; one that spans pieces is joined (it is short, or malformed)."""
        while (end := self._piece.find(b"\r\n", self._pos)) < 0:
            rest = self._piece[self._pos:]
            if len(rest) > MAX_LINE:
                raise _malformed("chunk header too long")
            self._piece, self._pos = rest + await self._next(), 0
        if end - self._pos > MAX_LINE:
            raise _malformed("chunk header too long")
        line = self._piece[self._pos:end]
        self._pos = end + 2
        try:
            return line.decode("ascii")
        except UnicodeDecodeError:
            raise _malformed("non-ASCII framing") from None

    def _check(self, expected: str, provided: str | None) -> None:
        if provided is None or not hmac.compare_digest(expected, provided.lower()):
            raise S3Error(Code.SignatureDoesNotMatch,
                          "The request signature we calculated does not match the signature you provided "
                          "for an aws-chunked chunk.")
        self._previous = expected

    async def __aiter__(self) -> AsyncIterator[bytes | memoryview]:
        while True:
            header = await self._line()
            size_hex, _, ext = header.partition(";")
            try:
                size = int(size_hex.strip(), 16)
            except ValueError:
                raise _malformed(f"bad chunk size {size_hex[:32]!r}") from None
            provided = ext.partition("chunk-signature=")[2] or None if ext else None
            digest = hashlib.sha256() if self._signer else None
            remaining = size
            while remaining:
                if self._pos == len(self._piece):
                    self._piece, self._pos = await self._next(), 0
                start = self._pos
                self._pos = min(len(self._piece), start + remaining)
                # Chunk data is never copied: a whole piece as it came, else a view of its part.
                data = self._piece if self._pos - start == len(self._piece) else \
                    memoryview(self._piece)[start:self._pos]
                remaining -= self._pos - start
                if digest is not None:
                    digest.update(data)
                yield data
            if self._signer and digest is not None:
                self._check(self._signer.chunk_signature(self._previous, digest.hexdigest()), provided)
            if size == 0:
                break
            if await self._line() != "":
                raise _malformed("chunk data longer than its declared size")
        await self._read_trailers()

    async def _read_trailers(self) -> None:
        canonical = []
        signature = None
        while True:
            line = await self._line()
            if line == "":
                break
            name, sep, value = line.partition(":")
            if not sep:
                raise _malformed(f"bad trailer line {line[:64]!r}")
            name, value = name.strip().lower(), value.strip()
            if name == "x-amz-trailer-signature":
                signature = value
            else:
                self.trailers[name] = value
                canonical.append(f"{name}:{value}\n")
        if self._signed_trailer and self._signer is not None:
            trailer_hash = hashlib.sha256("".join(canonical).encode()).hexdigest()
            self._check(self._signer.trailer_signature(self._previous, trailer_hash), signature)
