"""The usage report's JSON (``GET /_s3gate/admin/usage``): the catalog's accounting in GB-months.

A GB-month is 2^30 bytes kept for 30 days of the catalog's clock (which the lifecycle test clock moves).
Per bucket: ``storage`` per class (now, and accrued since ``since``: GB-months, object-months and the
same for versions under 128 KiB, which some classes bill as 128 KiB), ``requests`` per class and tier,
``bytes_out``, ``retrievals`` (bytes read from the IA classes), ``restores`` (archive restores and the
bytes they restore), ``transitions`` (lifecycle transitions into a class) and ``early_deletions`` (versions
that left a class within a year, by whole days of age).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gateway.wire.lifecycle_rules import DAY_MS
from storage_backends.usage import OUT, RETRIEVAL, TIER1, TIER2, UsageReport

GIB = 2 ** 30
MONTH_DAYS = 30
MONTH_MS = MONTH_DAYS * DAY_MS
_COUNTED = {RETRIEVAL: "retrievals", "restore": "restores", "transition": "transitions"}


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def usage_document(report: UsageReport) -> dict[str, Any]:
    buckets: dict[str, dict[str, Any]] = {}

    def bucket(name: str) -> dict[str, Any]:
        return buckets.setdefault(name, {"storage": {}, "requests": {}, "bytes_out": 0, "retrievals": {},
                                         "restores": {}, "transitions": {}, "early_deletions": {}})

    for s in report.stored:
        bucket(s.bucket)["storage"][s.storage_class] = {
            "objects": s.objects, "bytes": s.bytes, "gb_months": s.byte_ms / GIB / MONTH_MS,
            "object_months": s.object_ms / MONTH_MS, "small_objects": s.small_objects, "small_bytes": s.small_bytes,
            "small_gb_months": s.small_byte_ms / GIB / MONTH_MS, "small_object_months": s.small_object_ms / MONTH_MS}
    for c in report.counters:
        b = bucket(c.bucket)
        if c.kind == OUT:
            b["bytes_out"] += c.bytes
        elif c.kind in (TIER1, TIER2):
            b["requests"].setdefault(c.storage_class, {TIER1: 0, TIER2: 0})[c.kind] += c.count
        elif c.kind in _COUNTED:
            b[_COUNTED[c.kind]][c.storage_class] = {"requests": c.count, "bytes": c.bytes}
    for e in report.early:
        bucket(e.bucket)["early_deletions"].setdefault(e.storage_class, []).append(
            {"age_days": e.age_days, "objects": e.count, "bytes": e.bytes,
             "gb_months_stored": e.age_byte_ms / GIB / MONTH_MS})
    return {"since": iso(report.since_ms), "now": iso(report.now_ms), "since_ms": report.since_ms,
            "now_ms": report.now_ms, "gb_month": {"bytes": GIB, "days": MONTH_DAYS},
            "buckets": dict(sorted(buckets.items()))}
