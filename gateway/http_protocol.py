"""uvicorn's httptools protocol, with a shutdown that does not wait on idle TLS clients.

On shutdown uvicorn closes idle keep-alive connections. Over TLS a close is a close_notify
exchange, and an SDK's pooled connection does not read until its next request, so the server
sat out the 30-second TLS shutdown timeout for each such client before it could exit. An idle
connection has nothing in flight to lose: over TLS it is aborted (the client reconnects on its
next request, as after any server restart); plain TCP connections still get a normal close.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class Protocol(HttpToolsProtocol):
    def shutdown(self) -> None:
        idle = self.cycle is None or self.cycle.response_complete
        if idle and self.transport.get_extra_info("ssl_object") is not None:
            self.transport.abort()
        else:
            super().shutdown()
