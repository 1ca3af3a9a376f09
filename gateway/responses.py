"""Responses: one small type, its ASGI sender, and the single place errors become XML.

Bodies are either bytes or an :class:`~storage_backends.base.ObjectStream` that is streamed
chunk by chunk with its exact Content-Length and always closed, even if the client leaves.
"""

from __future__ import annotations

import base64
import logging
import os
import re
from collections.abc import AsyncIterator
from typing import Any, Protocol

from gateway.wire import xml
from gateway.wire.documents.error import render_error
from gateway.wire.errors import S3Error
from gateway.wire.headers import http_date as http_date  # re-exported for the handlers
from gateway.wire.headers import quote_etag as quote_etag

log = logging.getLogger("s3gate")


class _Stream(Protocol):
    def __aiter__(self) -> AsyncIterator[bytes]: ...
    async def aclose(self) -> None: ...


class Response:
    __slots__ = ("status", "headers", "body", "stream", "length", "error_code")

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None, body: bytes = b"",
                 stream: _Stream | None = None, length: int | None = None) -> None:
        self.status = status
        self.headers = headers if headers is not None else {}
        self.body = body
        self.stream = stream
        self.length = length if length is not None or stream is not None else len(body)
        self.error_code: str | None = None  # an error response's S3 code (for the observers)


def xml_response(root: xml.Element, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    merged = {"content-type": "application/xml"}
    if headers:
        merged.update(headers)
    return Response(status, merged, xml.render(root))


def new_request_id() -> str:
    return os.urandom(8).hex().upper()


def host_id(request_id: str) -> str:
    """The x-amz-id-2 of a request (events carry it too)."""
    return base64.b64encode(request_id.encode() * 3).decode()


def id_headers(request_id: str) -> list[tuple[bytes, bytes]]:
    """What every answer carries, errors included: its request ids and the server's name."""
    return [
        (b"x-amz-request-id", request_id.encode()),
        (b"x-amz-id-2", host_id(request_id).encode()),
        (b"server", b"s3gate"),
    ]


def error_document(err: S3Error, resource: str | None, request_id: str) -> bytes:
    return xml.render(render_error(err, resource, request_id))


def error_response(err: S3Error, resource: str, request_id: str, method: str) -> Response:
    headers = dict(err.headers)
    if method == "HEAD" or err.status == 304:
        response = Response(err.status, headers)  # HEAD answers carry no body, errors included
    else:
        headers["content-type"] = "application/xml"
        response = Response(err.status, headers, error_document(err, resource, request_id))
    response.error_code = err.code
    return response


async def send(send_fn: Any, response: Response, method: str, common: list[tuple[bytes, bytes]]) -> None:
    """Write ``response``; the stream (if any) is closed whatever happens."""
    raw = list(common)
    for name, value in response.headers.items():
        raw.append((name.encode("latin-1"), _header_value(value)))
    if response.status not in (204, 304) and response.length is not None:
        raw.append((b"content-length", str(response.length).encode()))
    stream = response.stream
    try:
        await send_fn({"type": "http.response.start", "status": response.status, "headers": raw})
        if stream is None or method == "HEAD":
            await send_fn({"type": "http.response.body", "body": b"" if method == "HEAD" else response.body})
            return
        async for chunk in stream:
            await send_fn({"type": "http.response.body", "body": chunk, "more_body": True})
        await send_fn({"type": "http.response.body", "body": b""})
    finally:
        if stream is not None:
            await stream.aclose()


_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def _header_value(value: str) -> bytes:
    """Header values go out as latin-1; control characters (never valid on the wire) become spaces."""
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:
        raw = value.encode("utf-8")
    return _CONTROL.sub(b" ", raw)
