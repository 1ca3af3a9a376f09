"""The pure parts of ``gateway.observe``: how access log lines are grouped into writes, how the stored
totals become gauges with or without ``--metrics-per-bucket``, and the multiprocess directory's clean-up."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from pathlib import Path

from gateway.observe import multiproc
from gateway.observe.access_log import CHUNK, chunks
from gateway.observe.scrape import _Stored
from storage_backends.base import StoredTotal


def test_writes_hold_whole_lines_of_at_most_pipe_buf() -> None:
    lines = [(b"x" * n) + b"\n" for n in (100, 3000, 2000, 10, CHUNK + 500, 7)]
    writes = chunks(lines)
    assert b"".join(writes) == b"".join(lines)
    assert all(w.endswith(b"\n") for w in writes)
    assert [len(w) for w in writes] == [3102, 2012, CHUNK + 501, 8]


def samples(stored: _Stored) -> dict[tuple[str, tuple[str, ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for family in stored.collect() for s in family.samples}


TOTALS = [StoredTotal("a", "STANDARD", 2, 300), StoredTotal("b", "STANDARD", 1, 50),
          StoredTotal("b", "GLACIER", 4, 4000)]


def test_stored_totals_per_storage_class_by_default() -> None:
    got = samples(_Stored(TOTALS, [], per_bucket=False))
    assert got[("s3gate_stored_objects", (("storage_class", "STANDARD"),))] == 3
    assert got[("s3gate_stored_bytes", (("storage_class", "STANDARD"),))] == 350
    assert got[("s3gate_stored_bytes", (("storage_class", "GLACIER"),))] == 4000
    assert not any("bucket" in dict(labels) for _, labels in got)


def test_stored_totals_per_bucket_when_asked() -> None:
    got = samples(_Stored(TOTALS, [], per_bucket=True))
    assert got[("s3gate_stored_objects", (("bucket", "a"), ("storage_class", "STANDARD")))] == 2
    assert got[("s3gate_stored_bytes", (("bucket", "b"), ("storage_class", "GLACIER")))] == 4000


def test_a_killed_gateways_metrics_directory_goes_at_the_next_start_and_a_running_ones_stays() -> None:
    """Liveness is the directory's lock, not the PID in its name: a gateway in another PID namespace sharing
    this /tmp (a container, the scale-out test's simulated hosts) has a PID that means nothing here."""
    tmp = Path(tempfile.gettempdir())
    dead = tmp / f"{multiproc.PREFIX}1-test-dead"  # pid 1 runs, yet nobody holds the lock
    running = tmp / f"{multiproc.PREFIX}999999999-test-running"  # no such pid here, yet the lock is held
    for path in (dead, running):
        path.mkdir()
        (path / multiproc.LOCK).touch()
    held = os.open(running / multiproc.LOCK, os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)
    environ: dict[str, str] = {}
    made = multiproc.prepare(environ)
    try:
        assert not dead.exists()
        assert running.is_dir()
        assert made is not None and environ[multiproc.ENV] == made and os.path.isdir(made)
    finally:
        multiproc.remove(made)
        os.close(held)
        shutil.rmtree(running, ignore_errors=True)
    assert not os.path.exists(made)
