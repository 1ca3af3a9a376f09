"""The metric families (prometheus_client's objects) one process writes: imported at its first publish.

In multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set by ``s3gate serve``) they write to this process's
files and have no registry: a scrape reads every process's files (``gateway.observe.scrape``).
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

from gateway.observe.multiproc import ENV

# The same series with or without multiprocess mode (which has no _created).
disable_created_metrics()  # type: ignore[no-untyped-call]


def multiprocess() -> bool:
    """Whether prometheus_client writes to ``PROMETHEUS_MULTIPROC_DIR`` (it decided when first imported)."""
    return bool(os.environ.get(ENV))


class Families:
    """The metric families this process writes; ``registry`` None in multiprocess mode."""

    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.registry = r = None if multiprocess() else CollectorRegistry()
        self.requests = Counter("s3gate_requests", "Requests finished, by operation and status class",
                                ("operation", "status_class"), registry=r)
        self.seconds = Histogram("s3gate_request_duration_seconds", "From a request's arrival to its last byte "
                                 "sent, by operation", ("operation",), buckets=buckets, registry=r)
        self.first_byte = Histogram("s3gate_time_to_first_byte_seconds", "From a request's arrival to the start "
                                    "of its response, by operation", ("operation",), buckets=buckets, registry=r)
        self.received = Counter("s3gate_received_bytes", "Request body bytes read, by operation", ("operation",),
                                registry=r)
        self.sent = Counter("s3gate_sent_bytes", "Response body bytes sent, by operation", ("operation",),
                            registry=r)
        self.errors = Counter("s3gate_errors", "Error responses, by S3 error code", ("code",), registry=r)
        self.denials = Counter("s3gate_authorization_denials", "Requests refused with AccessDenied, by operation",
                               ("operation",), registry=r)
        self.in_flight = Gauge("s3gate_requests_in_flight", "Requests being served", registry=r,
                               multiprocess_mode="livesum")
        self.connections = Gauge("s3gate_open_connections", "Open client connections", registry=r,
                                 multiprocess_mode="livesum")
        self.lifecycle = Counter("s3gate_lifecycle_actions", "Lifecycle rule actions applied, by action",
                                 ("action",), registry=r)
        self.delivered = Counter("s3gate_notification_deliveries", "Events a notification target confirmed, "
                                 "by target", ("target",), registry=r)
        self.failed = Counter("s3gate_notification_failures", "Event deliveries that failed (each attempt), "
                              "by target", ("target",), registry=r)
