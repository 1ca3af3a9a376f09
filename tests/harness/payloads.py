"""Sizes and encodings of test payloads: MiB, base64, Content-MD5, checksums as S3 sends them in headers."""

from __future__ import annotations

import base64
import hashlib
import zlib

from awscrt import checksums as crt

MiB = 1024 * 1024


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def content_md5(data: bytes) -> str:
    """The Content-MD5 header's value: the base64 of the MD5 digest."""
    return b64(hashlib.md5(data).digest())


def crc32(data: bytes) -> str:
    return b64(zlib.crc32(data).to_bytes(4, "big"))


_DIGESTS = {"CRC32": lambda d: zlib.crc32(d).to_bytes(4, "big"),
            "CRC32C": lambda d: crt.crc32c(d).to_bytes(4, "big"),
            "CRC64NVME": lambda d: crt.crc64nvme(d).to_bytes(8, "big"),
            "SHA1": lambda d: hashlib.sha1(d).digest(), "SHA256": lambda d: hashlib.sha256(d).digest()}


def checksum(algorithm: str, data: bytes) -> str:
    """``data``'s checksum as S3 sends it (base64), computed independently of the gateway."""
    return b64(_DIGESTS[algorithm](data))


def multipart_checksum(algorithm: str, kind: str, parts: list[bytes]) -> str:
    """What S3 reports for a completed upload: the whole object's checksum (FULL_OBJECT), or the
    checksum of the parts' checksums followed by ``-N`` (COMPOSITE)."""
    if kind == "FULL_OBJECT":
        return checksum(algorithm, b"".join(parts))
    digest = _DIGESTS[algorithm]
    return f"{b64(digest(b''.join(digest(p) for p in parts)))}-{len(parts)}"
