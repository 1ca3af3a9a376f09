"""uvicorn's httptools protocol, with S3's answers to what is no acceptable request (bytes that do not
parse, a header section over 8 KiB, a head that does not arrive in time, a connection over the cap),
and a shutdown that does not wait on idle TLS clients. Every request goes through here: the
additions cost a few attribute checks per read, and a count only for a head that may be over 8 KiB.

Malformed requests. With keep-alive, bytes after a request's body start the next request, so a
body longer than its Content-Length leaves its tail to be parsed as one. uvicorn answers a parse
error with a text/plain 400 the moment it sees it, ahead of (and cutting off, as it closes the
connection) the answer to the valid request before it, whose upload may well have been stored.
Here the requests before the bytes are answered first, as they would be on S3 (which reads
exactly Content-Length bytes: a short-counted body with a Content-MD5 gets BadDigest), and the
bytes themselves get S3's XML error for an unparseable request, then the connection closes.
Pipelined requests that parse are untouched; a request broken inside its own body (bad chunked
framing) is refused at once, as before, since its handler waits for a body that cannot come.
The other refusals below take the same way out, and each ends in a lingering close: the answer,
then EOF, then what the client still sends is read and dropped for up to LINGER_S seconds, since
closing a socket with unread input resets it, and a reset can destroy the answer unread.

Header section. S3 refuses a request line plus headers over 8 KiB with 400
RequestHeaderSectionTooLarge, before authentication. httptools has no limit (it buffers a header
line until it ends), so the size is counted here: exactly when the head is complete (the request
line and each header as ``Name: value`` CRLF), and, while a head is still arriving, as the bytes
read for it, so that a header line that never ends is refused once 8 KiB of it has come.

Slow heads. uvicorn bounds the silence between requests (``timeout_keep_alive``), not the time a
request takes to deliver its head: a client sending a header line every few seconds held its
socket forever. A new connection must deliver its first head, and a request whose first bytes came
on an idle connection the rest of its head, within ``header_timeout`` seconds; otherwise the
connection is closed (after a 400 RequestTimeout if part of a request came). No deadline runs
while a request is in flight, so a client pipelining behind a long download is not cut off. The
keep-alive timeout and this one are one deadline per connection, which one timer follows lazily:
uvicorn made and cancelled a timer per request, which cost more than the counting above.

Connection cap. Past ``max_connections`` open connections (per worker) a new connection is
answered 503 SlowDown, which SDKs retry with backoff, and closed at once: it costs no parsing.
uvicorn's ``limit_concurrency`` is not used: it counts connections and tasks together, answers only
once a request head has been read (so it never refuses an idle or slow socket, and slow sockets that
fill it turn away the clients that do send requests), and in text/plain.

Shutdown. uvicorn closes idle keep-alive connections. Over TLS a close is a close_notify
exchange, and an SDK's pooled connection does not read until its next request, so the server
sat out the 30-second TLS shutdown timeout for each such client before it could exit. An idle
connection has nothing in flight to lose: over TLS it is aborted (the client reconnects on its
next request, as after any server restart); plain TCP connections still get a normal close.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from gateway import responses
from gateway.limits import MAX_HEADER_SECTION
from gateway.payload import BLOCK
from gateway.wire.errors import Code, S3Error

# What S3 is reported to answer to bytes it cannot parse as a request.
UNPARSEABLE = S3Error(Code.BadRequest, "An error occurred when parsing the HTTP request.")
TOO_LARGE = S3Error(Code.RequestHeaderSectionTooLarge, MaxSizeAllowed=str(MAX_HEADER_SECTION))
TIMED_OUT = S3Error(Code.RequestTimeout)
OVER_CAPACITY = S3Error(Code.SlowDown)
# A head still arriving may hold the blank line's CR beyond its counted lines.
MAX_PARTIAL_HEAD = MAX_HEADER_SECTION + 2
REQUEST_LINE_EXTRA = len(b"  HTTP/1.1\r\n")  # around the method and the target
HEADER_LINE_EXTRA = len(b": \r\n")
WARN_EVERY_S = 10.0
LINGER_S = 2.0

log = logging.getLogger("s3gate")


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a request that has been refused."""


