"""Sizes and encodings of test payloads: MiB, base64, Content-MD5, the checksums S3 sends in checksum headers.

The digests come from other implementations than the gateway's where one exists (awscrt's xxHash,
the one botocore uses), so a test compares two independent computations.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable

from awscrt import checksums as crt

MiB = 1024 * 1024


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def content_md5(data: bytes) -> str:
    """The Content-MD5 header's value: the base64 of the MD5 digest."""
    return b64(hashlib.md5(data).digest())


def crc32(data: bytes) -> str:
    return b64(zlib.crc32(data).to_bytes(4, "big"))


def _xxhash(new: Callable[[], crt.XXHash]) -> Callable[[bytes], bytes]:
    def digest(data: bytes) -> bytes:
        hasher = new()
        hasher.update(data)
        return hasher.finalize()
    return digest


# Every x-amz-checksum-* algorithm S3 knows -> the raw digest it sends (base64'd) in headers and XML.
DIGESTS: dict[str, Callable[[bytes], bytes]] = {
    "CRC32": lambda d: zlib.crc32(d).to_bytes(4, "big"),
    "CRC32C": lambda d: crt.crc32c(d).to_bytes(4, "big"),
    "CRC64NVME": lambda d: crt.crc64nvme(d).to_bytes(8, "big"),
    "SHA1": lambda d: hashlib.sha1(d).digest(),
    "SHA256": lambda d: hashlib.sha256(d).digest(),
    "SHA512": lambda d: hashlib.sha512(d).digest(),
    "MD5": lambda d: hashlib.md5(d).digest(),
    "XXHASH64": _xxhash(crt.XXHash.new_xxhash64),
    "XXHASH3": _xxhash(crt.XXHash.new_xxhash3_64),
    "XXHASH128": _xxhash(crt.XXHash.new_xxhash3_128),
}


def checksum(algorithm: str, data: bytes) -> str:
    """The ``x-amz-checksum-<algorithm>`` value of ``data``."""
    return b64(DIGESTS[algorithm](data))


def checksum_args(algorithm: str, data: bytes) -> dict[str, str]:
    """boto3 arguments asking for ``algorithm``. botocore computes every one but MD5, which it only passes on."""
    if algorithm == "MD5":
        return {"ChecksumAlgorithm": "MD5", "ChecksumMD5": checksum("MD5", data)}
    return {"ChecksumAlgorithm": algorithm}


def multipart_checksum(algorithm: str, kind: str, parts: list[bytes]) -> str:
    """What S3 reports for a completed upload: the whole object's checksum (FULL_OBJECT), or the
    checksum of the parts' checksums followed by ``-N`` (COMPOSITE)."""
    if kind == "FULL_OBJECT":
        return checksum(algorithm, b"".join(parts))
    digest = DIGESTS[algorithm]
    return f"{b64(digest(b''.join(digest(p) for p in parts)))}-{len(parts)}"
