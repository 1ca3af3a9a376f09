"""pytest-xdist scheduling by backend: each backend's tests are one unit of work, run by one worker.

So a backend's servers (its upstream, its session gateways) start once per run, not once per worker,
and no worker switches backends (which would stop and start them again). Tests that need no backend
are units of one test each, for whichever worker is free. xdist's own ``loadgroup`` would do this with
``xdist_group`` markers, but xdist 3.8 groups by rewriting ``item._nodeid``, which pytest 9 no longer
reads; the controller sees only node ids, so the backend is read from the test's parameter id.
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

from tests.harness.servers import BACKENDS

__all__ = ["ByBackend", "backend_of"]

_LONGEST_FIRST = sorted(BACKENDS, key=len, reverse=True)  # local-postgres before local


def backend_of(nodeid: str) -> str | None:
    """The backend in a node id's parameters (``test_x[upstream-moto-MD5]``), None for a test without one.

    The ``backend`` fixture's parameter comes first in the id (it is session-scoped)."""
    params = nodeid.partition("[")[2]  # a path or a test's name has no "["; its parameters may
    return next((b for b in _LONGEST_FIRST if params == b + "]" or params.startswith(b + "-")), None)


class ByBackend(LoadScopeScheduling):  # type: ignore[misc]  # xdist is untyped
    """xdist's scope scheduler (biggest units first) with a backend's tests as one scope."""

    def _split_scope(self, nodeid: str) -> str:
        return backend_of(nodeid) or nodeid
