"""The dispatcher's own process: event delivery beside the workers, not on their event loops.

Delivering is work (rendering each event, the broker client's framing, the outbox's bookkeeping) that
on a worker's event loop takes turns with requests: thousands of events a second cost a third of the
PUT rate. So ``s3gate serve`` with notification targets runs the supervisor (``gateway.workers``) even
for one worker, and it forks this process beside the workers (and restarts it if it dies); with one
worker on two cores, delivery runs on the other. It is still one dispatcher per data dir: it delivers
only while it holds the outbox's lease, like an in-process one.

Workers signal each commit that wrote events through a pipe the supervisor made before forking (a byte
per commit, never blocking: a full pipe already says "look"), so delivery starts at once rather than at
the next poll. An app served some other way (``uvicorn gateway.app:create_app``) delivers in-process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable

from gateway.events.dispatcher import Dispatcher
from gateway.events.targets import open_target
from gateway.observe.metrics import Publisher
from gateway.settings import Settings
from storage_backends.loader import open_outbox
from storage_backends.outbox import Outbox

log = logging.getLogger("s3gate.events")
NICE = 10  # the dispatcher's process yields the CPU to the workers


def build(outbox: Outbox, settings: Settings) -> Dispatcher:
    targets = {name: open_target(name, url) for name, url in settings.notify_targets}
    return Dispatcher(outbox, targets, region=settings.region, max_age_s=settings.notify_max_age,
                      max_queue=settings.notify_max_queue)


def wake_pipe() -> tuple[int, int]:
    """(read end, write end), both non-blocking, made by the supervisor before it forks."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    os.set_blocking(write_fd, False)
    return read_fd, write_fd


def signaller(write_fd: int) -> Callable[[], None]:
    """A worker's ``on_emitted``: one byte down the pipe."""
    def signal_commit() -> None:
        try:
            os.write(write_fd, b"\0")
        except BlockingIOError:  # the dispatcher has wake-ups it has not read yet: it is looking already
            pass

    return signal_commit


def run(settings: Settings, wake_fd: int) -> None:
    """The process's main: deliver until SIGTERM or SIGINT, at a lower CPU priority than the workers (when
    the cores are busy, requests go first; the outbox holds what waits, and catches up when they are not)."""
    import uvloop

    os.nice(NICE)

    uvloop.run(_serve(settings, wake_fd))


async def _serve(settings: Settings, wake_fd: int) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with open_outbox(settings) as outbox:
        dispatcher = build(outbox, settings)
        dispatcher.start()
        publisher = Publisher()  # its deliveries, in the metrics the workers serve
        publisher.follow_deliveries(dispatcher)
        publisher.start()

        def woken() -> None:
            try:
                while os.read(wake_fd, 4096):
                    pass
            except BlockingIOError:
                pass
            dispatcher.wake()

        loop.add_reader(wake_fd, woken)
        log.info("Event dispatcher started (process %d)", os.getpid())
        await stop.wait()
        loop.remove_reader(wake_fd)
        await dispatcher.aclose()
        await publisher.aclose()
