"""Usage accounting as the gateway sees it: what the local backend's catalog keeps (``catalog.sql.usage``).

Time is the catalog's clock in milliseconds (real time plus the lifecycle test clock's offset); amounts
accrued over time are amount x milliseconds, summed piecewise at each change. The gateway turns them
into GB-months and prices (``gateway.observe.pricing``).
"""

from __future__ import annotations

from dataclasses import dataclass

SMALL_OBJECT = 128 * 1024  # the minimum billable object size of STANDARD_IA, ONEZONE_IA and GLACIER_IR
EARLY_MAX_DAYS = 365  # removals younger than this many days are kept by age (see EarlyRemoval)
# Request kinds the gateway counts (``Backend.record_usage``) beside those storage counts itself:
# archive restores (``restore``), lifecycle transitions into a class (``transition``) and bytes read
# from the IA classes (``retrieval``).
TIER1, TIER2, OUT, RETRIEVAL = "tier1", "tier2", "out", "retrieval"
RETRIEVAL_CLASSES = frozenset({"STANDARD_IA", "ONEZONE_IA", "GLACIER_IR"})  # reads of these are retrievals


@dataclass(frozen=True, slots=True)
class StoredUsage:
    """One bucket and class: what is stored now, and what was accrued (amount x ms) since accounting began."""

    bucket: str
    storage_class: str
    objects: int
    bytes: int
    small_objects: int  # versions under SMALL_OBJECT bytes
    small_bytes: int
    object_ms: float
    byte_ms: float
    small_object_ms: float
    small_byte_ms: float


@dataclass(frozen=True, slots=True)
class UsageCounter:
    """Counted events of one ``kind`` for a bucket and class (requests, bytes sent, retrievals, ...)."""

    bucket: str
    storage_class: str
    kind: str
    count: int
    bytes: int


@dataclass(frozen=True, slots=True)
class EarlyRemoval:
    """Versions that left ``storage_class`` (deleted or transitioned) aged ``age_days`` whole days; a minimum
    storage duration of D days charges those with ``age_days < D`` for the rest (``age_byte_ms``: bytes x age)."""

    bucket: str
    storage_class: str
    age_days: int
    count: int
    bytes: int
    age_byte_ms: float


@dataclass(frozen=True, slots=True)
class UsageReport:
    since_ms: int  # when accounting began
    now_ms: int  # the accruals run up to here
    stored: list[StoredUsage]
    counters: list[UsageCounter]
    early: list[EarlyRemoval]
