"""Sealed blobs: how the bytes of an encrypted version lie on disk (and in inline rows).

A sealed blob is a header, then the plaintext in 64 KiB chunks, each AES-256-GCM encrypted under the
blob's own random data key (MinIO's DARE chooses the same size: a ranged read decrypts at most two
chunks it does not serve; the tag costs 16 bytes a chunk, 0.02 %)::

    header:  "s3gS" | format 1 | log2(chunk size) | wrapped data key (nonce 12 + key 32 + tag 16)
    chunk i: AES-GCM(data key, nonce = i as 11 bytes || final flag, aad = the header's first 6 bytes)

The nonce binds each chunk's index and whether it is the last, so chunks cannot be reordered,
dropped or the blob truncated at a chunk boundary unnoticed (the new last chunk was not sealed as
final). A data key seals one blob only, so the counter nonces never repeat under a key. The header
travels with the bytes: a copy that shares the blob, or a transition that moves it to another
directory, keeps it readable without touching the catalog. Sizes in metadata stay plaintext sizes.

``cryptography``'s AESGCM holds the GIL (two threads encrypt no faster than one) but seals a 64 KiB
chunk in about 6 us, so writes seal on the event loop, a body block at a time, beside the MD5 lane;
reads decrypt in the thread that preads, a batch of chunks per hop.
"""

from __future__ import annotations

import asyncio
import ctypes
import hashlib
import hmac
import logging
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from storage_backends.base import CustomerKey, Encryption
from storage_backends.keys.keyring import DATA_KEY_SIZE, WRAP_NONCE_SIZE, WRAPPED_SIZE, Keyring, aead

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger("s3gate.sealed")

CHUNK_SHIFT = 16
CHUNK_SIZE = 1 << CHUNK_SHIFT
TAG_SIZE = 16
STRIDE = CHUNK_SIZE + TAG_SIZE
MAGIC = b"s3gS"
FORMAT = 1
_PREFIX = MAGIC + bytes([FORMAT, CHUNK_SHIFT])
HEADER_SIZE = len(_PREFIX) + WRAP_NONCE_SIZE + WRAPPED_SIZE
READ_BATCH = 16  # chunks decrypted per thread hop (1 MiB, as plaintext reads read)


class SealBroken(Exception):
    """A sealed blob failed authentication: changed, truncated, or not this key's. Never served."""


