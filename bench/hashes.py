"""Raw digest throughput on this machine: the ceiling a Python PUT path that hashes can reach.

A PUT computes MD5 (the ETag) and, when the client signs the payload, SHA-256, plus a CRC
checksum. hashlib and awscrt release the GIL on large buffers, so MD5 and SHA-256 on two threads
show what hashing on both cores would buy.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import threading
import time
import zlib
from collections.abc import Callable

from awscrt import checksums

CHUNK = 1 << 20


def _digest(name: str) -> Callable[[memoryview], None]:
    def run(data: memoryview) -> None:
        h = hashlib.new(name)
        for i in range(0, len(data), CHUNK):
            h.update(data[i:i + CHUNK])
        h.digest()
    return run


def _md5_and_sha256(data: memoryview) -> None:
    md5, sha = hashlib.md5(), hashlib.sha256()
    for i in range(0, len(data), CHUNK):
        md5.update(data[i:i + CHUNK])
        sha.update(data[i:i + CHUNK])


def _md5_and_sha256_threads(data: memoryview) -> None:
    workers = [threading.Thread(target=_digest(name), args=(data,)) for name in ("md5", "sha256")]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def _crc(update: Callable[[memoryview, int], int]) -> Callable[[memoryview], None]:
    def run(data: memoryview) -> None:
        value = 0
        for i in range(0, len(data), CHUNK):
            value = update(data[i:i + CHUNK], value)
    return run


ALGORITHMS: dict[str, Callable[[memoryview], None]] = {
    "md5": _digest("md5"),
    "sha256": _digest("sha256"),
    "md5+sha256 (1 thread)": _md5_and_sha256,
    "md5+sha256 (2 threads)": _md5_and_sha256_threads,
    "crc32 (zlib)": _crc(zlib.crc32),
    "crc32c (awscrt)": _crc(checksums.crc32c),
    "crc64nvme (awscrt)": _crc(checksums.crc64nvme),
}


def throughput(size: int, repeats: int = 3) -> dict[str, float]:
    """MB/s (10^6 bytes) of each algorithm over ``size`` random bytes, median of ``repeats``."""
    data = memoryview(os.urandom(size))
    results = {}
    for name, run in ALGORITHMS.items():
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            run(data)
            times.append(time.perf_counter() - started)
        results[name] = size / statistics.median(times) / 1e6
    return results
