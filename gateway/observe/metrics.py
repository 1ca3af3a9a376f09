"""Prometheus metrics: counted in plain ints per process, published to prometheus_client once a second.

A prometheus_client call per request is a locked write into an mmaped file in multiprocess mode; a request's
seven of them (count, two histograms, bytes in and out, in flight up and down) cost about 22 µs, a tenth of
what a 4 KiB PUT costs the server. So the :class:`RequestTally` observer adds a request to a few list
slots (about 1 µs), and each process's :class:`Publisher` moves what changed into the metric families every
``PUBLISH_S``; the scraping worker publishes its own first, so a scrape is at most that far behind the
other workers. Values other parts keep (lifecycle actions, deliveries, in flight, connections) are read by
the publisher the same way: nothing on their paths calls prometheus_client either.

Labels stay bounded: operations (the table's names), status classes, S3 error codes, lifecycle actions and
notification targets; never keys, and buckets only in the scrape-time stored totals (``--metrics-per-bucket``).

prometheus_client itself (``gateway.observe.families``) is imported at the first publish, in a thread,
not at start-up: its import is a tenth of a cold start (``s3gate serve --workers N`` imports it before
forking, so that the workers share it).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from bisect import bisect_left
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from gateway.observe.record import RequestRecord

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

    from gateway.observe.families import Families

log = logging.getLogger("s3gate")

PUBLISH_S = 1.0
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, float("inf"))
STATUS_CLASSES = ("none", "1xx", "2xx", "3xx", "4xx", "5xx")  # by status // 100 ("none": nothing was sent)
UNRESOLVED = "Unknown"  # the operation of a request refused before it was matched to a row
DENIED = "AccessDenied"

class _Operation:
    """One operation's requests since the last publish: status classes, bytes, both histograms, denials."""

    __slots__ = ("statuses", "bytes_in", "bytes_out", "seconds", "seconds_sum", "first_byte", "first_byte_sum",
                 "denied")

    def __init__(self) -> None:
        self.statuses = [0] * len(STATUS_CLASSES)
        self.bytes_in = self.bytes_out = self.denied = 0
        self.seconds = [0] * len(BUCKETS)
        self.first_byte = [0] * len(BUCKETS)
        self.seconds_sum = self.first_byte_sum = 0.0


class RequestTally:
    """The observer: each finished request into plain counters, until the publisher takes them."""

    __slots__ = ("operations", "errors")

    def __init__(self) -> None:
        self.operations: dict[str, _Operation] = {}
        self.errors: dict[str, int] = {}

    def __call__(self, r: RequestRecord) -> None:
        name = r.operation or UNRESOLVED
        op = self.operations.get(name)
        if op is None:
            op = self.operations[name] = _Operation()
        op.statuses[min(r.status // 100, 5)] += 1
        op.bytes_in += r.bytes_in
        op.bytes_out += r.bytes_out
        op.seconds[bisect_left(BUCKETS, r.total_s)] += 1
        op.seconds_sum += r.total_s
        if r.first_byte_s is not None:
            op.first_byte[bisect_left(BUCKETS, r.first_byte_s)] += 1
            op.first_byte_sum += r.first_byte_s
        code = r.error_code
        if code is not None:
            self.errors[code] = self.errors.get(code, 0) + 1
            if code == DENIED:
                op.denied += 1

    def take(self) -> tuple[dict[str, _Operation], dict[str, int]]:
        taken = self.operations, self.errors
        self.operations, self.errors = {}, {}
        return taken


Totals = Callable[[], Mapping[str, int]]  # running totals some part keeps, by label value
Pick = Callable[["Families"], "Counter"]


class Deliveries(Protocol):
    """The event dispatcher's running totals by target (``gateway.events.dispatcher``)."""

    delivered: dict[str, int]
    failures: dict[str, int]


class Publisher:
    """Moves one process's counts into its metric families: the request tally's, and running totals and
    gauges that other parts keep (read, never pushed, so their paths stay free of prometheus_client)."""

    def __init__(self, tally: RequestTally | None = None) -> None:
        self.tally = tally
        self.families: Families | None = None  # made at the first publish
        self._totals: list[tuple[Pick, Totals, dict[str, int]]] = []
        self._gauges: list[tuple[Callable[[Families], Gauge], Callable[[], float]]] = []
        self._task: asyncio.Task[None] | None = None

    def follow(self, counter: Pick, totals: Totals) -> None:
        """Publish the growth of ``totals()`` (label value -> running total) into the ``counter`` family."""
        self._totals.append((counter, totals, {}))

    def follow_deliveries(self, dispatcher: Deliveries) -> None:
        self.follow(lambda f: f.delivered, lambda: dispatcher.delivered)
        self.follow(lambda f: f.failed, lambda: dispatcher.failures)

    def gauge(self, gauge: Callable[[Families], Gauge], read: Callable[[], float]) -> None:
        self._gauges.append((gauge, read))

    def publish(self) -> Families:
        f = self.families
        if f is None:
            from gateway.observe.families import Families

            f = self.families = Families(BUCKETS)
        if self.tally is not None:
            self._publish_requests(f, *self.tally.take())
        for pick, totals, published in self._totals:
            counter = pick(f)
            for label, total in totals().items():
                grown = total - published.get(label, 0)
                if grown > 0:
                    counter.labels(label).inc(grown)
                    published[label] = total
        for pick_gauge, read in self._gauges:
            pick_gauge(f).set(read())
        return f

    def _publish_requests(self, f: Families, operations: dict[str, _Operation], errors: dict[str, int]) -> None:
        for name, op in operations.items():
            for status_class, count in zip(STATUS_CLASSES, op.statuses, strict=True):
                if count:
                    f.requests.labels(name, status_class).inc(count)
            _observed(f.seconds.labels(name), op.seconds, op.seconds_sum)
            if any(op.first_byte):
                _observed(f.first_byte.labels(name), op.first_byte, op.first_byte_sum)
            f.received.labels(name).inc(op.bytes_in)
            f.sent.labels(name).inc(op.bytes_out)
            if op.denied:
                f.denials.labels(name).inc(op.denied)
        for code, count in errors.items():
            f.errors.labels(code).inc(count)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        await asyncio.to_thread(importlib.import_module, "gateway.observe.families")  # off the event loop
        while True:
            await asyncio.sleep(PUBLISH_S)
            try:
                self.publish()
            except Exception:  # noqa: BLE001 - metrics must never stop serving; the next round retries
                log.exception("publishing metrics failed")

    async def aclose(self) -> None:
        """Stop, publishing what is left (a worker that stops keeps its counts in the totals)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.publish()


def _observed(child: Histogram, counts: list[int], total: float) -> None:
    """Observations counted elsewhere, into a histogram's series. prometheus_client has no bulk observe, so
    this adds to the values ``Histogram.observe`` increments (``_buckets``, one per bound, and ``_sum``)."""
    for value, count in zip(child._buckets, counts, strict=True):
        if count:
            value.inc(count)
    child._sum.inc(total)
