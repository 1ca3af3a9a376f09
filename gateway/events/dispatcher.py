"""The dispatcher: delivers the outbox's events to their targets, at least once, in order per key.

One process per data directory delivers: the one holding the outbox's lease (workers and
gateways share the metadata; a holder killed with -9 on this host is replaced at once, another
host's after the lease expires: ``storage_backends.holders``). Each target has its own
loop: it reads the oldest pending events (by id, the commit order), delivers them, and deletes what
the broker confirmed. Within a batch the events of one key go one after another and stop at the
first failure (the rest of that key waits for the retry), while different keys go concurrently, so
per-key order holds and a healthy broker is not delivered to one message at a time. A target that
takes a batch in one go (``BatchTarget``: Redis) gets the whole batch in commit order instead.
The targets are those declared at start-up and the topics made at run time (``gateway.sns``),
followed at each lease renewal.

A failing target backs off exponentially (0.1 s doubling to 30 s) and never holds up the others or
any request: requests only write outbox rows. Every few seconds events older than
``--notify-max-age`` and, per target, those past ``--notify-max-queue`` become dead letters.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from gateway.events import messages
from gateway.events.targets import BatchTarget, DeliveryError, EventInfo, Target, open_target
from storage_backends.holders import new_holder
from storage_backends.outbox import Outbox, OutboxEvent, Topic

log = logging.getLogger("s3gate.events")

BATCH = 500
CONCURRENCY = 64  # keys delivered at once per target
POLL_S = 0.25  # commits nobody signals (another worker's, when in-process): look this often
LINGER_S = 0.1  # after a wake-up: fewer, larger batches take the metadata write lock less often
BACKOFF_MIN_S, BACKOFF_MAX_S = 0.1, 30.0
LEASE_TTL_S, LEASE_RENEW_S = 5.0, 1.5
HOUSEKEEPING_S = 5.0


def backoff(failures: int) -> float:
    return float(min(BACKOFF_MAX_S, BACKOFF_MIN_S * 2 ** max(0, failures - 1)))


class Dispatcher:
    def __init__(self, outbox: Outbox, targets: Mapping[str, Target], *, region: str, max_age_s: float,
                 max_queue: int) -> None:
        self.outbox = outbox
        self.targets: dict[str, Target] = {}
        self.region = region
        self.max_age_ms = int(max_age_s * 1000)
        self.max_queue = max_queue
        self._holder = str(new_holder())
        self._leading = asyncio.Event()
        self._source = ""  # the outbox's UUID, read before leading: event ids are SOURCE-ROWID
        self._declared = frozenset(targets)
        self._pending_targets = dict(targets)  # opened by start()
        self._wake: dict[str, asyncio.Event] = {}
        self._loops: dict[str, asyncio.Task[None]] = {}
        self._lead_task: asyncio.Task[None] | None = None
        # Running totals by target, which the metrics read (``gateway.observe.metrics``): events confirmed, and
        # failed attempts (an event retried three times fails three times).
        self.delivered: dict[str, int] = {}
        self.failures: dict[str, int] = {}

    def start(self) -> None:
        self.outbox.on_emitted = self.wake
        self._lead_task = asyncio.create_task(self._lead())
        for name, target in self._pending_targets.items():
            self._add(name, target)

    def _add(self, name: str, target: Target) -> None:
        self.targets[name] = target
        self._wake[name] = asyncio.Event()
        self._loops[name] = asyncio.create_task(self._deliver_loop(name))

    async def _drop(self, name: str) -> None:
        task = self._loops.pop(name)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        del self._wake[name]
        await _close(self.targets.pop(name))

    def wake(self) -> None:
        """A commit here wrote events: every target looks now rather than at its next poll."""
        for event in self._wake.values():
            event.set()

    async def aclose(self) -> None:
        if self._lead_task is not None:
            self._lead_task.cancel()
            await asyncio.gather(self._lead_task, return_exceptions=True)
        for name in list(self._loops):
            await self._drop(name)
        if self._leading.is_set():
            try:
                await self.outbox.release(self._holder)
            except Exception:  # noqa: BLE001 - it expires anyway
                log.exception("could not release the notification lease")

    async def _runtime_topics(self, topics: list[Topic]) -> None:
        """Follow the topics made at run time (SNS CreateTopic/DeleteTopic; a declared name always wins)."""
        wanted = {t.name: t.url for t in topics if t.name not in self._declared}
        for name in [n for n in self._loops if n not in self._declared and self.targets[n].url != wanted.get(n)]:
            await self._drop(name)
        for name, url in wanted.items():
            if name not in self._loops:
                try:
                    self._add(name, open_target(name, url))
                except ValueError as exc:  # checked at CreateTopic; a later release may refuse it
                    log.error("topic %s: %s", name, exc)

    # -- the lease, and dead-lettering -------------------------------------------------------------
    async def _lead(self) -> None:
        last_housekeeping = 0.0
        while True:
            try:
                # Nothing declared, no topic, nothing pending (a gateway without notifications): no lease is
                # taken, nothing is written.
                topics = await self.outbox.topics()
                held = bool(self._declared or topics or await self.outbox.targets()) \
                    and await self.outbox.lease(self._holder, LEASE_TTL_S)
                if held:
                    self._source = self._source or await self.outbox.source()
                    await self._runtime_topics(topics)
            except Exception:  # noqa: BLE001 - e.g. a full disk: the next renewal retries
                log.exception("could not renew the notification lease")
                held = False
            if held:
                if not self._leading.is_set():
                    self._leading.set()
                    self.wake()
                if time.monotonic() - last_housekeeping > HOUSEKEEPING_S:
                    last_housekeeping = time.monotonic()
                    await self._housekeeping()
            else:
                self._leading.clear()
            await asyncio.sleep(LEASE_RENEW_S)

    async def _housekeeping(self) -> None:
        try:
            expired = await self.outbox.expire(time.time_ns() // 1_000_000 - self.max_age_ms)
            if expired:
                log.warning("%d notification events older than --notify-max-age moved to the dead letters", expired)
            for name in await self.outbox.targets():
                dropped = await self.outbox.bound(name, self.max_queue)
                if dropped:
                    log.warning("target %s: %d events past --notify-max-queue moved to the dead letters",
                                name, dropped)
        except Exception:  # noqa: BLE001 - the next round retries
            log.exception("notification housekeeping failed")

    # -- delivery ------------------------------------------------------------------------------------
    async def _deliver_loop(self, name: str) -> None:
        failures = 0
        wake = self._wake[name]
        while True:
            await self._leading.wait()
            wake.clear()
            try:
                events = await self.outbox.pending(name, BATCH)
                ok, error = await self._deliver(self.targets[name], events) if events else (True, None)
            except Exception as exc:  # noqa: BLE001 - the outbox itself failed: retry later
                log.exception("notification delivery to %s failed", name)
                ok, error = False, str(exc)
            if not ok:
                failures += 1
                delay = backoff(failures)
                log.info("target %s: %s (retry in %.1f s)", name, error, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            if len(events) < BATCH:
                try:
                    await asyncio.wait_for(wake.wait(), POLL_S)
                except TimeoutError:
                    pass
                else:  # a steady stream: gather a little of it, one read, delivery and delete for many
                    await asyncio.sleep(LINGER_S)

    async def _deliver(self, target: Target, events: list[OutboxEvent]) -> tuple[bool, str | None]:
        """One batch: returns (all delivered, the first error)."""
        if isinstance(target, BatchTarget):
            return await self._deliver_batch(target, events)
        chains: dict[tuple[str, str], list[OutboxEvent]] = {}
        for event in events:
            chains.setdefault((event.bucket, event.key), []).append(event)
        done: list[int] = []
        failed: list[int] = []
        errors: list[str] = []
        gate = asyncio.Semaphore(CONCURRENCY)

        async def chain(items: list[OutboxEvent]) -> None:
            async with gate:
                for event in items:
                    try:
                        await target.deliver(messages.render(event, self.region), self._info(event))
                    except DeliveryError as exc:
                        failed.append(event.id)
                        errors.append(str(exc))
                        return  # this key's later events wait: order per key
                    except Exception as exc:  # noqa: BLE001 - a target's bug is its failure, not the loop's
                        failed.append(event.id)
                        errors.append(f"{exc.__class__.__name__}: {exc}")
                        return
                    done.append(event.id)

        await asyncio.gather(*(chain(items) for items in chains.values()))
        await self.outbox.delivered(done)
        self._count(target.name, len(done), len(failed))
        if failed:
            await self.outbox.failed(failed, errors[0])
            return False, errors[0]
        return True, None

    async def _deliver_batch(self, target: BatchTarget, events: list[OutboxEvent]) -> tuple[bool, str | None]:
        """The whole batch in commit order at once (so per key too); a failure retries all of it."""
        try:
            await target.deliver_many([(messages.render(e, self.region), self._info(e)) for e in events])
        except Exception as exc:  # noqa: BLE001 - DeliveryError, or a target's bug: its failure, not the loop's
            error = str(exc) if isinstance(exc, DeliveryError) else f"{exc.__class__.__name__}: {exc}"
            await self.outbox.failed([e.id for e in events], error)
            self._count(target.name, 0, len(events))
            return False, error
        await self.outbox.delivered([e.id for e in events])
        self._count(target.name, len(events), 0)
        return True, None

    def _count(self, target: str, delivered: int, failed: int) -> None:
        self.delivered[target] = self.delivered.get(target, 0) + delivered
        self.failures[target] = self.failures.get(target, 0) + failed

    def _info(self, event: OutboxEvent) -> EventInfo:
        name = "s3:TestEvent" if event.event_name == messages.TEST_EVENT else event.event_name
        return EventInfo(f"{self._source}-{event.id}", messages.iso_time(event.event_ms), name, event.bucket,
                         event.key, messages.sequencer(event.seq))


async def _close(target: Target) -> None:
    try:
        await target.aclose()
    except Exception:  # noqa: BLE001 - closing: nothing to retry
        log.exception("closing notification target %s", target.name)
