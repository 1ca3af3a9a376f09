"""``--workers N``: one listening socket (two with ``--website-port``), N forked uvicorn servers, a
supervisor that restarts them.

uvicorn's own multi-worker mode spawns fresh interpreters that re-import everything (and adds
multiprocessing's resource-tracker process). Forking after the application's modules are
imported lets the workers share those pages with the supervisor: less memory per worker and a
faster start. Workers take connections from the shared socket (the kernel spreads them) and
share the data directory (metadata writes take turns through a file lock).

With notification targets (``events``), the supervisor also runs the event dispatcher's process
(``gateway.events.process``), restarted like a worker, even for one worker.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import signal
import socket
import time
from typing import TYPE_CHECKING, Any

from gateway.observe import multiproc

if TYPE_CHECKING:
    from gateway.settings import Settings

log = logging.getLogger("uvicorn.error")
RESTART_DELAY_S = 1.0
DISPATCHER = -1  # the dispatcher process's number among the children


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(workers: int, host: str, ports: tuple[int, ...], uvicorn_options: dict[str, Any], backend: str,
          events: Settings | None = None) -> int:
    """Run ``workers`` forked servers (and with ``events`` the dispatcher's process) until SIGINT/SIGTERM;
    returns the exit code."""
    import logging.config

    import uvicorn

    import gateway.app  # noqa: F401 - imported before forking, so the workers share it
    from storage_backends.loader import import_backend

    # So are the backend and what each worker's uvicorn.Config.load() and event loop import (the HTTP
    # protocol is imported already: the options hold its class), and prometheus_client, which a lone
    # worker imports after its start (at the metrics' first publish).
    import_backend(backend)
    for module in ("uvicorn.lifespan.on", "uvicorn.loops.uvloop", "gateway.observe.families"):
        importlib.import_module(module)

    app: Any = "gateway.app:create_app"
    wake: tuple[int, int] | None = None
    if events is not None:
        from gateway.events import process

        wake = process.wake_pipe()
        app = functools.partial(gateway.app.create_app, events_wake_fd=wake[1])
    logging.config.dictConfig(uvicorn_options["log_config"])
    socks = [listen(host, port) for port in ports]  # the S3 API's, and the website endpoint's if it is on
    children: dict[int, int] = {}  # pid -> worker number (DISPATCHER: the dispatcher's process)
    stopping = False

    def spawn(number: int) -> None:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            code = 0
            try:
                if number == DISPATCHER:
                    assert events is not None and wake is not None
                    for sock in socks:
                        sock.close()
                    process.run(events, wake[0])
                else:
                    config = uvicorn.Config(app, factory=True, **uvicorn_options)
                    uvicorn.Server(config).run(sockets=socks)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:  # noqa: BLE001 - a child never returns into the supervisor's loop
                log.exception("process %d failed", os.getpid())
                code = 1
            os._exit(code)
        children[pid] = number

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM if signum == signal.SIGTERM else signal.SIGINT)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for number in range(workers):
        spawn(number)
    if events is not None:
        spawn(DISPATCHER)
    log.info("Started %d workers%s (supervisor process %d)", workers,
             " and the event dispatcher" if events is not None else "", os.getpid())
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid not in children:
            continue
        number = children.pop(pid)
        multiproc.process_exited(pid)
        if stopping:
            continue
        log.error("%s (process %d) exited with status %d; starting another",
                  "the event dispatcher" if number == DISPATCHER else f"worker {number}", pid, status)
        time.sleep(RESTART_DELAY_S)
        if not stopping:
            spawn(number)
    for sock in socks:
        sock.close()
    return 0
