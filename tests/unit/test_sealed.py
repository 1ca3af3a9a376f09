"""The sealed blob format: round trips, chunk-boundary ranges, and every tampering refused."""

from __future__ import annotations

import os

import pytest

from storage_backends.base import CustomerKey, Encryption
from storage_backends.keys.keyring import Keyring, UnwrapError
from storage_backends.local import sealed
from storage_backends.local.sealed import CHUNK_SIZE, HEADER_SIZE, STRIDE, SealBroken

SSE_S3 = Encryption("AES256")
KEYRING = Keyring(os.urandom(32), "us-east-1", "000000000000")


def seal(data: bytes, blocks: int = 3, encryption: Encryption = SSE_S3, key: CustomerKey | None = None
         ) -> tuple[bytes, sealed.Opened]:
    """Seal ``data`` fed in uneven blocks, then open it again."""
    s = sealed.new_seal(KEYRING, encryption, key)
    sealer = sealed.Sealer(s)
    out = [s.header]
    step = max(1, len(data) // blocks + 7)
    for i in range(0, len(data), step):
        out += sealer.feed(data[i:i + step])
    out.append(sealer.finish())
    blob = b"".join(out)
    assert sealer.size == len(data)
    return blob, sealed.open_seal(KEYRING, encryption, key, blob[:HEADER_SIZE], len(data), "test")


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE, 200_001])
def test_round_trip_of_any_size(size: int) -> None:
    data = os.urandom(size)
    blob, opened = seal(data)
    assert len(blob) == sealed.sealed_size(size)
    assert size < 16 or data[:16] not in blob
    assert opened.plaintext(sealed.fetch_from(blob), 0, size) == data
    s = sealed.new_seal(KEYRING, SSE_S3, None)
    whole = sealed.seal_bytes(s, data)
    reopened = sealed.open_seal(KEYRING, SSE_S3, None, whole, size, "t")
    assert reopened.plaintext(sealed.fetch_from(whole), 0, size) == data


@pytest.mark.parametrize("start,length", [(0, 1), (CHUNK_SIZE - 1, 2), (CHUNK_SIZE, CHUNK_SIZE),
                                          (CHUNK_SIZE - 5, CHUNK_SIZE + 10), (3 * CHUNK_SIZE - 1, 1),
                                          (123_457, 70_000), (0, 3 * CHUNK_SIZE)])
def test_ranges_across_chunk_boundaries_decrypt_only_their_chunks(start: int, length: int) -> None:
    data = os.urandom(3 * CHUNK_SIZE)
    blob, opened = seal(data)
    read: list[tuple[int, int]] = []

    def fetch(offset: int, n: int) -> bytearray:
        read.append((offset, n))
        return bytearray(blob[offset:offset + n])

    assert opened.plaintext(fetch, start, length) == data[start:start + length]
    first, last = start // CHUNK_SIZE, (start + length - 1) // CHUNK_SIZE
    assert read == [(HEADER_SIZE + first * STRIDE, (last - first + 1) * STRIDE)]


def test_reordered_dropped_truncated_or_changed_chunks_are_refused() -> None:
    data = os.urandom(3 * CHUNK_SIZE + 100)
    blob, opened = seal(data)
    head, body = blob[:HEADER_SIZE], blob[HEADER_SIZE:]
    chunks = [body[i:i + STRIDE] for i in range(0, len(body), STRIDE)]
    swapped = head + chunks[1] + chunks[0] + b"".join(chunks[2:])
    dropped = head + chunks[0] + b"".join(chunks[2:])
    at_boundary = head + b"".join(chunks[:3])  # a whole chunk cut off: the new last one is not final
    changed = bytearray(blob)
    changed[HEADER_SIZE + STRIDE + 10] ^= 1
    for bad in (swapped, dropped, at_boundary, bytes(changed), blob[:-1]):
        with pytest.raises(SealBroken):
            opened.plaintext(sealed.fetch_from(bad), 0, len(data))
    with pytest.raises(SealBroken):  # a range within the chunk cut off
        opened.plaintext(sealed.fetch_from(at_boundary), 3 * CHUNK_SIZE, 10)
    # the chunks still there are authentic: a range of them is served
    assert opened.plaintext(sealed.fetch_from(at_boundary), CHUNK_SIZE, 10) == data[CHUNK_SIZE:CHUNK_SIZE + 10]


def test_the_data_key_opens_only_with_the_same_keys_and_context() -> None:
    data = b"secret photo"
    kms = KEYRING.resolve(Encryption("aws:kms", context="eyJhIjoiYiJ9"))
    assert kms is not None
    blob, _ = seal(data, encryption=kms)
    header = blob[:HEADER_SIZE]
    for other_ring, other in [(KEYRING, SSE_S3), (KEYRING, Encryption("aws:kms", False, kms.kms_key_id, "e30=")),
                              (Keyring(os.urandom(32), "us-east-1", "000000000000"), kms)]:
        with pytest.raises(UnwrapError):
            sealed.open_seal(other_ring, other, None, header, len(data), "t")
    with pytest.raises(SealBroken):
        sealed.open_seal(KEYRING, kms, None, b"plain text, not sealed" * 4, len(data), "t")
    customer = CustomerKey(os.urandom(32), "md5")
    blob, opened = seal(data, encryption=Encryption("AES256", customer=True), key=customer)
    assert opened.plaintext(sealed.fetch_from(blob), 0, len(data)) == data
    with pytest.raises(UnwrapError):
        sealed.open_seal(KEYRING, Encryption("AES256", customer=True), CustomerKey(os.urandom(32), "x"),
                         blob[:HEADER_SIZE], len(data), "t")


def test_sse_kms_etags_are_not_the_md5_and_differ_per_data_key() -> None:
    md5 = "5d41402abc4b2a76b9719d911017c592"
    one, two = (sealed.new_seal(KEYRING, SSE_S3, None).etag(md5) for _ in range(2))
    assert len(one) == 32 and int(one, 16) >= 0 and one != md5 and one != two
