"""Sizes and encodings of test payloads: MiB, base64, the base64 CRC32 S3 sends in checksum headers."""

from __future__ import annotations

import base64
import zlib

MiB = 1024 * 1024


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def crc32(data: bytes) -> str:
    return b64(zlib.crc32(data).to_bytes(4, "big"))
