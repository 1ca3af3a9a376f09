"""Signed HTTP to the upstream S3: addressing, SigV4 with the upstream's credentials, errors.

The gateway's users never sign anything that goes upstream: every request is re-signed here
with the upstream credentials (given, or from the AWS credential chain), using the same SigV4
helpers the gateway verifies with, except an anonymous caller's (``UNSIGNED_CALLER``), which
goes out unsigned. Requests and responses stream; every non-2xx answer becomes
an ``S3Error`` and every transport failure a 503 that names the upstream.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx

from gateway.wire import xml
from gateway.wire.errors import Code, S3Error
from gateway.wire.sigv4 import sign
from storage_backends.base import UNSIGNED_CALLER
from storage_backends.s3client import errors

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_ERROR_BODY = 64 * 1024
CONNECT_TIMEOUT = 10.0
# Not signed: hop-by-hop or set by the HTTP library.
_UNSIGNED = frozenset({"content-length", "user-agent", "expect", "connection", "accept-encoding"})

Query = Mapping[str, str]
Content = bytes | AsyncIterator[bytes]


@dataclass(frozen=True, slots=True)
class UpstreamConfig:
    """Where the upstream is and how to talk to it (``--upstream-*``)."""

    endpoint: str
    region: str = "us-east-1"
    access_key: str | None = None
    secret_key: str | None = None
    addressing_style: str = "path"  # or "virtual": bucket.host
    ca_bundle: str | None = None
    insecure: bool = False
    timeout: float = 60.0


@dataclass(frozen=True, slots=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str | None = None


CredentialSource = Callable[[], Credentials]


def credential_source(config: UpstreamConfig) -> CredentialSource:
    """The given keys, else the AWS credential chain (env, profile files, container/instance roles)."""
    if config.access_key and config.secret_key:
        fixed = Credentials(config.access_key, config.secret_key)
        return lambda: fixed
    try:
        import botocore.session  # only needed for the credential chain
    except ImportError:
        raise RuntimeError("no upstream credentials: set --upstream-access-key and --upstream-secret-key, "
                           "or install botocore to use the AWS credential chain") from None
    chain = botocore.session.get_session().get_credentials()
    if chain is None:
        raise RuntimeError("no upstream credentials: set --upstream-access-key and --upstream-secret-key, or "
                           "configure the AWS credential chain (AWS_ACCESS_KEY_ID, ~/.aws/credentials, a role)")

    def current() -> Credentials:  # refreshable (role) credentials renew themselves here
        frozen = chain.get_frozen_credentials()
        return Credentials(frozen.access_key, frozen.secret_key, frozen.token)

    return current


def object_path(key: str) -> str:
    """A key as a URL path: percent-encoded, with ``.``/``..`` segments encoded so no HTTP library
    resolves them (S3 keys are names, not paths)."""
    segments = quote(key, safe="/~").split("/")
    return "/".join(s.replace(".", "%2E") if s in (".", "..") else s for s in segments)


def query_string(query: Query) -> str:
    """Sorted and encoded; a sub-resource with no value (``?uploads``) goes out bare."""
    return "&".join(quote(k, safe="~") + (f"={quote(v, safe='~')}" if v else "") for k, v in sorted(query.items()))


def _tls(config: UpstreamConfig) -> ssl.SSLContext | bool:
    if config.insecure:
        return False
    if config.ca_bundle:
        return ssl.create_default_context(cafile=config.ca_bundle)
    return True


def _latin1(value: str) -> bytes:
    """Header values travel as latin-1 both ways (as the gateway receives and sends them)."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


