"""prometheus_client's multiprocess mode, prepared by ``s3gate serve`` before anything imports the library.

prometheus_client picks its value class (plain floats, or mmaped files in ``PROMETHEUS_MULTIPROC_DIR``) once,
when it is first imported, so the directory must be in the environment before ``gateway.app`` is: the
supervisor forks its workers and the dispatcher's process after importing it, and each writes its own files
there, which a scrape on any worker adds up. This module imports the library only in the supervisor's
:func:`process_exited`, long after the choice is made.
"""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import tempfile
from collections.abc import MutableMapping

from storage_backends.holders import lock_free

ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "s3gate-metrics-"  # then the supervisor's pid (for people; liveness is the lock)
LOCK = ".lock"  # flocked by the supervisor for its life (its forked workers share the lock)


def prepare(environ: MutableMapping[str, str]) -> str | None:
    """An empty directory for this run's metric files, in ``environ``: the operator's ``PROMETHEUS_MULTIPROC_DIR``
    (its old files removed: counts start at zero with the process), else a new temporary one, whose path is
    returned for :func:`remove` at exit."""
    given = environ.get(ENV)
    if given:
        os.makedirs(given, exist_ok=True)
        for path in glob.glob(os.path.join(given, "*.db")):
            os.remove(path)
        return None
    _sweep(tempfile.gettempdir())
    made = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")
    fd = os.open(os.path.join(made, LOCK), os.O_CREAT | os.O_RDWR, 0o600)  # kept open until the process ends
    fcntl.flock(fd, fcntl.LOCK_EX)
    environ[ENV] = made
    return made


def _sweep(parent: str) -> None:
    """Remove the directories of runs that ended without removing theirs: killed, or stopped by SIGTERM (which
    uvicorn re-raises once it has shut down, so the process ends before ``remove``). A directory is a dead run's
    when its lock is free: a PID would not tell, since gateways in other PID namespaces (containers, or the
    tests' simulated hosts) sharing this /tmp have PIDs that mean nothing here."""
    for path in glob.glob(os.path.join(parent, PREFIX + "*")):
        try:
            free = lock_free(os.path.join(path, LOCK))
        except OSError:
            continue
        if free:  # (None: no lock file, not ours or being made right now, between mkdtemp and its lock)
            shutil.rmtree(path, ignore_errors=True)


def remove(path: str | None) -> None:
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)


def process_exited(pid: int) -> None:
    """A worker or the dispatcher's process ended: its live gauges (in flight, connections) stop counting;
    its counters stay, so the totals never go back."""
    if os.environ.get(ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
