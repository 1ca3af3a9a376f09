"""One lifecycle pass over a bucket of 1,000,000 versions (issue: "under a minute").

The versions are generated straight into the metadata store (not one HTTP call each):
100,000 keys x 10 versions in a versioned bucket, every version but the latest noncurrent.
The rule keeps the current version and the 2 newest noncurrent ones, so the pass expires
700,000 versions. Run: ``python -m bench.lifecycle_million [--keys N --versions V]``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from gateway.wire.lifecycle_rules import Configuration, Filter, Rule
from storage_backends.catalog.dialects import open_catalog
from storage_backends.catalog.sql import buckets, objects
from storage_backends.catalog.store import Tx
from storage_backends.local.backend import LocalBackend

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


async def generate(db: str, keys: int, versions: int) -> None:
    now = int(time.time() * 1000)

    def rows() -> Iterator[tuple[object, ...]]:
        for k in range(keys):
            key = f"photos/{k:07d}.jpg"
            for v in range(versions):
                latest = v == versions - 1
                yield ("million", key, f"v{k:07d}{v:03d}".ljust(32, "x"), int(latest), 0, EMPTY_MD5,
                       now - (versions - v) * 1000, "STANDARD", "owner", None,
                       None if latest else now - (versions - v - 1) * 1000)

    config = Configuration((Rule("trim", True, Filter(prefix="photos/"), noncurrent_days=1,
                                 newer_noncurrent_versions=2),))

    def seed(tx: Tx) -> None:
        buckets.create(tx, "million", "us-east-1", "owner")
        buckets.set_versioning(tx, "million", "Enabled")
        buckets.put_config(tx, "million", "lifecycle", config.to_json())
        objects.bulk_insert(tx, rows())

    catalog = open_catalog("sqlite", db)
    try:
        await catalog.write(seed)
    finally:
        await catalog.aclose()


async def measure(data_dir: Path, keys: int, versions: int) -> None:
    backend = LocalBackend(data_dir)
    await backend.start()  # creates the schema
    await backend.aclose()
    started = time.perf_counter()
    await generate(str(data_dir / "metadata.db"), keys, versions)
    print(f"generated {keys * versions:,} versions in {time.perf_counter() - started:.1f} s")
    backend = LocalBackend(data_dir)
    await backend.start()
    try:
        started = time.perf_counter()
        report = await backend.run_lifecycle(advance_days=2)
        elapsed = time.perf_counter() - started
        left = await backend._cat.count_versions("million")
        print(f"lifecycle pass: {elapsed:.1f} s, expired {report['noncurrent_expired']:,} noncurrent versions, "
              f"{left:,} versions left")
        started = time.perf_counter()
        report = await backend.run_lifecycle()
        print(f"second pass (nothing due): {(time.perf_counter() - started) * 1000:.0f} ms, "
              f"expired {report['noncurrent_expired']}")
    finally:
        await backend.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--versions", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="s3gate-lc-") as tmp:
        asyncio.run(measure(Path(tmp), args.keys, args.versions))


if __name__ == "__main__":
    main()