class _OverCapacity:
    """Counts connections refused over the cap; warns at most once per WARN_EVERY_S seconds."""

    refused = 0
    warned_at = -WARN_EVERY_S

    @classmethod
    def note(cls, limit: int) -> None:
        cls.refused += 1
        now = time.monotonic()
        if now - cls.warned_at >= WARN_EVERY_S:
            log.warning("%d connection(s) refused with 503 SlowDown: this worker has its --max-connections "
                        "(%d) open", cls.refused, limit)
            cls.refused, cls.warned_at = 0, now


class Protocol(HttpToolsProtocol):
    max_connections = 4096  # set by configured()
    header_timeout = 20.0
    open_connections = 0  # in this process (the metrics read it): kept on this class, not configured()'s

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Bytes read for the request head now arriving (0 between requests, None while a body is read);
        # a head that began inside the read which ended the last request has up to _spill more.
        self._head: int | None = 0
        self._spill = 0
        self._read = 0  # the length of the read being parsed
        # When the connection is closed unless a request is in flight by then (None: one is); the
        # timer, once armed, stays so and moves itself on to the deadline it finds.
        self._deadline: float | None = None
        self._idle = False  # the deadline is the keep-alive timeout's, not a head's
        self._timer: asyncio.TimerHandle | None = None
        self._refusing = False  # an error answer is written or due: nothing more is read

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        Protocol.open_connections += 1
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            _OverCapacity.note(self.max_connections)
            self._refuse_after_answers(OVER_CAPACITY)
        else:
            self._set_deadline(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        Protocol.open_connections -= 1
        self._deadline = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """uvicorn's, plus the head's byte count and deadline (its parse-error handling is repeated here
        so that a refusal raised from a callback is not logged and answered as a parse error)."""
        if self._refusing:
            return
        self._read = len(data)
        if self._head is not None:  # every byte up to the end of the head belongs to it
            self._head += self._read
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if not isinstance(exc.__context__, _Refused):
                self._parse_error()
            return
        except httptools.HttpParserError:
            self._parse_error()
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._head:  # part of a head came and not its end
            if self._head > MAX_PARTIAL_HEAD:
                self._refuse_after_answers(TOO_LARGE)
            elif self._idle and self._deadline is not None:  # its first bytes, on an idle connection
                self._idle = False
                self._set_deadline(self.header_timeout)

    def on_headers_complete(self) -> None:
        self._deadline = None
        # The bytes read for the head bound its size as counted here, but for the space a client may
        # leave out after each colon: only a head that may be over the limit is counted.
        if (self._head or 0) + self._spill + len(self.headers) > MAX_HEADER_SECTION:
            self._check_head_size()
        self._head = None
        super().on_headers_complete()

    def _check_head_size(self) -> None:
        headers, method = self.headers, self.parser.get_method()
        size = (len(method) + len(self.url) + REQUEST_LINE_EXTRA + HEADER_LINE_EXTRA * len(headers)
                + sum(len(name) + len(value) for name, value in headers))
        if size > MAX_HEADER_SECTION:
            self._refuse_after_answers(TOO_LARGE, with_body=method != b"HEAD")
            raise _Refused

    def on_message_complete(self) -> None:
        """uvicorn's (repeated rather than called: this runs per request), and the next head's count begins."""
        self._head, self._spill = 0, self._read
        cycle = self.cycle
        if (self.parser.should_upgrade() and self._should_upgrade()) or cycle.response_complete:
            return
        cycle.more_body = False
        cycle.message_event.set()

    def on_response_complete(self) -> None:
        """uvicorn's, with its keep-alive timeout kept as a deadline: a timer made and cancelled per
        request cost more than this module's additions to the request's parsing."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        else:
            self._idle = True
            self._set_deadline(self.timeout_keep_alive)

    def _set_deadline(self, seconds: float) -> None:
        self._deadline = deadline = self.loop.time() + seconds
        if self._timer is None or deadline < self._timer.when():
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self.loop.call_at(deadline, self._deadline_reached)

    def _deadline_reached(self) -> None:
        """The keep-alive timeout of an idle connection, or the head timeout of a new one or of a head
        begun on an idle one: closed, after a 400 RequestTimeout if part of a request came."""
        self._timer = None
        if self._deadline is None or self.transport.is_closing():
            return
        if self.loop.time() < self._deadline:  # moved on since the timer was set
            self._timer = self.loop.call_at(self._deadline, self._deadline_reached)
        elif self._head:
            self._refuse_after_answers(TIMED_OUT)
        else:
            self.transport.close()

    def _parse_error(self) -> None:
        """In place of uvicorn's text/plain 400 (``send_400_response``), which is then never called."""
        self.logger.warning("Invalid HTTP request received.")
        self._refuse_after_answers(UNPARSEABLE)

    def _refuse_after_answers(self, err: S3Error, with_body: bool = True) -> None:
        """Answer ``err`` and close, after the answers to the requests already read."""
        if self._refusing:
            return
        self._refusing = True
        self._deadline = None
        last = self.cycle  # the last request whose headers were parsed
        if last is None or last.response_complete:
            self._refuse(err, with_body)
        elif last.more_body:  # the error is in this request's own body: it cannot be completed
            if last.response_started:
                self.transport.close()  # an error written now would land inside its answer
            else:
                self._refuse(err, with_body)
        else:
            # Requests before the bytes are still being answered: refuse them after the last.
            def after_last() -> None:
                self.on_response_complete()
                self._refuse(err, with_body)

            last.on_response = after_last

    def _refuse(self, err: S3Error, with_body: bool = True) -> None:
        if self.transport.is_closing():  # the last answer closed the connection (Connection: close)
            return
        request_id = responses.new_request_id()
        body = responses.error_document(err, None, request_id) if with_body else b""
        headers = [*self.server_state.default_headers, *responses.id_headers(request_id),
                   (b"content-type", b"application/xml"), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]
        head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        self.transport.write(STATUS_LINE[err.status] + head + b"\r\n" + body)
        if not self.transport.can_write_eof():  # TLS
            self.transport.close()
            return
        self.transport.write_eof()  # a lingering close: what the client still sends is dropped unread
        self.flow.resume_reading()
        self.loop.call_later(LINGER_S, self.transport.close)

    def on_body(self, body: bytes) -> None:
        """uvicorn's, minus two copies of every byte and most pauses: it appends each piece to a
        bytearray that ``receive()`` then copies into bytes, and stops reading the socket above
        64 KiB. Here the pieces wait in a list that ``receive()``'s ``bytes()`` joins (no copy for
        a lone piece), and reading goes on up to a digest block, so a block is joined only once."""
        cycle = self.cycle
        if (self.parser.should_upgrade() and self._should_upgrade()) or cycle.response_complete:
            return
        if not cycle.body:
            cycle.body = _Pieces()  # type: ignore[assignment]
        pieces: _Pieces = cycle.body  # type: ignore[assignment]
        pieces.add(body)
        if len(pieces) >= BLOCK:
            self.flow.pause_reading()
        cycle.message_event.set()

    def shutdown(self) -> None:
        idle = self.cycle is None or self.cycle.response_complete
        if idle and self.transport.get_extra_info("ssl_object") is not None:
            self.transport.abort()
        else:
            super().shutdown()

    def _unsupported_upgrade_warning(self) -> None:
        """An ``Upgrade`` request (S3 has none: ``ws`` is off) is answered as plain HTTP, which RFC 9110
        allows; the parser reads nothing after it, so the connection closes after that answer."""
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False
        else:
            self.transport.close()


class _Pieces:
    """A request's body pieces received since the last ``receive()``, which takes ``bytes()`` of them."""

    __slots__ = ("_pieces", "_size")

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self._size = 0

    def add(self, piece: bytes) -> None:
        self._pieces.append(piece)
        self._size += len(piece)

    def __len__(self) -> int:
        return self._size

    def __bytes__(self) -> bytes:
        return self._pieces[0] if len(self._pieces) == 1 else b"".join(self._pieces)


def configured(max_connections: int, header_timeout: float) -> type[Protocol]:
    """The protocol class with these limits (uvicorn makes one instance per connection from it)."""
    return type("Protocol", (Protocol,), {"max_connections": max_connections, "header_timeout": header_timeout})
