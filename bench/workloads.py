"""The workloads: each runs against one server for one round and returns plain metrics.

Units: ops/s, milliseconds, seconds, MB/s and MB with MB = 10^6 bytes (as for the hash rates,
so PUT MB/s and MD5 MB/s compare directly).
"""

from __future__ import annotations

import html
import os
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from boto3.s3.transfer import TransferConfig

from bench import bigbucket, rawload
from bench.authz_load import AuthzBench
from bench.load import run_wrk
from bench.peers import Peer, RssSampler, Running, cpu_seconds
from bench.s3 import boto_client, connection, put_many, request, stream_get, stream_put

MiB = 1 << 20
SMALL_SIZE = 4096
BUCKET, LIST_BUCKET, BIG_BUCKET = "bench", "list", "big"
SSE_BUCKET = "bench-sse"  # s3gate only: SSE-S3 default encryption (BUCKET has none: legacy bucket defaults)
FOLDERS_BUCKET, BIG_FOLDERS_BUCKET = "folders", "folders-big"
PAGE = 1000
FIRST_PUT_RATE = 10_000.0  # ops/s assumed before a server's PUT rate is known (sizes the URL pool)
MAX_PUT_URLS = 60_000  # ~5 s of presigning; only nginx goes faster and then overwrites (counted as wraps)
TOKEN = re.compile(rb"<NextContinuationToken>([^<]*)</NextContinuationToken>")
Metrics = dict[str, float]


@dataclass(frozen=True)
class Sizes:
    duration_s: float
    small_objects: int
    list_keys: int
    big_list_keys: int
    single_bytes: int
    multipart_bytes: int
    hash_bytes: int
    part_bytes: int = 8 * MiB
    page_repeats: int = 10
    folders: int = 1000  # users/<id>/ folders in the folder buckets (list_keys and big_list_keys keys)


FULL = Sizes(duration_s=4, small_objects=1000, list_keys=10_000, big_list_keys=1_000_000,
             single_bytes=256 * MiB, multipart_bytes=1024 * MiB, hash_bytes=256 * MiB)
QUICK = Sizes(duration_s=2, small_objects=200, list_keys=2_000, big_list_keys=20_000,
              single_bytes=32 * MiB, multipart_bytes=64 * MiB, hash_bytes=64 * MiB, page_repeats=5, folders=100)


def is_s3gate(server: Running) -> bool:
    return server.name.startswith("s3gate")


