"""The metrics door, ``GET /_s3gate/metrics``: who may read the metrics, and their text.

Readers: anyone with ``--metrics-public``; a scraper sending ``Authorization: Bearer <--metrics-token>``
(what Prometheus sends); the default account's root, signed like any S3 request (SigV4 or SigV2, header
or presigned). Anything else is 403 AccessDenied, a bad signature the signature's own 403.

A scrape reads every process's counts (prometheus_client's multiprocess files, or this process's registry
when the app runs without ``s3gate serve``), after publishing this worker's own, and adds what is read at
scrape time from storage: objects and bytes stored (``Backend.stored_totals``) and each notification
target's queue (``Outbox.counts``).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from gateway.context import Context
from gateway.observe.metrics import Publisher
from gateway.operations import SERVICE, Auth, Operation
from gateway.pipeline import Exchange
from gateway.responses import Response
from gateway.settings import Settings
from gateway.wire.errors import Code, S3Error
from storage_backends.base import StoredTotal
from storage_backends.outbox import TargetCounts

if TYPE_CHECKING:
    from prometheus_client.core import Metric

    from gateway.observe.families import Families

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # Prometheus' text format


def bearer_token(headers: dict[str, str]) -> str | None:
    """``Authorization: Bearer <token>``'s token ("" when it has none); None: another scheme, or none."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


class Scrape:
    """The door's own steps (between the pipeline's parse, authenticate and handle) and its handler."""

    def __init__(self, settings: Settings, publisher: Publisher) -> None:
        self.settings = settings
        self.publisher = publisher
        self.signed = Operation("GetMetrics", "GET", "metrics", self.serve, ("s3gate:GetMetrics",), resource=SERVICE)
        self.bearer = replace(self.signed, auth=Auth.ANONYMOUS)  # the token is checked by authorize

    async def resolve(self, x: Exchange) -> None:
        if x.method not in ("GET", "HEAD"):
            raise S3Error(Code.MethodNotAllowed, Method=x.method, ResourceType="METRICS")
        assert x.req is not None
        x.operation = self.bearer if bearer_token(x.req.headers) is not None else self.signed

    async def authorize(self, x: Exchange) -> None:
        ctx = x.ctx
        assert ctx is not None
        if self.settings.metrics_public:
            return
        if ctx.operation is self.bearer:
            token, given = self.settings.metrics_token, bearer_token(ctx.req.headers) or ""
            if token and hmac.compare_digest(given.encode(), token.encode()):
                return
            raise S3Error(Code.AccessDenied, "The bearer token is not the --metrics-token.")
        if not ctx.directory.is_default_root(ctx.principal.identity):
            raise S3Error(Code.AccessDenied, "The metrics need the root credentials, the --metrics-token, or "
                          "--metrics-public.")

    async def serve(self, ctx: Context) -> Response:
        families = self.publisher.publish()  # this worker's latest; the others' are a publish interval old at most
        totals = await ctx.backend.stored_totals()
        outbox = ctx.backend.outbox
        queues = await outbox.counts() if outbox is not None else []
        stored = _Stored(totals, queues, per_bucket=self.settings.metrics_per_bucket)
        body = await asyncio.to_thread(_render, families, stored)  # reads the other processes' files
        return Response(200, {"content-type": CONTENT_TYPE}, body)


def _render(families: Families, stored: _Stored) -> bytes:
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = families.registry
    if registry is None:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry) + generate_latest(stored)


class _Stored:
    """What storage says at scrape time, as gauges."""

    def __init__(self, totals: list[StoredTotal], queues: list[TargetCounts], *, per_bucket: bool) -> None:
        self.totals, self.queues, self.per_bucket = totals, queues, per_bucket

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        labels = ["bucket", "storage_class"] if self.per_bucket else ["storage_class"]
        objects = GaugeMetricFamily("s3gate_stored_objects", "Objects stored (every version), by storage class "
                                    "(and bucket with --metrics-per-bucket)", labels=labels)
        size = GaugeMetricFamily("s3gate_stored_bytes", "Bytes stored (every version), by storage class (and "
                                 "bucket with --metrics-per-bucket)", labels=labels)
        sums: dict[tuple[str, ...], list[int]] = {}
        for t in self.totals:
            key: tuple[str, ...] = (t.bucket, t.storage_class) if self.per_bucket else (t.storage_class,)
            row = sums.setdefault(key, [0, 0])
            row[0] += t.objects
            row[1] += t.bytes
        for key, (count, stored_bytes) in sorted(sums.items()):
            objects.add_metric(list(key), count)
            size.add_metric(list(key), stored_bytes)
        depth = GaugeMetricFamily("s3gate_notification_queue_depth", "Events waiting for their target, by target",
                                  labels=["target"])
        dead = GaugeMetricFamily("s3gate_notification_dead_letters", "Events moved to the dead letters, by target",
                                 labels=["target"])
        for q in self.queues:
            depth.add_metric([q.target], q.pending)
            dead.add_metric([q.target], q.dead)
        yield from (objects, size, depth, dead)
