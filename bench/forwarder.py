"""1 GiB through the upstream backend vs. straight to its upstream, in one run.

Starts an upstream s3gate (local backend, its own credentials) and a forwarding gateway in front
of it, then moves the same file with boto3's transfer manager four times: upload and download
through the forwarder, upload and download directly. Prints MB/s for each and the forwarder's
peak RSS (VmHWM), and fails if that reaches the limit::

    .venv/bin/python -m bench.forwarder [--size-mib 1024] [--rss-limit-mb 200]
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from boto3.s3.transfer import TransferConfig

from tests.harness.clients import UPSTREAM_ACCESS_KEY, UPSTREAM_SECRET_KEY, make_client
from tests.harness.files import file_md5, write_random_file
from tests.harness.servers import Server, upstream_args

MiB = 1024 * 1024


def timed(action: str, size: int, run: Callable[[], object]) -> float:
    began = time.monotonic()
    run()
    rate = size / MiB / (time.monotonic() - began)
    print(f"  {action:<28} {rate:8.1f} MB/s", flush=True)
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rss-limit-mb", type=float, default=200.0)
    args = parser.parse_args()
    size = args.size_mib * MiB
    config = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=8)
    with tempfile.TemporaryDirectory(prefix="s3gate-bench-") as tmp:
        root = Path(tmp)
        source, copy = root / "source.bin", root / "copy.bin"
        digest = write_random_file(source, size)
        upstream = Server(root / "upstream", env={"S3GATE_ACCESS_KEY": UPSTREAM_ACCESS_KEY,
                                                  "S3GATE_SECRET_KEY": UPSTREAM_SECRET_KEY}).start()
        forwarder = Server(root / "forwarder", args=upstream_args(upstream.endpoint)).start()
        try:
            through = make_client(forwarder.endpoint)
            direct = make_client(upstream.endpoint, access_key=UPSTREAM_ACCESS_KEY, secret_key=UPSTREAM_SECRET_KEY)
            through.create_bucket(Bucket="bench")
            print(f"{args.size_mib} MiB, boto3 transfer manager (8 MiB parts, 8 threads), loopback, "
                  f"{os.cpu_count()} cores", flush=True)
            rates = {}
            for name, client, key in (("forwarder", through, "via-forwarder"), ("direct", direct, "direct")):
                rates[f"upload {name}"] = timed(f"upload   {name}", size, functools.partial(
                    client.upload_file, str(source), "bench", key, Config=config))
                rates[f"download {name}"] = timed(f"download {name}", size, functools.partial(
                    client.download_file, "bench", key, str(copy), Config=config))
                if file_md5(copy) != digest:
                    print(f"  download {name}: content differs", file=sys.stderr)
                    return 1
            peak = forwarder.peak_rss_mb()
            print(f"  forwarder/direct            upload {rates['upload forwarder'] / rates['upload direct']:.0%}, "
                  f"download {rates['download forwarder'] / rates['download direct']:.0%}")
            print(f"  forwarder peak RSS (VmHWM)  {peak:8.1f} MB (limit {args.rss_limit_mb:.0f})")
            return 0 if peak < args.rss_limit_mb else 1
        finally:
            forwarder.stop()
            upstream.stop()


if __name__ == "__main__":
    sys.exit(main())