def _nonce(index: int, final: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def chunk_count(size: int) -> int:
    """An empty blob is one empty final chunk."""
    return max(1, -(-size // CHUNK_SIZE))


def sealed_size(size: int) -> int:
    return HEADER_SIZE + size + chunk_count(size) * TAG_SIZE


@dataclass(slots=True)
class Seal:
    """A new blob's data key, and the header that keeps it wrapped."""

    aead: AESGCM
    header: bytes
    key: bytes = field(repr=False)

    def etag(self, md5_hex: str) -> str:
        """SSE-KMS and SSE-C ETags are not the plaintext's MD5 (AWS's rule): an HMAC of it under the
        data key, 32 hex digits like an MD5 (multipart ETags compose from them as from MD5s)."""
        return hmac.new(self.key, b"etag\x00" + bytes.fromhex(md5_hex), hashlib.sha256).hexdigest()[:32]


def new_seal(keyring: Keyring, encryption: Encryption, customer_key: CustomerKey | None) -> Seal:
    key = os.urandom(DATA_KEY_SIZE)
    return Seal(aead(key), _PREFIX + keyring.wrap(key, encryption, customer_key), key)


class Sealer:
    """Seals a stream of plaintext blocks into chunks; the last chunk is held until ``finish``."""

    def __init__(self, seal: Seal) -> None:
        self._aead = seal.aead
        self._held = b""  # at most one chunk, not sealed yet (the last one must be sealed as final)
        self._index = 0
        self.size = 0  # plaintext bytes fed

    def _seal_into(self, chunk: bytes | memoryview, final: bool, into: memoryview) -> None:
        self._aead.encrypt_into(_nonce(self._index, final), chunk, _PREFIX, into)
        self._index += 1

    def feed(self, block: bytes) -> list[bytes]:
        """The chunks ``block`` completes, sealed into one buffer: one allocation a block, and no copy
        of the block (only of the chunk it completes and of the tail it leaves for the next)."""
        self.size += len(block)
        total = len(self._held) + len(block)
        if total <= CHUNK_SIZE:
            self._held += block
            return []
        ready = (total - 1) // CHUNK_SIZE  # whole chunks, keeping at least one byte back for the final one
        out = bytearray(ready * STRIDE)
        into = memoryview(out)
        view = memoryview(block)
        taken = CHUNK_SIZE - len(self._held)
        self._seal_into(self._held + view[:taken], False, into[:STRIDE])
        for i in range(1, ready):
            self._seal_into(view[taken:taken + CHUNK_SIZE], False, into[i * STRIDE:(i + 1) * STRIDE])
            taken += CHUNK_SIZE
        self._held = bytes(view[taken:])
        return [cast(bytes, out)]  # served as it is, as read blocks are (see Opened.plaintext)

    def finish(self) -> bytes:
        out = bytearray(len(self._held) + TAG_SIZE)
        self._seal_into(self._held, True, memoryview(out))
        self._held = b""
        return bytes(out)

    async def stream(self, header: bytes, blocks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """The sealed blob of ``blocks``: header, then chunks as they fill."""
        yield header
        async for block in blocks:
            for sealed in self.feed(block):
                yield sealed
        yield self.finish()


def seal_bytes(seal: Seal, data: bytes) -> bytes:
    """A small body sealed whole (inline rows hold these)."""
    sealer = Sealer(seal)
    return b"".join([seal.header, *sealer.feed(data), sealer.finish()])


@dataclass(frozen=True, slots=True)
class Opened:
    """A sealed blob whose data key unwrapped: decrypts chunks of its ``size`` plaintext bytes."""

    aead: AESGCM
    size: int
    name: str  # for the log line when a chunk fails

    def chunks(self, raw: bytearray, first: int, last: int) -> bytearray:
        """Plaintext of chunks ``first..last``, decrypted in place in their sealed bytes ``raw`` and
        moved together over the tags: a read holds one buffer, as a plaintext read does (a second
        one per stream costs memory, one per chunk fragments the heap, a copy costs more than AES)."""
        from cryptography.exceptions import InvalidTag

        count = chunk_count(self.size)
        end = min(self.size, (last + 1) * CHUNK_SIZE) - first * CHUNK_SIZE
        with memoryview(raw) as view:
            base = ctypes.addressof(ctypes.c_char.from_buffer(raw)) if raw else 0
            at = position = 0
            for index in range(first, last + 1):
                final = index == count - 1
                size = self.size - index * CHUNK_SIZE if final else CHUNK_SIZE
                try:
                    if len(raw) < at + size + TAG_SIZE:
                        raise InvalidTag
                    self.aead.decrypt_into(_nonce(index, final), view[at:at + size + TAG_SIZE], _PREFIX,
                                           view[at:at + size])
                except InvalidTag:
                    log.error("sealed blob %s: chunk %d of %d fails authentication (changed or truncated on "
                              "disk); not serving it", self.name, index, count)
                    raise SealBroken(f"sealed blob {self.name}: chunk {index} fails authentication") from None
                if at != position:
                    ctypes.memmove(base + position, base + at, size)
                at += size + TAG_SIZE
                position += size
        del raw[end:]
        return raw

    def plaintext(self, fetch: Callable[[int, int], bytearray], start: int, length: int) -> bytes:
        """``length`` plaintext bytes at ``start``, decrypting only the chunks that hold them;
        ``fetch(offset, length)`` reads the sealed bytes into a new buffer."""
        if length <= 0:
            return b""
        first, last = start // CHUNK_SIZE, (start + length - 1) // CHUNK_SIZE
        out = self.chunks(fetch(HEADER_SIZE + first * STRIDE, (last - first + 1) * STRIDE), first, last)
        skip = start - first * CHUNK_SIZE
        if skip == 0 and length == len(out):
            # The buffer itself, not a copy of it (a copy costs more than the decryption): every consumer
            # of a block (the response, the digests, writev, the sealer) takes any bytes-like object.
            return cast(bytes, out)
        return bytes(memoryview(out)[skip:skip + length])


def open_seal(keyring: Keyring, encryption: Encryption, customer_key: CustomerKey | None, header: bytes,
              size: int, name: str) -> Opened:
    """Unwrap a blob's data key from its header (UnwrapError: not this keyring's; SealBroken: no header)."""
    if header[:len(_PREFIX)] != _PREFIX or len(header) < HEADER_SIZE:
        log.error("sealed blob %s: no sealed-blob header", name)
        raise SealBroken(f"sealed blob {name}: no sealed-blob header")
    key = keyring.unwrap(header[len(_PREFIX):HEADER_SIZE], encryption, customer_key)
    return Opened(aead(key), size, name)


def fetch_from(data: bytes) -> Callable[[int, int], bytearray]:
    return lambda offset, length: bytearray(data[offset:offset + length])


def fetch_from_file(fd: int) -> Callable[[int, int], bytearray]:
    def fetch(offset: int, length: int) -> bytearray:
        buffer = bytearray(length)
        del buffer[os.preadv(fd, [buffer], offset):]
        return buffer

    return fetch


async def read_sealed(fd: int, opened: Opened, start: int, length: int) -> AsyncIterator[bytes]:
    """Stream plaintext ``[start, start + length)`` of a sealed blob file: pread and decrypt a batch
    of chunks per thread hop, never more chunks than the range touches."""
    loop = asyncio.get_running_loop()
    fetch = fetch_from_file(fd)

    position, end = start, start + length
    while position < end:
        batch_end = min(end, (position // CHUNK_SIZE + READ_BATCH) * CHUNK_SIZE)
        yield await loop.run_in_executor(None, opened.plaintext, fetch, position, batch_end - position)
        position = batch_end
