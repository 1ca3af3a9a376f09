"""uvicorn's httptools protocol, with S3's answer to bytes that are no HTTP request, and a shutdown
that does not wait on idle TLS clients.

Malformed requests. With keep-alive, bytes after a request's body start the next request, so a
body longer than its Content-Length leaves its tail to be parsed as one. uvicorn answers a parse
error with a text/plain 400 the moment it sees it, ahead of (and cutting off, as it closes the
connection) the answer to the valid request before it, whose upload may well have been stored.
Here the requests before the bytes are answered first, as they would be on S3 (which reads
exactly Content-Length bytes: a short-counted body with a Content-MD5 gets BadDigest), and the
bytes themselves get S3's XML error for an unparseable request, then the connection closes.
Pipelined requests that parse are untouched; a request broken inside its own body (bad chunked
framing) is refused at once, as before, since its handler waits for a body that cannot come.

Shutdown. uvicorn closes idle keep-alive connections. Over TLS a close is a close_notify
exchange, and an SDK's pooled connection does not read until its next request, so the server
sat out the 30-second TLS shutdown timeout for each such client before it could exit. An idle
connection has nothing in flight to lose: over TLS it is aborted (the client reconnects on its
next request, as after any server restart); plain TCP connections still get a normal close.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from gateway import responses
from gateway.payload import BLOCK
from gateway.wire.errors import Code, S3Error

# What S3 is reported to answer to bytes it cannot parse as a request.
UNPARSEABLE = S3Error(Code.BadRequest, "An error occurred when parsing the HTTP request.")


class Protocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        """uvicorn's only answer to a parse error (it has logged ``msg``); nothing else calls it."""
        last = self.cycle  # the last request whose headers were parsed
        if last is None or last.response_complete:
            self._refuse_unparseable()
        elif last.more_body:  # the error is in this request's own body: it cannot be completed
            if last.response_started:
                self.transport.close()  # an error written now would land inside its answer
            else:
                self._refuse_unparseable()
        else:
            # Requests before the bytes are still being answered: refuse them after the last.
            def after_last() -> None:
                self.on_response_complete()
                self._refuse_unparseable()

            last.on_response = after_last

    def _refuse_unparseable(self) -> None:
        if self.transport.is_closing():  # the last answer closed the connection (Connection: close)
            return
        request_id = responses.new_request_id()
        body = responses.error_document(UNPARSEABLE, None, request_id)
        headers = [*self.server_state.default_headers, *responses.id_headers(request_id),
                   (b"content-type", b"application/xml"), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]
        head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        self.transport.write(STATUS_LINE[UNPARSEABLE.status] + head + b"\r\n" + body)
        self.transport.close()

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
