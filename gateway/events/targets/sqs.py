"""``sqs+http://HOST:PORT/ACCOUNT/QUEUE`` (or ``sqs+https://``): SendMessage to an SQS-compatible endpoint.

So code written for S3 -> SQS on AWS runs unchanged against moto's or LocalStack's SQS. The
request is SQS's JSON protocol (``AmazonSQS.SendMessage``), signed SigV4 for service ``sqs`` with
the signing math the gateway verifies with (``gateway.wire.sigv4``). Credentials: the URL's
``KEY:SECRET@`` if given, else ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``; region: ``?region=``
(default us-east-1). Delivered once SQS answered 200 with a MessageId.
"""

from __future__ import annotations

import hashlib
import json
import os
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx

from gateway.events.targets import DeliveryError, EventInfo
from gateway.wire.sigv4 import sign

TIMEOUT_S = 10.0


class SqsTarget:
    def __init__(self, name: str, url: str) -> None:
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if not parts.hostname or len(segments) != 2:
            raise ValueError(f"notification target {name!r}: an SQS URL looks like "
                             f"sqs+http://HOST:PORT/ACCOUNT/QUEUE, got {url!r}")
        query = dict(parse_qsl(parts.query))
        self.name, self.url = name, url
        self._region = query.get("region", "us-east-1")
        self._access_key = unquote(parts.username) if parts.username else os.environ.get("AWS_ACCESS_KEY_ID", "")
        self._secret_key = unquote(parts.password) if parts.password else \
            os.environ.get("AWS_SECRET_ACCESS_KEY", "")
        if not self._access_key or not self._secret_key:
            raise ValueError(f"notification target {name!r}: SQS needs credentials: KEY:SECRET@ in the URL or "
                             "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")
        scheme = parts.scheme.removeprefix("sqs+")
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        self._host = host
        self._endpoint = f"{scheme}://{host}/"
        self._queue_url = f"{scheme}://{host}/{segments[0]}/{segments[1]}"
        self._client: httpx.AsyncClient | None = None

    async def deliver(self, message: bytes, event: EventInfo) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=TIMEOUT_S, limits=httpx.Limits(max_connections=32))
        body = json.dumps({"QueueUrl": self._queue_url, "MessageBody": message.decode("utf-8")}).encode()
        payload_hash = hashlib.sha256(body).hexdigest()
        headers = {"host": self._host, "content-type": "application/x-amz-json-1.0",
                   "x-amz-target": "AmazonSQS.SendMessage", "x-amz-content-sha256": payload_hash}
        sign("POST", "/", "", headers, payload_hash, access_key=self._access_key, secret_key=self._secret_key,
             region=self._region, service="sqs")
        try:
            response = await self._client.post(self._endpoint, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"SQS {self._queue_url}: {exc.__class__.__name__}: {exc}") from None
        if response.status_code != 200 or "MessageId" not in response.text:
            raise DeliveryError(f"SQS {self._queue_url}: HTTP {response.status_code}: {response.text[:300]}")

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def open(name: str, url: str) -> SqsTarget:  # noqa: A001 - the module protocol's name
    return SqsTarget(name, url)
