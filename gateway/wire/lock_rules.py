"""Object Lock's model and rules, shared by the gateway and storage: what protects a version.

A version may carry a retention (GOVERNANCE or COMPLIANCE until a date) and a legal hold. While
either holds, the version cannot be deleted, though a delete marker can still be put over it;
GOVERNANCE gives way to a caller allowed ``s3:BypassGovernanceRetention`` who asks to bypass it,
COMPLIANCE and legal holds to nobody. A bucket's Object Lock configuration may give new versions a
default retention. Storage compares dates with its own clock (the local backend's is the lifecycle
clock, which the admin endpoint moves), so retention expires when the clock is advanced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.wire.errors import Code, S3Error

GOVERNANCE, COMPLIANCE = "GOVERNANCE", "COMPLIANCE"
MODES = (GOVERNANCE, COMPLIANCE)
MAX_DAYS, MAX_YEARS = 36500, 100
YEAR_DAYS = 365  # "Amazon S3 counts 1 year as 365 days"
LOCKED = "Access Denied because object protected by object lock."
MISSING_CONFIGURATION = "Bucket is missing Object Lock Configuration"  # retention and legal-hold operations
MISSING_ON_WRITE = "Bucket is missing ObjectLockConfiguration"  # PutObject, CopyObject, CreateMultipartUpload

MODE_HEADER = "x-amz-object-lock-mode"
UNTIL_HEADER = "x-amz-object-lock-retain-until-date"
HOLD_HEADER = "x-amz-object-lock-legal-hold"
EVENT_HOLD_HEADERS = ("x-amz-object-lock-event-hold", "x-amz-object-lock-event-hold-duration-days",
                      "x-amz-object-lock-event-hold-duration-years")
HOLD_STATUSES = {"ON": True, "OFF": False}


@dataclass(frozen=True, slots=True)
class Retention:
    mode: str  # GOVERNANCE or COMPLIANCE
    until_ms: int

    def active(self, now_ms: int) -> bool:
        return self.until_ms > now_ms


@dataclass(frozen=True, slots=True)
class ObjectLock:
    """A version's retention (None: none) and legal hold (None: never set, so its header is not shown)."""

    retention: Retention | None = None
    legal_hold: bool | None = None

    def protects(self, now_ms: int, *, bypass: bool) -> bool:
        """Whether deleting the version must be refused now (``bypass``: GOVERNANCE may be bypassed)."""
        if self.legal_hold:
            return True
        r = self.retention
        return r is not None and r.active(now_ms) and (r.mode == COMPLIANCE or not bypass)


@dataclass(frozen=True, slots=True)
class DefaultRetention:
    mode: str
    days: int | None = None  # exactly one of days and years
    years: int | None = None

    def until(self, created_ms: int, day_ms: int) -> int:
        """Retain-until of a version created at ``created_ms`` (``day_ms``: a lifecycle day's length)."""
        days = self.days if self.days is not None else (self.years or 0) * YEAR_DAYS
        return created_ms + days * day_ms


@dataclass(frozen=True, slots=True)
class LockConfiguration:
    """A bucket's Object Lock configuration; a bucket has one exactly when Object Lock is enabled."""

    default: DefaultRetention | None = None


def locked() -> S3Error:
    return S3Error(Code.AccessDenied, LOCKED)


def new_version_lock(config: LockConfiguration | None, requested: ObjectLock | None, created_ms: int,
                     day_ms: int) -> ObjectLock | None:
    """The lock a new version gets: what the write asked for, its retention else the bucket's default."""
    if config is None:
        if requested is not None:
            raise S3Error(Code.InvalidRequest, MISSING_ON_WRITE)
        return None
    retention = requested.retention if requested is not None else None
    if retention is None and config.default is not None:
        retention = Retention(config.default.mode, config.default.until(created_ms, day_ms))
    hold = requested.legal_hold if requested is not None else None
    return ObjectLock(retention, hold) if retention is not None or hold is not None else None


def check_retention_change(current: Retention | None, new: Retention | None, now_ms: int, *, bypass: bool) -> None:
    """PutObjectRetention: a retention in force may be kept or extended in its mode; COMPLIANCE allows
    nothing else, GOVERNANCE anything (shortening, removal, a change of mode) only with ``bypass``."""
    if current is None or not current.active(now_ms):
        return
    kept = new is not None and new.mode == current.mode and new.until_ms >= current.until_ms
    if not kept and (current.mode == COMPLIANCE or not bypass):
        raise locked()


# -- x-amz-object-lock-* headers ----------------------------------------------------------------------
def iso_ms(ms: int) -> str:
    """``2026-03-08T21:30:37.123Z``: retain-until dates keep their milliseconds."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_date(value: str) -> int | None:
    """An ISO 8601 date (UTC when it names no offset) -> milliseconds; None if it is not one."""
    try:
        when = datetime.fromisoformat(value.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def render_lock_headers(lock: ObjectLock, *, retention: bool = True, legal_hold: bool = True) -> dict[str, str]:
    headers: dict[str, str] = {}
    if retention and lock.retention is not None:
        headers[MODE_HEADER] = lock.retention.mode
        headers[UNTIL_HEADER] = iso_ms(lock.retention.until_ms)
    if legal_hold and lock.legal_hold is not None:
        headers[HOLD_HEADER] = "ON" if lock.legal_hold else "OFF"
    return headers


def _invalid(message: str, name: str, value: str | None = None) -> S3Error:
    fields = {"ArgumentName": name} if value is None else {"ArgumentName": name, "ArgumentValue": value}
    return S3Error(Code.InvalidArgument, message, fields=fields)


def parse_lock_headers(headers: Mapping[str, str]) -> ObjectLock | None:
    """The lock a write names in its headers (or POST fields), checked as S3 checks them (None: none)."""
    if any(name in headers for name in EVENT_HOLD_HEADERS):
        raise S3Error(Code.NotImplemented, "s3gate does not implement Object Lock event holds.")
    mode, until, hold = headers.get(MODE_HEADER), headers.get(UNTIL_HEADER), headers.get(HOLD_HEADER)
    if mode is None and until is None and hold is None:
        return None
    retention = None
    if mode is not None or until is not None:
        both = "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"
        if until is None:
            raise _invalid(both, UNTIL_HEADER)
        if mode is None:
            raise _invalid(both, MODE_HEADER)
        if mode not in MODES:
            raise _invalid("Unknown wormMode directive.", MODE_HEADER, mode)
        until_ms = parse_date(until)
        if until_ms is None:
            raise _invalid("The retain until date must be provided in ISO 8601 format", UNTIL_HEADER, until)
        retention = Retention(mode, until_ms)
    on = None
    if hold is not None:
        on = HOLD_STATUSES.get(hold)
        if on is None:
            raise _invalid("Legal Hold must be either of 'ON' or 'OFF'", HOLD_HEADER, hold)
    return ObjectLock(retention, on)


def check_future(retention: Retention | None, now_ms: int, name: str, value: str) -> None:
    if retention is not None and not retention.active(now_ms):
        raise _invalid("The retain until date must be in the future!", name, value)
