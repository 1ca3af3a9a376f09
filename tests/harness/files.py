"""Files: small PNG images; on disk, large random files and their MD5, counting a local data dir's blob
files and metadata commits."""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from pathlib import Path


def png(width: int, height: int, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid PNG of one colour (what a browser decodes, with the size it reports as naturalWidth)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def write_random_file(path: Path, size: int, block: int = 8 * 1024 * 1024) -> str:
    """``size`` random bytes (nothing compresses or dedups them) written to ``path``; returns their MD5."""
    digest = hashlib.md5()
    with open(path, "wb") as f:
        for offset in range(0, size, block):
            data = os.urandom(min(block, size - offset))
            digest.update(data)
            f.write(data)
    return digest.hexdigest()


def file_md5(path: str | os.PathLike[str]) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        while block := f.read(8 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def blob_files(data_dir: Path) -> int:
    """How many blob files a local-backend data dir holds."""
    return sum(1 for p in (data_dir / "blobs").rglob("*") if p.is_file())


def wal_commits(db: Path) -> int:
    """How many transactions SQLite's write-ahead log beside ``db`` holds (since the log last restarted).

    A WAL file is a 32-byte header, then frames of a 24-byte header and one page; a transaction's
    last frame records the database size (non-zero), and only frames with the header's salts count.
    """
    try:
        data = Path(f"{db}-wal").read_bytes()
    except FileNotFoundError:
        return 0
    if len(data) < 32:
        return 0
    page_size = struct.unpack(">I", data[8:12])[0]
    salts = data[16:24]
    commits = 0
    for offset in range(32, len(data) - 24 - page_size + 1, 24 + page_size):
        frame = data[offset: offset + 24]
        if frame[8:16] != salts:
            break
        commits += struct.unpack(">I", frame[4:8])[0] != 0
    return commits
