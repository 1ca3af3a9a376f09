"""S3 plumbing for the load generators: presigned URLs, a boto3 client, raw keep-alive HTTP.

Requests are presigned with botocore's SigV4 query signer (the same code path as
``generate_presigned_url(..., signature_version='s3v4')`` without its per-call event hooks, so a
pool of 100,000 URLs takes seconds, not minutes). Sending them is left to clients that cost the
server's CPU as little as possible: wrk, or ``http.client`` connections reused per thread.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import boto3
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REGION = "us-east-1"
EXPIRES_S = 6 * 3600
IO_BLOCK = 1 << 20
PUT_OK = (200, 201, 204)  # S3, and nginx's WebDAV (201 created, 204 replaced)


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    access_key: str
    secret_key: str
    ca_file: str | None = None  # HTTPS, trusting this certificate (the bench's self-signed one)

    @property
    def base(self) -> str:
        return f"{'https' if self.ca_file else 'http'}://{self.host}:{self.port}"


class Presigner:
    """Path-style presigned URLs for one endpoint; ``path()`` is what goes on the request line."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._auth = S3SigV4QueryAuth(Credentials(endpoint.access_key, endpoint.secret_key), "s3", REGION,
                                      expires=EXPIRES_S)

    def url(self, method: str, bucket: str = "", key: str = "", params: Mapping[str, str] | None = None) -> str:
        path = "/" + bucket + ("/" + quote(key, safe="/~") if key else "")
        url = self.endpoint.base + path
        if params:
            url += "?" + urlencode(params, quote_via=quote, safe="~")
        request = AWSRequest(method=method, url=url)
        self._auth.add_auth(request)
        return str(request.prepare().url)

    def path(self, method: str, bucket: str = "", key: str = "", params: Mapping[str, str] | None = None) -> str:
        parts = urlsplit(self.url(method, bucket, key, params))
        return f"{parts.path}?{parts.query}"


def boto_client(endpoint: Endpoint, max_pool: int = 16, **config: Any) -> Any:
    options = Config(signature_version="s3v4", s3={"addressing_style": "path"}, max_pool_connections=max_pool,
                     retries={"max_attempts": 2, "mode": "standard"}, **config)
    return boto3.client("s3", endpoint_url=endpoint.base, aws_access_key_id=endpoint.access_key,
                        aws_secret_access_key=endpoint.secret_key, region_name=REGION, config=options,
                        verify=endpoint.ca_file or True)


class HttpError(RuntimeError):
    pass


def connection(endpoint: Endpoint, timeout: float = 300.0) -> http.client.HTTPConnection:
    if endpoint.ca_file:
        return http.client.HTTPSConnection(endpoint.host, endpoint.port, timeout=timeout, blocksize=IO_BLOCK,
                                           context=ssl.create_default_context(cafile=endpoint.ca_file))
    return http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=timeout, blocksize=IO_BLOCK)


def request(conn: http.client.HTTPConnection, method: str, path: str, body: Any = None,
            headers: Mapping[str, str] | None = None, expect: Iterable[int] = (200,)) -> tuple[int, bytes]:
    """One request on a kept-alive connection; raises on an unexpected status."""
    conn.request(method, path, body=body, headers=dict(headers or {}))
    response = conn.getresponse()
    data = response.read()
    if response.status not in expect:
        raise HttpError(f"{method} {path.split('?')[0]} -> {response.status}: {data[:300]!r}")
    return response.status, data


def put_many(endpoint: Endpoint, paths: list[str], body: bytes, concurrency: int = 16) -> None:
    """PUT ``body`` to every presigned path, ``concurrency`` kept-alive connections at a time."""
    local = threading.local()

    def put(path: str) -> None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = connection(endpoint)
        request(conn, "PUT", path, body=body, headers={"Content-Length": str(len(body))}, expect=PUT_OK)

    with ThreadPoolExecutor(concurrency) as pool:
        for _ in pool.map(put, paths):
            pass


def stream_put(endpoint: Endpoint, path: str, file_path: str, size: int) -> None:
    """PUT a file without holding it in memory (1 MiB sends from the page cache)."""
    conn = connection(endpoint)
    try:
        with open(file_path, "rb") as body:
            request(conn, "PUT", path, body=body, headers={"Content-Length": str(size)}, expect=PUT_OK)
    finally:
        conn.close()


def stream_get(endpoint: Endpoint, path: str) -> int:
    """GET into one reused 1 MiB buffer and drop the bytes; returns how many arrived."""
    conn = connection(endpoint)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        if response.status != 200:
            raise HttpError(f"GET {path.split('?')[0]} -> {response.status}: {response.read()[:300]!r}")
        buffer = memoryview(bytearray(IO_BLOCK))
        total = 0
        while n := response.readinto(buffer):
            total += n
        return total
    finally:
        conn.close()
