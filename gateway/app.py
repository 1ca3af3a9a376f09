"""The ASGI application: one request flows one way.

    parse (path- or virtual-host-style) -> authenticate (before the body is read)
    -> resolve the operation from the table -> handler (calls the backend)
    -> response; any S3Error, or any other exception as InternalError, rendered in one place.
"""

from __future__ import annotations

import base64
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

from gateway import cors, responses
from gateway.auth import authenticate
from gateway.context import Context, Directory
from gateway.operations import resolve
from gateway.request import parse_request
from gateway.settings import Settings, settings_from_env
from gateway.wire.errors import Code, S3Error
from storage_backends.base import Backend
from storage_backends.loader import load_backend

log = logging.getLogger("s3gate")

Scope = dict[str, Any]
# Unauthenticated liveness probe (see operations.ADMIN_BUCKET for the rest of /_s3gate/).
HEALTH_PATH = "/_s3gate/health"


class S3App:
    def __init__(self, settings: Settings, backend: Backend | None = None) -> None:
        self.settings = settings
        self.users = Directory.from_settings(settings)
        self.backend = backend if backend is not None else \
            load_backend(settings, owner_id=self.users.by_access_key[settings.access_key].canonical_id)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await self.handle(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self.lifespan(receive, send)

    async def lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.backend.start()
                except Exception as exc:  # noqa: BLE001 - reported to the server, which exits
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.backend.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def handle(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["path"] == HEALTH_PATH and scope["method"] in ("GET", "HEAD"):
            await responses.send(send, responses.Response(200, {"content-type": "text/plain"}, b"ok\n"),
                                 scope["method"], [])
            return
        body = _BodyTracker(receive, scope)
        receive = body.receive
        request_id = os.urandom(8).hex().upper()
        method: str = scope["method"]
        resource = scope.get("path", "/")
        req = None
        try:
            req = parse_request(scope, self.settings.domains, request_id)
            resource = req.resource
            now = datetime.now(UTC)
            operation = resolve(req)
            principal = authenticate(req, self.users.by_access_key, now) if operation.auth else None
            ctx = Context(req, principal, self.backend, self.settings, self.users, receive, now)
            response = await operation.handler(ctx)
        except S3Error as err:
            response = responses.error_response(err, resource, request_id, method)
        except Exception:  # noqa: BLE001 - the client gets InternalError, the log gets the traceback
            log.exception("internal error on %s %s (request %s)", method, resource, request_id)
            response = responses.error_response(S3Error(Code.InternalError), resource, request_id, method)
        origin = req.headers.get("origin") if req is not None else None
        if origin and method != "OPTIONS" and req is not None:
            await cors.apply(self.backend, req.bucket, origin, method, response)
        common = [
            (b"x-amz-request-id", request_id.encode()),
            (b"x-amz-id-2", base64.b64encode(request_id.encode() * 3)),
            (b"server", b"s3gate"),
        ]
        if body.unread:
            # The client may still send (or, after Expect: 100-continue, never send) the rest of a
            # body we did not read: the connection cannot carry another request.
            common.append((b"connection", b"close"))
        try:
            await responses.send(send, response, method, common)
        except Exception:  # noqa: BLE001 - headers are out; all we can do is drop the connection
            log.warning("response to %s %s aborted (request %s)", method, resource, request_id, exc_info=True)
            raise


class _BodyTracker:
    """Knows whether the request body has been read to its end."""

    __slots__ = ("_receive", "unread")

    def __init__(self, receive: Any, scope: Scope) -> None:
        self._receive = receive
        self.unread = False
        for name, value in scope["headers"]:
            if (name == b"content-length" and value != b"0") or name == b"transfer-encoding":
                self.unread = True

    async def receive(self) -> Any:
        message = await self._receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.unread = False
        return message


def create_app() -> S3App:
    """ASGI factory for uvicorn (each worker process builds its app from ``S3GATE_*``)."""
    # The metadata writer thread wakes from every fsync needing the GIL; the default 5 ms switch
    # interval lets the busy event loop keep it that long, which caps commits per second.
    sys.setswitchinterval(0.0005)
    return S3App(settings_from_env())
