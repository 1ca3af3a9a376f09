"""Lifecycle rules as data: what a rule selects, what it does, and when.

The gateway turns ``LifecycleConfiguration`` XML into these types (``gateway/wire/lifecycle_xml.py``);
backends store them as JSON and enforce them. Time is counted on the lifecycle clock
(:class:`Clock`): real time, plus an offset an administrator can advance, with a "day" that can
be shortened (``--lifecycle-day-seconds``) so tests and demos need not wait for days.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import lru_cache

DAY_MS = 86_400_000
# Transitions only go down this list (S3's "waterfall"); STANDARD and REDUCED_REDUNDANCY are the top.
CLASS_RANK = {"STANDARD": 0, "REDUCED_REDUNDANCY": 0, "STANDARD_IA": 1, "INTELLIGENT_TIERING": 2,
              "ONEZONE_IA": 3, "GLACIER_IR": 4, "GLACIER": 5, "DEEP_ARCHIVE": 6}
TRANSITION_CLASSES = ("STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")
ARCHIVE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")  # GET needs a restore first
DEFAULT_MIN_TRANSITION_SIZE = "all_storage_classes_128K"
MIN_TRANSITION_BYTES = 128 * 1024


@dataclass(frozen=True, slots=True)
class Filter:
    prefix: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    size_greater_than: int | None = None
    size_less_than: int | None = None

    def matches(self, key: str, size: int, tags: dict[str, str]) -> bool:
        if not key.startswith(self.prefix):
            return False
        if self.size_greater_than is not None and not size > self.size_greater_than:
            return False
        if self.size_less_than is not None and not size < self.size_less_than:
            return False
        return all(tags.get(k) == v for k, v in self.tags)


@dataclass(frozen=True, slots=True)
class Transition:
    storage_class: str
    days: int | None = None
    date_ms: int | None = None
    newer_noncurrent_versions: int | None = None  # noncurrent transitions only


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    enabled: bool
    filter: Filter = Filter()
    prefix_style: str = "filter"  # how the XML gave the prefix ("filter" or the legacy rule-level "rule")
    filter_shape: str = "prefix"  # "prefix", "tag", "and", "size_gt", "size_lt", "empty": for rendering
    expiration_days: int | None = None
    expiration_date_ms: int | None = None
    expired_object_delete_marker: bool | None = None
    noncurrent_days: int | None = None
    newer_noncurrent_versions: int | None = None
    transitions: tuple[Transition, ...] = ()
    noncurrent_transitions: tuple[Transition, ...] = ()
    abort_days: int | None = None


@dataclass(frozen=True, slots=True)
class Configuration:
    rules: tuple[Rule, ...]
    min_transition_size: str = DEFAULT_MIN_TRANSITION_SIZE

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @staticmethod
    def from_json(text: str) -> Configuration:
        return _from_json(text)

    def transition_floor(self) -> int:
        return MIN_TRANSITION_BYTES if self.min_transition_size == DEFAULT_MIN_TRANSITION_SIZE else 0


@lru_cache(maxsize=256)
def _from_json(text: str) -> Configuration:
    doc = json.loads(text)
    rules = []
    for r in doc["rules"]:
        f = r["filter"]
        rules.append(Rule(
            **{k: v for k, v in r.items() if k not in ("filter", "transitions", "noncurrent_transitions")},
            filter=Filter(f["prefix"], tuple((k, v) for k, v in f["tags"]), f["size_greater_than"],
                          f["size_less_than"]),
            transitions=tuple(Transition(**t) for t in r["transitions"]),
            noncurrent_transitions=tuple(Transition(**t) for t in r["noncurrent_transitions"]),
        ))
    return Configuration(tuple(rules), doc["min_transition_size"])


@dataclass(slots=True)
class Clock:
    """The lifecycle clock: ``now`` is real time plus an offset; a day lasts ``day_ms``."""

    day_ms: int = DAY_MS
    offset_ms: int = 0

    def now_ms(self) -> int:
        return int(datetime.now(UTC).timestamp() * 1000) + self.offset_ms

    def due(self, since_ms: int, days: int) -> int:
        """When ``days`` have passed since ``since_ms``; real days round up to the next midnight UTC, as in S3."""
        at = since_ms + days * self.day_ms
        if self.day_ms == DAY_MS:
            at = -(-at // DAY_MS) * DAY_MS
        return at

    def cutoff(self, now_ms: int, days: int) -> int:
        """The latest event time whose ``days``-day deadline has passed at ``now_ms``."""
        if self.day_ms == DAY_MS:
            midnight = now_ms // DAY_MS * DAY_MS
            return midnight - days * DAY_MS
        return now_ms - days * self.day_ms


def expiration_of(config: Configuration, key: str, size: int, tags: dict[str, str], modified_ms: int,
                  clock: Clock) -> tuple[int, str] | None:
    """(expiry time, rule id) of a current version under the earliest-expiring enabled rule."""
    best: tuple[int, str] | None = None
    for rule in config.rules:
        if not rule.enabled or not rule.filter.matches(key, size, tags):
            continue
        if rule.expiration_days is not None:
            at = clock.due(modified_ms, rule.expiration_days)
        elif rule.expiration_date_ms is not None:
            at = rule.expiration_date_ms
        else:
            continue
        if best is None or at < best[0]:
            best = (at, rule.id)
    return best
