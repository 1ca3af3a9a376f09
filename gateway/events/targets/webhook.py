"""``http://`` / ``https://``: POST the event JSON; any 2xx is delivered.

``?secret=S`` (taken out of the URL that is posted to) adds ``X-S3gate-Signature: sha256=<hex>``,
the HMAC-SHA256 of the body under S, so the receiver can tell the gateway's events from anyone's.
httpx is already the upstream backend's client: one pooled, keep-alive client per target.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from gateway.events.targets import DeliveryError, EventInfo

SIGNATURE_HEADER = "x-s3gate-signature"
TIMEOUT_S = 10.0


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Webhook:
    def __init__(self, name: str, url: str) -> None:
        parts = urlsplit(url)
        if not parts.hostname:
            raise ValueError(f"notification target {name!r}: a webhook URL needs a host, got {url!r}")
        query = parse_qsl(parts.query, keep_blank_values=True)
        secrets = [v for k, v in query if k == "secret"]
        self.name, self.url = name, url
        self._secret = secrets[0] if secrets else None
        self._post_to = urlunsplit((parts.scheme, parts.netloc, parts.path or "/",
                                    urlencode([(k, v) for k, v in query if k != "secret"]), ""))
        self._client: httpx.AsyncClient | None = None

    async def deliver(self, message: bytes, event: EventInfo) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=TIMEOUT_S, limits=httpx.Limits(max_connections=64))
        headers = {"content-type": "application/json", "x-s3gate-event-id": event.event_id}
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = signature(self._secret, message)
        try:
            response = await self._client.post(self._post_to, content=message, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"POST {self._post_to}: {exc.__class__.__name__}: {exc}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"POST {self._post_to}: HTTP {response.status_code}")

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def open(name: str, url: str) -> Webhook:  # noqa: A001 - the module protocol's name
    return Webhook(name, url)