class UpstreamClient:
    def __init__(self, config: UpstreamConfig, credentials: CredentialSource) -> None:
        parts = urlsplit(config.endpoint)
        self.endpoint = f"{parts.scheme}://{parts.netloc}"
        self._config = config
        self._credentials = credentials
        self._scheme = parts.scheme
        self._netloc = parts.netloc  # exactly as configured: the Host header httpx sends
        self._http = httpx.AsyncClient(
            verify=_tls(config),
            timeout=httpx.Timeout(config.timeout, connect=min(config.timeout, CONNECT_TIMEOUT)),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=32),
            headers={"accept-encoding": "identity"},  # bodies are passed through as stored, never decoded
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def _target(self, bucket: str | None, key: str | None) -> tuple[str, str]:
        """(Host, raw path) for path or virtual-hosted addressing.

        Connections always go to the endpoint's own address; virtual-hosted style only puts the bucket
        in the Host header, so no wildcard DNS is needed for ``bucket.host``.
        """
        path = "/" + object_path(key) if key is not None else "/"
        if bucket is None:
            return self._netloc, "/"
        if self._config.addressing_style == "virtual":
            return f"{bucket}.{self._netloc}", path
        return self._netloc, f"/{bucket}" + (path if key is not None else "")

    def _sign(self, method: str, raw_path: str, query: str, headers: dict[str, str], payload_hash: str) -> None:
        creds = self._credentials()
        headers["x-amz-content-sha256"] = payload_hash
        if creds.token:
            headers["x-amz-security-token"] = creds.token
        signed = {name: value for name, value in headers.items() if name not in _UNSIGNED}
        sign(method, raw_path, query, signed, payload_hash, access_key=creds.access_key, secret_key=creds.secret_key,
             region=self._config.region, service="s3")
        headers["x-amz-date"], headers["authorization"] = signed["x-amz-date"], signed["authorization"]

    async def send(self, method: str, bucket: str | None = None, key: str | None = None, *,
                   query: Query | None = None, headers: Mapping[str, str] | None = None,
                   content: Content = b"", length: int | None = None, payload_hash: str | None = None,
                   missing: Code = Code.NoSuchKey) -> httpx.Response:
        """Send a signed request; returns the streaming 2xx response (the caller closes it).

        ``content`` is bytes (signed by its SHA-256) or an async iterator sent with ``length`` as its
        Content-Length (``UNSIGNED-PAYLOAD`` unless ``payload_hash`` says otherwise). ``missing`` is
        the error a bodiless 404 (HEAD) stands for.
        """
        host, raw_path = self._target(bucket, key)
        qs = query_string(query or {})
        out = {name.lower(): value for name, value in (headers or {}).items()}
        out["host"] = host
        if isinstance(content, bytes):
            payload_hash = payload_hash or hashlib.sha256(content).hexdigest()
            if content or method in ("PUT", "POST"):
                out["content-length"] = str(len(content))
        else:
            payload_hash = payload_hash or UNSIGNED_PAYLOAD
            if length is not None:
                out["content-length"] = str(length)
        if UNSIGNED_CALLER.get():  # an anonymous caller's request: the upstream judges it as anonymous
            out["x-amz-content-sha256"] = payload_hash
        else:
            self._sign(method, raw_path, qs, out, payload_hash)
        url = httpx.URL(f"{self._scheme}://{self._netloc}").copy_with(
            raw_path=(raw_path + ("?" + qs if qs else "")).encode())
        request = self._http.build_request(method, url, headers=[(k.encode(), _latin1(v)) for k, v in out.items()],
                                           content=content)
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise errors.unreachable(self.endpoint, exc) from None
        if response.status_code < 300:
            return response
        try:
            body = await self._read_limited(response, MAX_ERROR_BODY)
        finally:
            await response.aclose()
        raise errors.from_response(response.status_code, response_headers(response), body, missing)

    async def request(self, method: str, bucket: str | None = None, key: str | None = None, *,
                      query: Query | None = None, headers: Mapping[str, str] | None = None, content: bytes = b"",
                      missing: Code = Code.NoSuchKey) -> tuple[dict[str, str], bytes]:
        """A request whose answer is small (headers and an XML document, or nothing): read whole."""
        response = await self.send(method, bucket, key, query=query, headers=headers, content=content,
                                   missing=missing)
        try:
            body = await self._read_limited(response, xml.MAX_DOCUMENT)
        finally:
            await response.aclose()
        return response_headers(response), body

    async def _read_limited(self, response: httpx.Response, limit: int) -> bytes:
        data = bytearray()
        try:
            async for chunk in response.aiter_raw():
                data += chunk
                if len(data) > limit:
                    raise errors.bad_answer(self.endpoint, f"a document larger than {limit} bytes")
        except httpx.TransportError as exc:
            raise errors.unreachable(self.endpoint, exc) from None
        return bytes(data)

    def document(self, body: bytes, root: str) -> xml.Element:
        """Parse an upstream XML answer; an ``<Error>`` inside a 200 (failed copy/completion) is raised.

        The root element's name is not checked: implementations differ (moto's ListParts answer is a
        ``ListPartsResponse``) and SDKs ignore it too; its children are what count.
        """
        try:
            doc = xml.parse(body)
        except S3Error:
            raise errors.bad_answer(self.endpoint, f"expected a {root} document") from None
        if xml.local(doc) == "Error":
            raise errors.from_document(doc, 200)
        return doc


def response_headers(response: httpx.Response) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in response.headers.raw}
