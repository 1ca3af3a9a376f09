"""Streaming ``multipart/form-data`` for browser POST uploads.

The fields before the file are small and read into memory (capped); the file part is then
handed out as an async stream straight from the socket, never spooled; S3 ignores whatever
follows the file. python-multipart does the parsing: it is a push parser with callbacks, so
each socket chunk is fed in and the events it produced are handled in order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import Message

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser

from gateway.wire.errors import Code, S3Error

MAX_FIELD_BYTES = 64 * 1024  # a policy document is the largest field a browser form sends
MAX_FIELDS_BYTES = 1024 * 1024


def _malformed(detail: str) -> S3Error:
    return S3Error(Code.MalformedPOSTRequest, f"The body of your POST request is not well-formed "
                   f"multipart/form-data: {detail}.")


def boundary_of(content_type: str) -> bytes:
    message = Message()
    message["content-type"] = content_type
    boundary = message.get_param("boundary")
    if message.get_content_type() != "multipart/form-data" or not isinstance(boundary, str) or not boundary:
        raise _malformed("no multipart boundary")
    return boundary.encode("latin-1")


@dataclass(slots=True)
class Part:
    name: str = ""
    filename: str | None = None
    content_type: str | None = None
    _headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    def finish_headers(self) -> None:
        for raw_name, raw_value in self._headers:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("utf-8", "replace")
            if name == "content-disposition":
                message = Message()
                message["content-disposition"] = value
                self.name = str(message.get_param("name", header="content-disposition") or "")
                filename = message.get_param("filename", header="content-disposition")
                self.filename = str(filename) if filename is not None else None
            elif name == "content-type":
                self.content_type = value


class FormReader:
    """Reads fields until the part named ``file``, then streams that part's bytes."""

    def __init__(self, source: AsyncIterator[bytes], boundary: bytes) -> None:
        self._source = source
        self._events: deque[tuple[str, bytes]] = deque()
        self._header_field = b""
        self._header_value = b""
        self._done = False

        def data(kind: str) -> object:
            return lambda buf, start, end: self._events.append((kind, bytes(buf[start:end])))

        def event(kind: str) -> object:
            return lambda: self._events.append((kind, b""))

        self._parser = MultipartParser(boundary, callbacks={  # type: ignore[arg-type]
            "on_part_begin": event("part_begin"),
            "on_part_data": data("data"),
            "on_part_end": event("part_end"),
            "on_header_field": data("header_field"),
            "on_header_value": data("header_value"),
            "on_header_end": event("header_end"),
            "on_headers_finished": event("headers_done"),
            "on_end": event("end"),
        })

    async def _next(self) -> tuple[str, bytes]:
        while not self._events:
            if self._done:
                raise _malformed("the form ended early")
            try:
                chunk = await anext(self._source)
            except StopAsyncIteration:
                self._done = True
                continue
            try:
                self._parser.write(chunk)
            except MultipartParseError as exc:
                raise _malformed(str(exc)) from None
        return self._events.popleft()

    async def fields(self) -> tuple[dict[str, str], Part | None]:
        """Form fields (names lower-cased) up to the file part, and the file part's headers."""
        fields: dict[str, str] = {}
        total = 0
        part: Part | None = None
        value = bytearray()
        while True:
            kind, data = await self._next()
            if kind == "part_begin":
                part, value = Part(), bytearray()
            elif kind == "header_field" and part is not None:
                self._header_field += data
            elif kind == "header_value" and part is not None:
                self._header_value += data
            elif kind == "header_end" and part is not None:
                part._headers.append((self._header_field, self._header_value))
                self._header_field = self._header_value = b""
            elif kind == "headers_done" and part is not None:
                part.finish_headers()
                if part.name.lower() == "file":
                    return fields, part
            elif kind == "data":
                value += data
                total += len(data)
                if len(value) > MAX_FIELD_BYTES or total > MAX_FIELDS_BYTES:
                    raise S3Error(Code.MaxMessageLengthExceeded, "Your POST form fields are too large.")
            elif kind == "part_end" and part is not None:
                fields.setdefault(part.name.lower(), value.decode("utf-8", "replace"))
                part = None
            elif kind == "end":
                return fields, None

    async def file(self) -> AsyncIterator[bytes]:
        """The file part's bytes; what follows it in the form is read and ignored."""
        while True:
            kind, data = await self._next()
            if kind == "data":
                if data:
                    yield data
            elif kind == "part_end":
                break
        while not self._done:
            try:
                await self._next()
            except S3Error:
                return
