"""Files on disk: large random files and their MD5, and counting a local data dir's blob files."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


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
