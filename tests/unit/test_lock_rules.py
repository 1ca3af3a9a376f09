"""Object Lock's rules as pure functions: what protects a version, which retention changes are allowed,
the default retention a new version gets, and the x-amz-object-lock-* headers as S3 checks them."""

from __future__ import annotations

import pytest

from gateway.wire.errors import S3Error
from gateway.wire.lock_rules import (
    COMPLIANCE,
    GOVERNANCE,
    DefaultRetention,
    LockConfiguration,
    ObjectLock,
    Retention,
    check_retention_change,
    iso_ms,
    new_version_lock,
    parse_date,
    parse_lock_headers,
    render_lock_headers,
)

NOW = 1_800_000_000_000
DAY = 86_400_000
LATER, SOONER = Retention(GOVERNANCE, NOW + 2 * DAY), Retention(GOVERNANCE, NOW + DAY)


@pytest.mark.parametrize(("lock", "bypass", "protected"), [
    (ObjectLock(Retention(GOVERNANCE, NOW + 1)), False, True),
    (ObjectLock(Retention(GOVERNANCE, NOW + 1)), True, False),
    (ObjectLock(Retention(COMPLIANCE, NOW + 1)), True, True),  # nobody bypasses COMPLIANCE
    (ObjectLock(Retention(COMPLIANCE, NOW)), False, False),  # over at its date
    (ObjectLock(Retention(GOVERNANCE, NOW - 1), legal_hold=True), True, True),  # a hold is no retention
    (ObjectLock(legal_hold=False), False, False),
])
def test_what_protects_a_version(lock: ObjectLock, bypass: bool, protected: bool) -> None:
    assert lock.protects(NOW, bypass=bypass) is protected


@pytest.mark.parametrize(("current", "new", "bypass", "allowed"), [
    (None, SOONER, False, True),
    (SOONER, LATER, False, True),  # extended
    (LATER, SOONER, False, False),  # shortened
    (LATER, SOONER, True, True),
    (LATER, None, False, False),  # removed
    (LATER, None, True, True),
    (SOONER, Retention(COMPLIANCE, NOW + 3 * DAY), False, False),  # GOVERNANCE -> COMPLIANCE wants the bypass
    (Retention(COMPLIANCE, NOW + DAY), Retention(COMPLIANCE, NOW + 2 * DAY), False, True),
    (Retention(COMPLIANCE, NOW + 2 * DAY), Retention(COMPLIANCE, NOW + DAY), True, False),
    (Retention(COMPLIANCE, NOW + DAY), Retention(GOVERNANCE, NOW + 2 * DAY), True, False),
    (Retention(COMPLIANCE, NOW + DAY), None, True, False),
    (Retention(COMPLIANCE, NOW - 1), None, False, True),  # expired: anything goes
])
def test_retention_changes(current: Retention | None, new: Retention | None, bypass: bool, allowed: bool) -> None:
    if allowed:
        check_retention_change(current, new, NOW, bypass=bypass)
        return
    with pytest.raises(S3Error) as caught:
        check_retention_change(current, new, NOW, bypass=bypass)
    assert (caught.value.code, caught.value.status) == ("AccessDenied", 403)
    assert caught.value.message == "Access Denied because object protected by object lock."


def test_a_new_version_gets_its_own_lock_or_the_default() -> None:
    config = LockConfiguration(DefaultRetention(COMPLIANCE, days=2))
    assert new_version_lock(config, None, NOW, DAY) == ObjectLock(Retention(COMPLIANCE, NOW + 2 * DAY))
    held = new_version_lock(config, ObjectLock(legal_hold=True), NOW, DAY)  # a hold alone keeps the default
    assert held == ObjectLock(Retention(COMPLIANCE, NOW + 2 * DAY), True)
    assert new_version_lock(config, ObjectLock(SOONER), NOW, DAY) == ObjectLock(SOONER)
    yearly = LockConfiguration(DefaultRetention(GOVERNANCE, years=1))
    assert new_version_lock(yearly, None, NOW, 10_000) == ObjectLock(Retention(GOVERNANCE, NOW + 365 * 10_000))
    assert new_version_lock(LockConfiguration(), None, NOW, DAY) is None
    assert new_version_lock(None, None, NOW, DAY) is None
    with pytest.raises(S3Error) as caught:
        new_version_lock(None, ObjectLock(legal_hold=False), NOW, DAY)
    assert caught.value.message == "Bucket is missing ObjectLockConfiguration"


def test_lock_headers_round_trip() -> None:
    lock = ObjectLock(Retention(COMPLIANCE, 1764086477123), True)
    headers = render_lock_headers(lock)
    assert headers == {"x-amz-object-lock-mode": "COMPLIANCE",
                       "x-amz-object-lock-retain-until-date": "2025-11-25T16:01:17.123Z",
                       "x-amz-object-lock-legal-hold": "ON"}
    assert parse_lock_headers(headers) == lock
    assert render_lock_headers(lock, retention=False) == {"x-amz-object-lock-legal-hold": "ON"}
    assert parse_lock_headers({}) is None
    assert iso_ms(0) == "1970-01-01T00:00:00.000Z"
    for value in ("2025-11-25T16:01:17.123Z", "2025-11-25T17:01:17.123+01:00", "2025-11-25T16:01:17.123"):
        assert parse_date(value) == 1764086477123
    assert parse_date("tomorrow") is None


@pytest.mark.parametrize(("headers", "code", "argument"), [
    ({"x-amz-object-lock-mode": "GOVERNANCE"}, "InvalidArgument", "x-amz-object-lock-retain-until-date"),
    ({"x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00Z"}, "InvalidArgument", "x-amz-object-lock-mode"),
    ({"x-amz-object-lock-mode": "governance", "x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00Z"},
     "InvalidArgument", "x-amz-object-lock-mode"),
    ({"x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": "soon"},
     "InvalidArgument", "x-amz-object-lock-retain-until-date"),
    ({"x-amz-object-lock-legal-hold": "on"}, "InvalidArgument", "x-amz-object-lock-legal-hold"),
    ({"x-amz-object-lock-event-hold": "ON"}, "NotImplemented", None),
])
def test_bad_lock_headers(headers: dict[str, str], code: str, argument: str | None) -> None:
    with pytest.raises(S3Error) as caught:
        parse_lock_headers(headers)
    assert caught.value.code == code
    assert caught.value.fields.get("ArgumentName") == argument
