"""The master key: 32 random bytes every server-managed key (SSE-S3, SSE-KMS) is derived from.

It lives in ``<data-dir>/master.key`` (made on first start) or in the file ``--master-key-file``
names. Losing it loses every SSE-S3 and SSE-KMS object: nothing else can unwrap their data keys.
Workers start together, so the first start writes a temporary file, fsyncs it and *links* it into
place: a link never replaces, so every worker ends up reading the one key that won.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

MASTER_KEY_FILE = "master.key"
KEY_SIZE = 32


class KeyringError(RuntimeError):
    """The keyring cannot be set up: the server must not start (the message says what to fix)."""


def read_key_file(path: Path) -> bytes:
    """A master key file's 32 bytes, or KeyringError naming the problem."""
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise KeyringError(f"master key file {path}: cannot read it ({exc.strerror or exc})") from None
    if len(key) != KEY_SIZE:
        raise KeyringError(f"master key file {path}: {len(key)} bytes, a master key is exactly {KEY_SIZE} "
                           f"random bytes (e.g. head -c 32 /dev/urandom > {path.name})")
    return key


def load_master_key(data_dir: Path, given: str | None = None) -> bytes:
    """The key in ``given`` (which must exist), else the data dir's, made durably on first use."""
    if given:
        return read_key_file(Path(given))
    path = data_dir / MASTER_KEY_FILE
    if path.exists():
        return read_key_file(path)
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / f".{MASTER_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, secrets.token_bytes(KEY_SIZE))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # atomic and never replacing: a worker that lost the race reads the winner's key
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    dir_fd = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return read_key_file(path)
