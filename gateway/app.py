"""The ASGI application: a choice of front doors, then one door's pipeline.

    /_s3gate/health         -> health: 200 and JSON (free space, reserves, whether writes are refused),
                               unauthenticated (load balancers, compose)
    /_s3gate/metrics        -> metrics: Prometheus text, for the root, a bearer token or anyone (``observe.scrape``)
    /_s3gate, /_s3gate/...  -> admin: s3gate's own endpoints, signed like S3 (``operations.ADMIN``)
    /  signed for iam/sts   -> Query API: the IAM API subset, STS GetCallerIdentity, SNS's topic actions
       /sns                    (``gateway.iam.door``, ``gateway.sns``);
       (or an unsigned Query API call: ``Action=``, a form POST)
    anything else           -> S3: parse -> resolve -> authenticate -> authorize -> handle -> CORS -> send
    the --website-port      -> website: static websites from buckets (``gateway.website.door``)

Each door's steps are listed in ``gateway.pipeline`` (the website's in ``gateway.website.door``, the
metrics door's here). Finished requests go to the observers (``gateway.observe``): the metrics' tally,
the access log, bucket access logging and the usage accounting.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from typing import Any

from gateway import http_protocol, pipeline, responses
from gateway.credentials import CredentialsDirectory
from gateway.iam.signing import is_iam_request
from gateway.observe.access_log import AccessLog
from gateway.observe.flusher import Flusher
from gateway.observe.metrics import Publisher, RequestTally
from gateway.observe.record import Observer
from gateway.observe.scrape import Scrape
from gateway.operations import ADMIN_BUCKET
from gateway.request import bucket_from_host, decode_headers, split_host
from gateway.settings import Settings, settings_from_env
from storage_backends.base import Backend
from storage_backends.loader import load_backend

log = logging.getLogger("s3gate")

Scope = dict[str, Any]
ASGIApp = Any  # an ASGI callable: (scope, receive, send) -> None
RESERVED = "/" + ADMIN_BUCKET  # s3gate's own paths (no bucket can be named that: underscores are invalid)
HEALTH_PATH = RESERVED + "/health"
METRICS_PATH = RESERVED + "/metrics"


class S3App:
    def __init__(self, settings: Settings, backend: Backend | None = None,
                 authorizer: pipeline.Authorizer | None = None, events_wake_fd: int | None = None) -> None:
        self.settings = settings
        self._events_wake_fd = events_wake_fd  # the dispatcher's process listens there (gateway.events.process)
        accounts = settings.accounts()
        # The default account owns what an upstream lists (its canonical id is the root key's, as always).
        self.backend = backend if backend is not None else load_backend(settings, owner_id=accounts[0].canonical_id)
        self.directory = CredentialsDirectory(accounts, lambda: self.backend.identities)
        self.in_flight = 0  # requests being served by this process (every door's)
        self.tally = RequestTally()
        self.publisher = self._publisher()
        self.access_log = AccessLog(settings.access_log) if settings.access_log else None
        self.s3 = pipeline.Door(pipeline.S3_STEPS, pipeline.S3_FINISH, settings=settings, directory=self.directory,
                                backend=self.backend, authorizer=authorizer)
        self.flusher = Flusher([], settings.flush_interval)
        # After the door (bucket logging shares its controls). s3gate's own endpoints are counted and logged,
        # not billed nor written to a bucket's access log: they serve no bucket.
        own, buckets = self._observers()
        observers = self.s3.observers = own + buckets
        self.admin = pipeline.Door(pipeline.ADMIN_STEPS, pipeline.ADMIN_FINISH, settings=settings,
                                   directory=self.directory, backend=self.backend,
                                   authorizer=authorizer or pipeline.allow_all, observers=own)
        scrape = Scrape(settings, self.publisher)
        self.metrics = pipeline.Door(
            (pipeline.parse, scrape.resolve, pipeline.authenticate, scrape.authorize, pipeline.handle),
            pipeline.ADMIN_FINISH, settings=settings, directory=self.directory, backend=self.backend,
            authorizer=pipeline.allow_all, controls=self.s3.controls, observers=own)
        self.website: pipeline.Door | None = None
        if settings.website_port is not None:
            from gateway.website.door import website_door

            self.website = website_door(settings, self.directory, self.backend, authorizer, self.s3.controls)
            self.website.observers = observers  # logged, counted and billed as the REST door's requests
        self._iam: ASGIApp | None = None
        self._dispatcher: Any = None  # gateway.events.dispatcher.Dispatcher, once started

    def _publisher(self) -> Publisher:
        """This worker's metrics: the request tally, and what the backend and the protocol count."""
        publisher = Publisher(self.tally)
        publisher.follow(lambda f: f.lifecycle, lambda: self.backend.lifecycle_actions)
        publisher.gauge(lambda f: f.in_flight, lambda: self.in_flight)
        publisher.gauge(lambda f: f.connections, lambda: http_protocol.Protocol.open_connections)
        return publisher

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.in_flight += 1
            try:
                await self.door_for(scope)(scope, receive, send)
            finally:
                self.in_flight -= 1
        elif scope["type"] == "lifespan":
            await self.lifespan(receive, send)

    def _observers(self) -> tuple[tuple[Observer, ...], tuple[Observer, ...]]:
        """What each finished request is handed to (``gateway.observe``): every door's, and the bucket doors'
        (S3, website) only; those with periodic work add it to the flusher."""
        own: list[Observer] = [self.tally]
        if self.access_log is not None:
            own.append(self.access_log)
        observers: list[Observer] = []
        if self.settings.backend == "local":  # an upstream logs and bills its own requests
            from gateway.observe.bucket_logging import BucketLogs
            from gateway.observe.usage import RequestUsage

            logs = BucketLogs(self.backend, self.s3.controls, self.directory.account_id_of)
            usage = RequestUsage(self.backend)
            observers += [logs, usage]
            self.flusher.jobs += [logs.deliver, usage.flush]
        return tuple(own), tuple(observers)

    def door_for(self, scope: Scope) -> ASGIApp:
        if self.website is not None:
            server = scope.get("server")  # the listener the connection came in on
            if server is not None and server[1] == self.settings.website_port:
                return self.website
        path: str = scope["path"]
        if path == "/" and is_iam_request(scope):
            return self.iam()
        if not path.startswith(RESERVED):
            return self.s3
        if path == HEALTH_PATH and scope["method"] in ("GET", "HEAD"):
            return self.health
        if (path == RESERVED or path.startswith(RESERVED + "/")) and not self._virtual_hosted(scope):
            return self.metrics if path == METRICS_PATH else self.admin
        # A bucket's key that starts with _s3gate/ (virtual-hosted style), or a bucket named like
        # _s3gatex (refused by the backend). _s3gate.<domain> itself reaches the admin rows through
        # operations.resolve.
        return self.s3

    async def health(self, scope: Scope, receive: Any, send: Any) -> None:
        """The unauthenticated probe: 200 while the process serves, full disk or not (reads and deletes
        still work there, so a load balancer must keep sending them); the body says whether writes are
        refused and why, per disk (``storage_backends.space``)."""
        document = {"status": "ok", "volumes": [asdict(v) for v in self.backend.disk_space()]}
        await responses.send(send, responses.Response(200, {"content-type": "application/json"},
                                                      json.dumps(document).encode() + b"\n"), scope["method"], [])

    def iam(self) -> ASGIApp:
        """The Query API door, built (its modules imported: a few ms) at the first IAM, STS or SNS request."""
        if self._iam is None:
            from gateway.iam.door import IamDoor

            self._iam = IamDoor(self.directory, self.backend, self.settings)
        return self._iam

    def _start_dispatcher(self) -> None:
        """Event delivery: in the dispatcher's process when the supervisor made one (with declared targets; this
        worker signals it its commits), else in this one (it takes no lease and writes nothing until a topic
        is made at run time, ``gateway.sns``)."""
        outbox = self.backend.outbox
        if outbox is None:
            return
        from gateway.events import process

        if self._events_wake_fd is not None:
            outbox.on_emitted = process.signaller(self._events_wake_fd)
            return
        self._dispatcher = process.build(outbox, self.settings)
        self._dispatcher.start()
        self.publisher.follow_deliveries(self._dispatcher)

    def _virtual_hosted(self, scope: Scope) -> bool:
        if not self.settings.domains:
            return False
        host = split_host(decode_headers(scope["headers"]).get("host", ""))
        return bucket_from_host(host, self.settings.domains) is not None

    async def lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.backend.start()
                    self._start_dispatcher()
                    self.flusher.start()
                    self.publisher.start()
                    if self.access_log is not None:
                        self.access_log.start()
                except Exception as exc:  # noqa: BLE001 - reported to the server, which exits
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.flusher.aclose()  # buffered access logs and usage counts, before the backend closes
                if self._dispatcher is not None:
                    await self._dispatcher.aclose()
                await self.publisher.aclose()
                if self.access_log is not None:
                    await self.access_log.aclose()
                await self.backend.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(events_wake_fd: int | None = None) -> S3App:
    """ASGI factory for uvicorn (each worker process builds its app from ``S3GATE_*``; ``events_wake_fd``: the
    supervisor's pipe to the dispatcher's process)."""
    # The metadata writer thread wakes from every fsync needing the GIL; the default 5 ms switch
    # interval lets the busy event loop keep it that long, which caps commits per second.
    sys.setswitchinterval(0.0005)
    return S3App(settings_from_env(), events_wake_fd=events_wake_fd)
