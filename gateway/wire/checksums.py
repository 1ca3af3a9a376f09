"""The checksum algorithms S3 knows, behind one small incremental interface.

CRC32 comes from zlib; CRC32C and CRC64NVME from awscrt (C, ~10 GB/s; imported at their first use, as
loading it costs 20-80 ms: its TLS library gathers CPU jitter entropy); SHA-1/SHA-256/SHA-512 and
MD5 from hashlib; XXHASH64, XXHASH3 (the 64-bit XXH3) and XXHASH128 (XXH3-128) from the reference
xxHash library. Values travel as base64 of the big-endian (xxHash's canonical) digest, as in
``x-amz-checksum-*`` headers. Only the CRCs can be combined from part checksums into a checksum of a
whole multipart object (FULL_OBJECT); the others make COMPOSITE ones (a checksum of the part checksums).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Protocol

import xxhash

ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", "SHA512", "MD5", "XXHASH64", "XXHASH3", "XXHASH128")
CRC_ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME")
DEFAULT_ALGORITHM = "CRC64NVME"  # what S3 stores when the client sends no checksum
CHEAP = ("CRC32C", "CRC64NVME")  # awscrt, tens of GB/s: cheaper computed in place than handed to a thread


@dataclass(frozen=True, slots=True)
class Checksum:
    """A stored checksum as S3 reports it (headers, XML): algorithm, base64 value, type."""

    algorithm: str
    value: str
    type: str = "FULL_OBJECT"  # or COMPOSITE (multipart "checksum of checksums-N"), PART


class Hasher(Protocol):
    def update(self, data: bytes | memoryview, /) -> None: ...
    def digest(self) -> bytes: ...


class _Crc:
    __slots__ = ("_fn", "_value", "_width")

    def __init__(self, fn: Callable[[bytes | memoryview, int], int], width: int) -> None:
        self._fn = fn
        self._value = 0
        self._width = width

    def update(self, data: bytes | memoryview, /) -> None:
        self._value = self._fn(data, self._value)

    def digest(self) -> bytes:
        return self._value.to_bytes(self._width, "big")


@cache
def _crt() -> ModuleType:
    """awscrt's CRC functions, loaded at the first CRC32C or CRC64NVME (see above)."""
    return importlib.import_module("awscrt.checksums")


_HASHERS: dict[str, Callable[[], Hasher]] = {
    "CRC32": lambda: _Crc(zlib.crc32, 4),
    "CRC32C": lambda: _Crc(_crt().crc32c, 4),
    "CRC64NVME": lambda: _Crc(_crt().crc64nvme, 8),
    "SHA1": hashlib.sha1,
    "SHA256": hashlib.sha256,
    "SHA512": hashlib.sha512,
    "MD5": hashlib.md5,
    "XXHASH64": xxhash.xxh64,
    "XXHASH3": xxhash.xxh3_64,
    "XXHASH128": xxhash.xxh3_128,
}


def new_hasher(algorithm: str) -> Hasher:
    try:
        return _HASHERS[algorithm]()
    except KeyError:
        raise ValueError(algorithm) from None


def header_name(algorithm: str) -> str:
    return f"x-amz-checksum-{algorithm.lower()}"


def algorithm_of_header(name: str) -> str | None:
    """``x-amz-checksum-crc32c`` -> ``CRC32C``; anything else -> None."""
    if name.startswith("x-amz-checksum-"):
        algo = name[len("x-amz-checksum-"):].upper()
        if algo in ALGORITHMS:
            return algo
    return None


DIGEST_SIZES = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8, "SHA1": 20, "SHA256": 32, "SHA512": 64, "MD5": 16,
                "XXHASH64": 8, "XXHASH3": 8, "XXHASH128": 16}


def is_valid_value(algorithm: str, value: str) -> bool:
    """A base64 value of the algorithm's digest length."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == DIGEST_SIZES[algorithm]


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def compute(algorithm: str, data: bytes) -> str:
    hasher = new_hasher(algorithm)
    hasher.update(data)
    return b64(hasher.digest())


_COMBINE = {"CRC32": ("combine_crc32", 4), "CRC32C": ("combine_crc32c", 4), "CRC64NVME": ("combine_crc64nvme", 8)}


def combine_crc(algorithm: str, first: bytes, second: bytes, second_length: int) -> bytes:
    """The CRC of A+B from CRC(A), CRC(B) and len(B): full-object checksums of multipart uploads."""
    name, width = _COMBINE[algorithm]
    value: int = getattr(_crt(), name)(int.from_bytes(first, "big"), int.from_bytes(second, "big"), second_length)
    return value.to_bytes(width, "big")
