"""Hand-made S3 requests for what SDKs never send: tampered signatures, signed aws-chunked
bodies, virtual-host addressing without DNS, SigV2; and reading raw-socket replies. Signing is
botocore's (an independent implementation of SigV4/SigV2); chunk signatures follow the AWS spec
directly.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import socket
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from botocore.auth import HmacV1Auth, HmacV1QueryAuth, S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.harness.clients import ACCESS_KEY, SECRET_KEY

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class _V4(S3SigV4Auth):
    def __init__(self, credentials: Credentials, region: str, payload_hash: str | None) -> None:
        super().__init__(credentials, "s3", region)
        self._payload_hash = payload_hash

    def payload(self, request: AWSRequest) -> str:
        return self._payload_hash or super().payload(request)


def sign_v4(method: str, url: str, *, headers: dict[str, str] | None = None, body: bytes = b"",
            payload_hash: str | None = None, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
            region: str = "us-east-1") -> dict[str, str]:
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    _V4(Credentials(access_key, secret_key), region, payload_hash).add_auth(req)
    return dict(req.headers.items())


def presign_v4(method: str, url: str, *, expires: int = 3600, headers: dict[str, str] | None = None,
               access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY, region: str = "us-east-1") -> str:
    req = AWSRequest(method=method, url=url, headers=dict(headers or {}))
    S3SigV4QueryAuth(Credentials(access_key, secret_key), "s3", region, expires=expires).add_auth(req)
    return str(req.url)


class _V2(HmacV1Auth):
    """botocore's SigV2 header signer, with a ``Date`` of the caller's choosing."""

    def __init__(self, credentials: Credentials, date: str | None) -> None:
        super().__init__(credentials)
        self._date = date

    def _get_date(self) -> str:
        return self._date if self._date is not None else super()._get_date()


def sign_v2(method: str, url: str, *, headers: dict[str, str] | None = None, secret_key: str = SECRET_KEY,
            date: str | None = None, auth_path: str | None = None) -> dict[str, str]:
    """``auth_path`` is the resource signed when it is not the URL's path (botocore's own
    clients sign ``/bucket/`` for a bucket, whatever the addressing style)."""
    req = AWSRequest(method=method, url=url, headers=dict(headers or {}), auth_path=auth_path)
    _V2(Credentials(ACCESS_KEY, secret_key), date).add_auth(req)
    return dict(req.headers.items())


def presign_v2(method: str, url: str, *, expires: int = 3600, auth_path: str | None = None) -> str:
    req = AWSRequest(method=method, url=url, auth_path=auth_path)
    HmacV1QueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), expires=expires).add_auth(req)
    return str(req.url)


def send(method: str, url: str, *, headers: dict[str, str] | None = None, body: bytes = b"",
         connect_to: str | None = None, verify: str | bool = True) -> httpx.Response:
    """Send as-is. ``connect_to`` ("127.0.0.1:port") reaches a host name that has no DNS entry."""
    target = url
    if connect_to is not None:
        parts = urlsplit(url)
        target = parts._replace(netloc=connect_to).geturl()
        headers = {**(headers or {}), "Host": parts.netloc}
    with httpx.Client(verify=verify, timeout=30) as client:
        return client.request(method, target, headers=headers, content=body)


# -- aws-chunked (SigV4 streaming) -------------------------------------------------------------
def _signing_key(secret: str, day: str, region: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (day, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signed_chunks(headers: dict[str, str], chunks: list[bytes], *, trailer: tuple[str, str] | None = None,
                  tamper: int | None = None, region: str = "us-east-1") -> bytes:
    """An aws-chunked body whose chunk signatures chain from the request signature in ``headers``."""
    seed = headers["Authorization"].rsplit("Signature=", 1)[1]
    amz_date = headers["X-Amz-Date"]
    scope = f"{amz_date[:8]}/{region}/s3/aws4_request"
    key = _signing_key(SECRET_KEY, amz_date[:8], region)
    previous = seed
    out = bytearray()
    for i, data in enumerate([*chunks, b""]):
        sts = "\n".join(("AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, EMPTY_SHA256,
                         hashlib.sha256(data).hexdigest()))
        signature = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        previous = signature
        if tamper == i:
            data = bytes([data[0] ^ 1]) + data[1:]
        out += f"{len(data):x};chunk-signature={signature}\r\n".encode() + data
        out += b"\r\n" if data else b""
    if trailer is not None:
        line = f"{trailer[0]}:{trailer[1]}\n"
        sts = "\n".join(("AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous,
                         hashlib.sha256(line.encode()).hexdigest()))
        trailer_sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        out += f"{trailer[0]}:{trailer[1]}\r\nx-amz-trailer-signature:{trailer_sig}\r\n".encode()
    out += b"\r\n"
    return bytes(out)


def unsigned_chunks(chunks: list[bytes], trailer: tuple[str, str]) -> bytes:
    out = bytearray()
    for data in chunks:
        out += f"{len(data):x}\r\n".encode() + data + b"\r\n"
    out += f"0\r\n{trailer[0]}:{trailer[1]}\r\n\r\n".encode()
    return bytes(out)


def amz_now() -> datetime:
    return datetime.now(UTC)


def signed(server: object, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b"",
           payload_hash: str | None = None) -> httpx.Response:
    """A SigV4-signed request to a live ``tests.harness.servers.Server``."""
    url = server.endpoint + path  # type: ignore[attr-defined]
    signed_headers = sign_v4(method, url, headers=headers, body=body, payload_hash=payload_hash)
    return send(method, url, headers=signed_headers, body=body,
                verify=server.ca_path or True)  # type: ignore[attr-defined]


def read_reply(sock: socket.socket, data: bytes = b"") -> bytes:
    """Until a final (non-100) response is complete: the headers and Content-Length bytes of body."""
    while True:
        end = data.rfind(b"\r\n\r\n")
        if end >= 0 and not data[data.rfind(b"HTTP/1.1 ", 0, end):].startswith(b"HTTP/1.1 100"):
            length = re.search(rb"(?i)content-length: (\d+)", data[:end])
            if length is None or len(data) >= end + 4 + int(length.group(1)):
                return data
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def read_replies(sock: socket.socket, wait: float = 5.0) -> tuple[list[tuple[int, dict[str, str], bytes]], bool]:
    """Every response on ``sock`` (Content-Length framed) as (status, headers, body), and whether the
    server closed the connection (rather than keeping it open for ``wait`` seconds of silence)."""
    sock.settimeout(wait)
    data, closed = b"", False
    while not closed:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        closed = not chunk
        data += chunk
    replies = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in lines)}
        length = int(headers.get("content-length", "0"))
        replies.append((int(status_line.split()[1]), headers, rest[:length]))
        data = rest[length:]
    return replies, closed
