"""Reading a live gateway's ``/_s3gate/metrics`` with prometheus_client's own text parser."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.harness.rawhttp import signed

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
METRICS = "/_s3gate/metrics"


def parse(text: str) -> Samples:
    """Every sample, keyed by its name (``s3gate_requests_total``) and labels."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def scrape(server: object, token: str | None = None) -> Samples:
    """Signed by the root, or with ``token`` as a bearer (a fresh connection each time)."""
    if token is None:
        response = signed(server, "GET", METRICS)
    else:
        response = httpx.get(server.endpoint + METRICS,  # type: ignore[attr-defined]
                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def wait_for_value(read: Callable[[], Samples], name: str, want: float, timeout: float = 10.0,
                   **labels: str) -> Samples:
    """Scrape until ``name{labels}`` is ``want`` (other workers publish once a second)."""
    deadline = time.monotonic() + timeout
    while True:
        samples = read()
        if value(samples, name, **labels) == want or time.monotonic() > deadline:
            assert value(samples, name, **labels) == want, (name, labels, value(samples, name, **labels))
            return samples
        time.sleep(0.2)