@dataclass
class Bench:
    """What the workloads share: sizes, scratch space, presigned pools, data files."""

    sizes: Sizes
    workroot: Path
    small_paths: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (server, method)
    put_rates: dict[tuple[str, int], float] = field(default_factory=dict)  # (server, concurrency)
    files: dict[int, Path] = field(default_factory=dict)
    authz: AuthzBench | None = None  # the authz workload's IAM user and buckets (s3gate only)

    def data_file(self, size: int) -> Path:
        """Random bytes (a 16 MiB block repeated; no server here dedups or compresses)."""
        if size not in self.files:
            path = self.workroot / f"data-{size}"
            block = os.urandom(min(size, 16 * MiB))
            with open(path, "wb") as f:
                for offset in range(0, size, len(block)):
                    f.write(block[:size - offset])
            self.files[size] = path
        return self.files[size]

    def prepare(self, server: Running, listing: bool, folders: bool = False) -> None:
        """Buckets, the 4 KiB objects that GET/HEAD cycle through and, for listing, the filled buckets."""
        conn = connection(server.endpoint)
        keys = [f"obj/{i:06d}" for i in range(self.sizes.small_objects)]
        if server.peer.s3:
            request(conn, "PUT", server.presigner.path("PUT", BUCKET))
        put_many(server.endpoint, [server.presigner.path("PUT", BUCKET, k) for k in keys], os.urandom(SMALL_SIZE))
        for method in ("GET", "HEAD"):
            self.small_paths[server.name, method] = [server.presigner.path(method, BUCKET, k) for k in keys]
        if is_s3gate(server):  # the same objects again, sealed: what SSE-S3 costs (bucket default encryption)
            request(conn, "PUT", server.presigner.path("PUT", SSE_BUCKET))
            client = boto_client(server.endpoint)
            client.put_bucket_encryption(Bucket=SSE_BUCKET, ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
            client.close()
            put_many(server.endpoint, [server.presigner.path("PUT", SSE_BUCKET, k) for k in keys],
                     os.urandom(SMALL_SIZE))
            self.small_paths[server.name, "GET-sse"] = [server.presigner.path("GET", SSE_BUCKET, k) for k in keys]
        if listing and server.peer.s3:
            request(conn, "PUT", server.presigner.path("PUT", LIST_BUCKET))
            put_many(server.endpoint, [server.presigner.path("PUT", LIST_BUCKET, f"k/{i:07d}")
                                       for i in range(self.sizes.list_keys)], b"")
            if is_s3gate(server):
                request(conn, "PUT", server.presigner.path("PUT", BIG_BUCKET))
                bigbucket.fill(server.metadata, BIG_BUCKET, self.sizes.big_list_keys)
        conn.close()
        if folders and server.peer.s3:
            self._prepare_folders(server)

    def _prepare_folders(self, server: Running) -> None:
        """users/<id>/<photo>.jpg: list_keys of them through the API; for s3gate also big_list_keys
        objects and as many uploads in progress, written into its catalog. A connection of its own: one
        left idle through a long fill (a million rows into PostgreSQL) has been closed by the server."""
        sizes = self.sizes
        conn = connection(server.endpoint)
        request(conn, "PUT", server.presigner.path("PUT", FOLDERS_BUCKET))
        name = bigbucket.folder_key(sizes.list_keys // sizes.folders)
        put_many(server.endpoint, [server.presigner.path("PUT", FOLDERS_BUCKET, name(i))
                                   for i in range(sizes.list_keys)], b"")
        if is_s3gate(server):
            request(conn, "PUT", server.presigner.path("PUT", BIG_FOLDERS_BUCKET))
        conn.close()
        if is_s3gate(server):
            db, big = server.metadata, bigbucket.folder_key(sizes.big_list_keys // sizes.folders)
            bigbucket.fill(db, BIG_FOLDERS_BUCKET, sizes.big_list_keys, big)
            bigbucket.fill_uploads(db, BIG_FOLDERS_BUCKET, sizes.big_list_keys, big)


def small(bench: Bench, server: Running, method: str, concurrency: int, round_no: int, sse: bool = False
          ) -> Metrics:
    """4 KiB GET/HEAD of existing objects or PUT to fresh keys; wrk, or the raw client for HEAD.
    ``sse``: GET and PUT in s3gate's SSE-S3 bucket.

    ``cpu_us`` is the server's CPU time per request (all its processes and threads): where ops/s
    depend on what else the machine runs, this does much less."""
    bucket, pool = (SSE_BUCKET, f"{method}-sse") if sse else (BUCKET, method)
    duration = bench.sizes.duration_s
    pids = server.pids()
    cpu_before = cpu_seconds(pids)
    if method == "HEAD":
        result = rawload.run_raw(server.endpoint, "HEAD", bench.small_paths[server.name, "HEAD"], concurrency,
                                 duration)
    elif method == "GET":
        result = run_wrk(server.endpoint, "GET", bench.small_paths[server.name, pool], 0, concurrency, duration,
                         str(bench.workroot))
    else:
        rate = bench.put_rates.get((server.name, concurrency), FIRST_PUT_RATE)
        count = min(MAX_PUT_URLS, max(2000, int(1.5 * rate * duration)))
        paths = [server.presigner.path("PUT", bucket, f"put/r{round_no}c{concurrency}/{i:07d}")
                 for i in range(count)]
        result = run_wrk(server.endpoint, "PUT", paths, SMALL_SIZE, concurrency, duration, str(bench.workroot))
        bench.put_rates[server.name, concurrency] = max(result.ops_s, 1.0)
    cpu_us = (cpu_seconds(pids) - cpu_before) / max(result.requests, 1) * 1e6
    return {**{k: float(v) for k, v in result.as_dict().items()}, "cpu_us": cpu_us}


def raw_get(bench: Bench, server: Running, round_no: int) -> Metrics:
    """GET at concurrency 16 through the raw client, to compare the two generators."""
    result = rawload.run_raw(server.endpoint, "GET", bench.small_paths[server.name, "GET"], 16,
                             bench.sizes.duration_s)
    return {"ops_s": result.ops_s, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms}


def _page_ms(server: Running, bucket: str, params: dict[str, str], repeats: int, *, version: str = "2",
             shows: tuple[bytes, int] | None = None) -> float:
    """Median ms of a listing page (ListObjectsV2 unless ``params`` name another listing); ``shows`` =
    (element, n): the page must hold n of that element (checked on the first answer)."""
    conn = connection(server.endpoint)
    times = []
    for i in range(repeats):
        query = {"list-type": version, "max-keys": str(PAGE), **params} if version else params
        path = server.presigner.path("GET", bucket, params=query)
        started = time.perf_counter()
        _, body = request(conn, "GET", path)
        times.append(time.perf_counter() - started)
        if i == 0 and shows and body.count(shows[0]) != shows[1]:
            raise RuntimeError(f"{bucket} {params}: {body.count(shows[0])} {shows[0]!r}, expected {shows[1]}")
    conn.close()
    return statistics.median(times) * 1000


def _walk(server: Running, bucket: str) -> tuple[float, int]:
    """Every page of ListObjectsV2 in order; (seconds, keys seen)."""
    conn = connection(server.endpoint)
    keys, token = 0, ""
    started = time.perf_counter()
    while True:
        params = {"list-type": "2", "max-keys": str(PAGE)}
        if token:
            params["continuation-token"] = token
        _, body = request(conn, "GET", server.presigner.path("GET", bucket, params=params))
        keys += body.count(b"<Key>")
        match = TOKEN.search(body)
        if match is None:
            break
        token = html.unescape(match.group(1).decode())
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, keys


def listing(bench: Bench, server: Running, round_no: int) -> Metrics:
    walk_s, keys = _walk(server, LIST_BUCKET)
    if keys != bench.sizes.list_keys:
        raise RuntimeError(f"listed {keys} keys, expected {bench.sizes.list_keys}")
    return {"first_page_ms": _page_ms(server, LIST_BUCKET, {}, bench.sizes.page_repeats), "walk_s": walk_s}


def big_listing(bench: Bench, server: Running, round_no: int) -> Metrics:
    """s3gate only: first page and a page from the middle of the 1,000,000-key bucket; the full walk
    (a thousand pages) in the first round only, to keep the run short."""
    repeats = bench.sizes.page_repeats
    middle = bigbucket.key_name(bench.sizes.big_list_keys // 2)
    metrics = {"first_page_ms": _page_ms(server, BIG_BUCKET, {}, repeats),
               "middle_page_ms": _page_ms(server, BIG_BUCKET, {"start-after": middle}, repeats)}
    if round_no == 0:
        walk_s, keys = _walk(server, BIG_BUCKET)
        if keys != bench.sizes.big_list_keys:
            raise RuntimeError(f"listed {keys} keys, expected {bench.sizes.big_list_keys}")
        metrics["walk_s"] = walk_s
    return metrics


FOLDER_VIEW = {"prefix": "users/", "delimiter": "/"}
ONE_FOLDER = {"prefix": "users/0050/", "delimiter": "/"}
COMMON = b"<CommonPrefixes>"


def folders(bench: Bench, server: Running, round_no: int) -> Metrics:
    """A photo app's folder view over list_keys keys: ListObjectsV2 ``Prefix=users/ Delimiter=/`` (every
    user's folder as a common prefix, up to 1,000) and one user's folder."""
    sizes, repeats = bench.sizes, bench.sizes.page_repeats
    return {"prefixes_ms": _page_ms(server, FOLDERS_BUCKET, FOLDER_VIEW, repeats,
                                    shows=(COMMON, min(sizes.folders, PAGE))),
            "folder_ms": _page_ms(server, FOLDERS_BUCKET, ONE_FOLDER, repeats,
                                  shows=(b"<Key>", sizes.list_keys // sizes.folders))}


def big_folders(bench: Bench, server: Running, round_no: int) -> Metrics:
    """s3gate only: the folder view over big_list_keys keys, a page of 100 prefixes, one user's folder, and
    the same common prefixes from ListObjectVersions and ListMultipartUploads (as many uploads in progress)."""
    sizes, repeats = bench.sizes, bench.sizes.page_repeats
    n, per = min(sizes.folders, PAGE), sizes.big_list_keys // sizes.folders
    bucket = BIG_FOLDERS_BUCKET
    return {
        "prefixes_ms": _page_ms(server, bucket, FOLDER_VIEW, repeats, shows=(COMMON, n)),
        "prefixes_100_ms": _page_ms(server, bucket, {**FOLDER_VIEW, "max-keys": "100"}, repeats,
                                    shows=(COMMON, min(n, 100))),
        "folder_ms": _page_ms(server, bucket, ONE_FOLDER, repeats, shows=(b"<Key>", min(per, PAGE))),
        "versions_prefixes_ms": _page_ms(server, bucket, {"versions": "", **FOLDER_VIEW}, repeats, version="",
                                         shows=(COMMON, n)),
        "uploads_prefixes_ms": _page_ms(server, bucket, {"uploads": "", **FOLDER_VIEW}, repeats, version="",
                                        shows=(COMMON, n)),
    }


def single(bench: Bench, server: Running, round_no: int, sse: bool = False) -> Metrics:
    """One large PUT then GET through presigned URLs, streamed by the raw client (``sse``: into
    s3gate's SSE-S3 bucket, sealed as it is written and opened as it is read)."""
    size = bench.sizes.single_bytes
    source = bench.data_file(size)
    bucket = SSE_BUCKET if sse else BUCKET
    key = f"single/{round_no}"

    def upload() -> None:
        stream_put(server.endpoint, server.presigner.path("PUT", bucket, key), str(source), size)

    metrics = _put_then_get(server, key, size, upload, bucket=bucket)
    request(connection(server.endpoint), "DELETE", server.presigner.path("DELETE", bucket, key), expect=(200, 204))
    return metrics


def boto_single(bench: Bench, server: Running, round_no: int) -> Metrics:
    """One large put_object and get_object through boto3 with its default checksums: over HTTPS
    an aws-chunked body with a CRC32 trailer, over HTTP a signed payload (SHA-256) with the CRC32
    in a header. The GET is not checksummed by the client, so it measures the transfer."""
    size = bench.sizes.single_bytes
    source = bench.data_file(size)
    key = f"boto/{round_no}"
    client = boto_client(server.endpoint, response_checksum_validation="when_required")

    def upload() -> None:
        with open(source, "rb") as body:
            client.put_object(Bucket=BUCKET, Key=key, Body=body)

    def download() -> int:
        return sum(len(chunk) for chunk in client.get_object(Bucket=BUCKET, Key=key)["Body"].iter_chunks(MiB))

    metrics = _put_then_get(server, key, size, upload, download)
    client.delete_object(Bucket=BUCKET, Key=key)
    client.close()
    return metrics


HTTPS_SMALL = (("GET", 1), ("PUT", 1), ("GET", 16), ("PUT", 16))


def https_set(bench: Bench, server: Running, round_no: int) -> Metrics:
    """What the ``https`` workload measures on an s3gate and, back to back, on its HTTPS twin: 4 KiB
    GET/PUT (wrk), a large PUT/GET through the raw client and through boto3."""
    metrics: Metrics = {}
    for method, concurrency in HTTPS_SMALL:
        got = small(bench, server, method, concurrency, 1000 + round_no)  # keys apart from the small workload's
        metrics.update({f"{method.lower()}_c{concurrency}_{k}": got[k] for k in ("ops_s", "p50_ms", "p99_ms")})
    for prefix, run in (("raw", single), ("boto", boto_single)):
        metrics.update({f"{prefix}_{k}": v for k, v in run(bench, server, round_no).items()})
    return metrics


def multipart(bench: Bench, server: Running, round_no: int) -> Metrics:
    """boto3's managed upload (8 MiB parts, 4 at a time), then a streamed GET of the object."""
    size, part = bench.sizes.multipart_bytes, bench.sizes.part_bytes
    source = bench.data_file(size)
    key = f"multipart/{round_no}"
    client = boto_client(server.endpoint, max_pool=8)
    config = TransferConfig(multipart_threshold=part, multipart_chunksize=part, max_concurrency=4, use_threads=True)
    metrics = _put_then_get(server, key, size, lambda: client.upload_file(str(source), BUCKET, key, Config=config))
    client.delete_object(Bucket=BUCKET, Key=key)
    client.close()
    return metrics


def _put_then_get(server: Running, key: str, size: int, upload: Callable[[], object],
                  download: Callable[[], int] | None = None, bucket: str = BUCKET) -> Metrics:
    """Time ``upload`` and a GET of ``key`` (``download``, else streamed by the raw client), sampling
    the server's memory through each and counting the CPU seconds its processes spend on the PUT
    (and, of those, their main threads: for s3gate, the event loops)."""
    cpu, loop_cpu = cpu_seconds(server.pids()), cpu_seconds(server.pids(), main_threads=True)
    with RssSampler(server) as put_rss:
        started = time.perf_counter()
        upload()
        put_s = time.perf_counter() - started
    put_cpu = cpu_seconds(server.pids()) - cpu
    put_loop_cpu = cpu_seconds(server.pids(), main_threads=True) - loop_cpu
    with RssSampler(server) as get_rss:
        started = time.perf_counter()
        got = download() if download else stream_get(server.endpoint, server.presigner.path("GET", bucket, key))
        get_s = time.perf_counter() - started
    if got != size:
        raise RuntimeError(f"GET returned {got} bytes, expected {size}")
    return {"put_mbs": size / put_s / 1e6, "get_mbs": size / get_s / 1e6, "put_cpu_s": put_cpu,
            "put_loop_cpu_s": put_loop_cpu,
            "rss_put_mb": put_rss.peak_total / 1e6, "rss_get_mb": get_rss.peak_total / 1e6,
            "pss_put_mb": put_rss.peak_pss / 1e6, "pss_get_mb": get_rss.peak_pss / 1e6,
            "rss_process_mb": max(put_rss.peak_process, get_rss.peak_process) / 1e6}


def cold_start(peer: Peer, workroot: Path) -> Metrics:
    """A fresh server on an empty data dir: seconds to the first 200, and its idle RSS."""
    server = Running(peer, str(workroot))
    try:
        with RssSampler(server) as rss:
            pass
        return {"cold_start_s": server.cold_start_s, "idle_rss_mb": rss.peak_total / 1e6,
                "idle_pss_mb": rss.peak_pss / 1e6}
    finally:
        server.stop()
