"""Object Lock's documents: ObjectLockConfiguration, Retention and LegalHold (botocore's shapes).

Parsing a request is strict, with S3's answers (LocalStack's recordings of S3): anything but
``ObjectLockEnabled`` ``Enabled``, an empty ``Rule`` or ``DefaultRetention``, a mode without a
period, both ``Days`` and ``Years``, an unknown mode: MalformedXML; a period of 0 or less:
InvalidArgument. Answers from an upstream are read leniently (``strict=False``): moto, for one,
writes an empty default retention for "none". Event holds (2026) are not implemented.
"""

from __future__ import annotations

from gateway.wire import xml
from gateway.wire.errors import Code, S3Error
from gateway.wire.lock_rules import (
    MAX_DAYS,
    MAX_YEARS,
    MODES,
    DefaultRetention,
    LockConfiguration,
    Retention,
    iso_ms,
    parse_date,
)

CONFIGURATION_ROOT, RETENTION_ROOT, LEGAL_HOLD_ROOT = "ObjectLockConfiguration", "Retention", "LegalHold"
_NO_EVENT_HOLDS = "s3gate does not implement Object Lock event holds."


def render_configuration(config: LockConfiguration) -> xml.Element:
    root = xml.document(CONFIGURATION_ROOT)
    xml.sub(root, "ObjectLockEnabled", "Enabled")
    default = config.default
    if default is not None:
        retention = xml.sub(xml.sub(root, "Rule"), "DefaultRetention")
        xml.subs(retention, [("Mode", default.mode), ("Days", default.days), ("Years", default.years)])
    return root


def _period(el: xml.Element, name: str, limit: int) -> int | None:
    text = xml.text(el, name)
    if text is None:
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise S3Error(Code.MalformedXML) from None
    if value <= 0:
        raise S3Error(Code.InvalidArgument, "Default retention period must be a positive integer value.",
                      ArgumentName=name, ArgumentValue=text)
    if value > limit:
        raise S3Error(Code.InvalidArgument, "Default retention period too large.", ArgumentName=name,
                      ArgumentValue=text)
    return value


def _lenient(el: xml.Element, name: str) -> int | None:
    text = (xml.text(el, name) or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def parse_configuration(doc: xml.Element, *, strict: bool = True) -> LockConfiguration:
    if strict and xml.text(doc, "ObjectLockEnabled") != "Enabled":
        raise S3Error(Code.MalformedXML)
    rule = xml.child(doc, "Rule")
    retention = xml.child(rule, "DefaultRetention") if rule is not None else None
    if retention is None:
        if strict and rule is not None:
            raise S3Error(Code.MalformedXML)
        return LockConfiguration()
    if xml.child(retention, "DefaultEventHold") is not None:
        raise S3Error(Code.NotImplemented, _NO_EVENT_HOLDS)
    mode = xml.text(retention, "Mode")
    if not strict:
        days, years = _lenient(retention, "Days"), _lenient(retention, "Years")
        if mode is None or mode not in MODES or not (days or years):
            return LockConfiguration()
        return LockConfiguration(DefaultRetention(mode, days, years))
    days, years = _period(retention, "Days", MAX_DAYS), _period(retention, "Years", MAX_YEARS)
    if mode not in MODES or (days is None) == (years is None):
        raise S3Error(Code.MalformedXML)
    return LockConfiguration(DefaultRetention(mode, days, years))


def render_retention(retention: Retention) -> xml.Element:
    root = xml.document(RETENTION_ROOT)
    xml.subs(root, [("Mode", retention.mode), ("RetainUntilDate", iso_ms(retention.until_ms))])
    return root


def parse_retention(doc: xml.Element) -> Retention | None:
    """A mode and a date, or neither (None: remove the retention, which only a GOVERNANCE bypass may)."""
    if xml.child(doc, "EventHold") is not None or xml.child(doc, "EventHoldDuration") is not None:
        raise S3Error(Code.NotImplemented, _NO_EVENT_HOLDS)
    mode, until = xml.text(doc, "Mode"), xml.text(doc, "RetainUntilDate")
    if mode is None and until is None:
        return None
    until_ms = parse_date(until) if until is not None else None
    if mode not in MODES or until_ms is None:
        raise S3Error(Code.MalformedXML)
    return Retention(mode, until_ms)


def render_legal_hold(on: bool) -> xml.Element:
    root = xml.document(LEGAL_HOLD_ROOT)
    xml.sub(root, "Status", "ON" if on else "OFF")
    return root


def parse_legal_hold(doc: xml.Element) -> bool:
    status = xml.text(doc, "Status")
    if status not in ("ON", "OFF"):
        raise S3Error(Code.MalformedXML)
    return status == "ON"
