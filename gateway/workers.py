"""``--workers N``: one listening socket, N forked uvicorn servers, a supervisor that restarts them.

uvicorn's own multi-worker mode spawns fresh interpreters that re-import everything (and adds
multiprocessing's resource-tracker process). Forking after the application's modules are
imported lets the workers share those pages with the supervisor: less memory per worker and a
faster start. Workers take connections from the shared socket (the kernel spreads them) and
share the data directory (metadata writes take turns through a file lock).
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import socket
import time
from typing import Any

log = logging.getLogger("uvicorn.error")
RESTART_DELAY_S = 1.0


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(workers: int, host: str, port: int, uvicorn_options: dict[str, Any], backend: str) -> int:
    """Run ``workers`` forked servers until SIGINT/SIGTERM; returns the exit code."""
    import logging.config

    import uvicorn

    import gateway.app  # noqa: F401 - imported before forking, so the workers share it
    from storage_backends.loader import import_backend

    # So are the backend and what each worker's uvicorn.Config.load() and event loop import (the HTTP
    # protocol is imported already: the options hold its class).
    import_backend(backend)
    for module in ("uvicorn.lifespan.on", "uvicorn.loops.uvloop"):
        importlib.import_module(module)

    logging.config.dictConfig(uvicorn_options["log_config"])
    sock = listen(host, port)
    children: dict[int, int] = {}  # pid -> worker number
    stopping = False

    def spawn(number: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            config = uvicorn.Config("gateway.app:create_app", factory=True, **uvicorn_options)
            uvicorn.Server(config).run(sockets=[sock])
            os._exit(0)
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
    log.info("Started %d workers (supervisor process %d)", workers, os.getpid())
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
        if stopping:
            continue
        log.error("worker %d (process %d) exited with status %d; starting another", number, pid, status)
        time.sleep(RESTART_DELAY_S)
        if not stopping:
            spawn(number)
    sock.close()
    return 0
