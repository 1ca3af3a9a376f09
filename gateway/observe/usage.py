"""Requests by AWS pricing tier, counted by an observer and written in batches (one write per interval, per
worker, not one per request); what storage counts itself is ``storage_backends.usage``.

Tier 1 is PUT, COPY, POST and LIST; tier 2 is GET, HEAD, SELECT and all else; DELETE and abort are
free (and RestoreObject is counted by storage as a restore, with its object's size). Refused requests
that AWS does not bill (an AccessDenied, a missing bucket, a server error) are not counted. A write's
class is its ``x-amz-storage-class``; every other request counts at the STANDARD rate.
"""

from __future__ import annotations

import logging

from gateway.observe.record import RequestRecord
from gateway.wire.lifecycle_rules import CLASS_RANK
from storage_backends.base import Backend
from storage_backends.usage import OUT, TIER1, TIER2, UsageCounter

log = logging.getLogger("s3gate")

FREE = frozenset({"DeleteObject", "DeleteObjects", "AbortMultipartUpload", "DeleteBucket", "RestoreObject"})
UNBILLED_ERRORS = frozenset({"AccessDenied", "NoSuchBucket", "InvalidAccessKeyId", "SignatureDoesNotMatch"})


def tier_of(operation: str, method: str) -> str | None:
    """The pricing tier of a request (None: free)."""
    if operation in FREE or method == "DELETE":
        return None
    if method in ("PUT", "POST") or operation.startswith("List"):
        return TIER1
    return TIER2


class RequestUsage:
    """The observer and its batch: (bucket, class, kind) -> [count, bytes]."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._counts: dict[tuple[str, str, str], list[int]] = {}

    def __call__(self, record: RequestRecord) -> None:
        bucket, op = record.bucket, record.operation
        if bucket is None or op is None or record.status >= 500 or record.error_code in UNBILLED_ERRORS:
            return
        tier = tier_of(op, record.method)
        if tier is not None:
            named = record.headers.get("x-amz-storage-class", "STANDARD") if tier == TIER1 else "STANDARD"
            self._add(bucket, named if named in CLASS_RANK else "STANDARD", tier, 0)
        if record.bytes_out:
            self._add(bucket, "STANDARD", OUT, record.bytes_out)

    def _add(self, bucket: str, storage_class: str, kind: str, size: int) -> None:
        counted = self._counts.get((bucket, storage_class, kind))
        if counted is None:
            self._counts[(bucket, storage_class, kind)] = [1, size]
        else:
            counted[0] += 1
            counted[1] += size

    async def flush(self) -> None:
        """Write the batch (with storage's own counts of IA reads): best effort, at most an interval is lost."""
        taken, self._counts = self._counts, {}
        batch = [UsageCounter(b, c, k, n, size) for (b, c, k), (n, size) in taken.items()]
        try:
            await self.backend.record_usage(batch)
        except Exception:  # noqa: BLE001 - a full disk, a closing catalog: the counts of one interval go
            log.exception("could not record %d usage counters", len(batch))
