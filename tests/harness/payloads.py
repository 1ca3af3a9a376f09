"""Sizes and encodings of test payloads: MiB, base64, Content-MD5, the base64 CRC32 S3 sends in checksum headers."""

from __future__ import annotations

import base64
import hashlib
import zlib

MiB = 1024 * 1024


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def content_md5(data: bytes) -> str:
    """The Content-MD5 header's value: the base64 of the MD5 digest."""
    return b64(hashlib.md5(data).digest())


def crc32(data: bytes) -> str:
    return b64(zlib.crc32(data).to_bytes(4, "big"))
