"""``LifecycleConfiguration`` XML <-> :mod:`storage_backends.lifecycle`, with S3's validation."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.wire import xml
from gateway.wire.errors import Code, S3Error
from gateway.wire.lifecycle_rules import (
    DEFAULT_MIN_TRANSITION_SIZE,
    TRANSITION_CLASSES,
    Configuration,
    Filter,
    Rule,
    Transition,
)

MAX_RULES = 1000
MIN_TRANSITION_SIZES = (DEFAULT_MIN_TRANSITION_SIZE, "varies_by_storage_class")


def _invalid(message: str) -> S3Error:
    return S3Error(Code.InvalidArgument, message)


def _int(el: xml.Element, name: str, *, positive: bool = True, what: str = "") -> int | None:
    raw = xml.text(el, name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise S3Error(Code.MalformedXML) from None
    if positive and value <= 0:
        raise _invalid(f"'{name}' for {what or el.tag.rsplit('}', 1)[-1]} action must be a positive integer")
    return value


def _date(el: xml.Element) -> int | None:
    raw = xml.text(el, "Date")
    if raw is None:
        return None
    try:
        when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _invalid("'Date' must be in ISO 8601 format") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC)
    if (when.hour, when.minute, when.second, when.microsecond) != (0, 0, 0, 0):
        raise _invalid("'Date' must be at midnight GMT")
    return int(when.timestamp() * 1000)


def _tag(el: xml.Element) -> tuple[str, str]:
    key, value = xml.text(el, "Key"), xml.text(el, "Value")
    if key is None or value is None:
        raise S3Error(Code.MalformedXML)
    return key, value


def _filter(rule_el: xml.Element) -> tuple[Filter, str, str]:
    """(filter, where the prefix came from, which filter element was used)."""
    legacy = xml.text(rule_el, "Prefix")
    filt = xml.child(rule_el, "Filter")
    if legacy is not None and filt is not None:
        raise S3Error(Code.MalformedXML)
    if filt is None:
        if legacy is None:
            raise S3Error(Code.MalformedXML)
        return Filter(prefix=legacy), "rule", "prefix"
    present = [xml.local(c) for c in filt]
    if len(present) > 1:
        raise S3Error(Code.MalformedXML)
    if not present:
        return Filter(), "filter", "empty"
    kind = present[0]
    if kind == "Prefix":
        return Filter(prefix=xml.text(filt, "Prefix") or ""), "filter", "prefix"
    if kind == "Tag":
        tag_el = xml.child(filt, "Tag")
        assert tag_el is not None
        return Filter(tags=(_tag(tag_el),)), "filter", "tag"
    if kind == "ObjectSizeGreaterThan":
        return Filter(size_greater_than=_int(filt, kind, positive=False)), "filter", "size_gt"
    if kind == "ObjectSizeLessThan":
        return Filter(size_less_than=_int(filt, kind, positive=False)), "filter", "size_lt"
    if kind == "And":
        and_el = xml.child(filt, "And")
        assert and_el is not None
        tags = tuple(_tag(t) for t in xml.children(and_el, "Tag"))
        if len({k for k, _ in tags}) != len(tags):
            raise _invalid("Duplicate Tag Keys are not allowed.")
        result = Filter(prefix=xml.text(and_el, "Prefix") or "", tags=tags,
                        size_greater_than=_int(and_el, "ObjectSizeGreaterThan", positive=False),
                        size_less_than=_int(and_el, "ObjectSizeLessThan", positive=False))
        if (result.size_greater_than is not None and result.size_less_than is not None
                and result.size_greater_than >= result.size_less_than):
            raise _invalid("The value of ObjectSizeGreaterThan must be less than the value of ObjectSizeLessThan.")
        return result, "filter", "and"
    raise S3Error(Code.MalformedXML)


def _transitions(rule_el: xml.Element, name: str, days_name: str) -> tuple[Transition, ...]:
    out = []
    for el in xml.children(rule_el, name):
        storage_class = xml.text(el, "StorageClass")
        if storage_class not in TRANSITION_CLASSES:
            raise S3Error(Code.InvalidStorageClass, "The storage class you specified is not valid",
                          StorageClassRequested=storage_class or "")
        days = _int(el, days_name, positive=False, what=name)
        if days is not None and days < 0:
            raise _invalid(f"'{days_name}' in {name} action must be nonnegative")
        date = _date(el) if name == "Transition" else None
        if (days is None) == (date is None):
            raise S3Error(Code.MalformedXML)
        if storage_class in ("STANDARD_IA", "ONEZONE_IA") and days is not None and days < 30:
            raise _invalid(f"'{days_name}' in {name} action must be greater than or equal to 30 for storageClass "
                           f"'{storage_class}'")
        out.append(Transition(storage_class, days, date, _int(el, "NewerNoncurrentVersions")))
    if len({t.storage_class for t in out}) != len(out):
        raise _invalid(f"'StorageClass' must be different for '{name}' actions in same 'Rule'.")
    return tuple(out)


def _rule(el: xml.Element, index: int) -> Rule:
    rule_id = xml.text(el, "ID") or f"rule-{index}"
    if len(rule_id) > 255:
        raise _invalid("ID length should not exceed allowed limit of 255")
    status = xml.text(el, "Status")
    if status not in ("Enabled", "Disabled"):
        raise S3Error(Code.MalformedXML)
    filt, prefix_style, shape = _filter(el)
    days = date = marker = None
    expiration = xml.child(el, "Expiration")
    if expiration is not None:
        days, date = _int(expiration, "Days", what="Expiration"), _date(expiration)
        raw_marker = xml.text(expiration, "ExpiredObjectDeleteMarker")
        if raw_marker is not None:
            if raw_marker not in ("true", "false"):
                raise S3Error(Code.MalformedXML)
            marker = raw_marker == "true"
        given = sum(x is not None for x in (days, date, marker))
        if given != 1:
            raise (S3Error(Code.MalformedXML) if given == 0 else _invalid(
                "ExpiredObjectDeleteMarker cannot be specified with Days or Date in a Lifecycle Expiration Policy."))
        if marker and filt.tags:
            raise _invalid("ExpiredObjectDeleteMarker cannot be specified with tags.")
    noncurrent_days = newer = None
    noncurrent = xml.child(el, "NoncurrentVersionExpiration")
    if noncurrent is not None:
        noncurrent_days = _int(noncurrent, "NoncurrentDays", what="NoncurrentVersionExpiration")
        newer = _int(noncurrent, "NewerNoncurrentVersions", what="NoncurrentVersionExpiration")
        if noncurrent_days is None:
            raise S3Error(Code.MalformedXML)
        if newer is not None and newer > 100:
            raise _invalid("'NewerNoncurrentVersions' cannot be greater than 100.")
    abort_days = None
    abort = xml.child(el, "AbortIncompleteMultipartUpload")
    if abort is not None:
        abort_days = _int(abort, "DaysAfterInitiation", what="AbortIncompleteMultipartUpload")
        if abort_days is None:
            raise S3Error(Code.MalformedXML)
        if filt.tags or filt.size_greater_than is not None or filt.size_less_than is not None:
            raise _invalid("AbortIncompleteMultipartUpload cannot be specified with Tags or ObjectSize filters.")
    transitions = _transitions(el, "Transition", "Days")
    noncurrent_transitions = _transitions(el, "NoncurrentVersionTransition", "NoncurrentDays")
    for t in transitions:
        if days is not None and t.days is not None and t.days >= days:
            raise _invalid("'Days' in the Expiration action for filter must be greater than 'Days' in the "
                           "Transition action")
    if not (days or date or marker is not None or noncurrent_days or abort_days or transitions
            or noncurrent_transitions):
        raise _invalid("At least one action needs to be specified in a rule")
    return Rule(rule_id, status == "Enabled", filt, prefix_style, shape, days, date, marker, noncurrent_days, newer,
                transitions, noncurrent_transitions, abort_days)


def parse_configuration(doc: xml.Element, min_transition_size: str | None) -> Configuration:
    rules = [_rule(el, i) for i, el in enumerate(xml.children(doc, "Rule"), start=1)]
    if not rules:
        raise S3Error(Code.MalformedXML)
    if len(rules) > MAX_RULES:
        raise _invalid(f"The number of lifecycle rules should not exceed allowed limit of {MAX_RULES} rules")
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise _invalid("Rule ID must be unique. Found same ID for more than one rule")
    size = min_transition_size or DEFAULT_MIN_TRANSITION_SIZE
    if size not in MIN_TRANSITION_SIZES:
        raise _invalid("Invalid value for x-amz-transition-default-minimum-object-size")
    return Configuration(tuple(rules), size)


def _render_filter(parent: xml.Element, rule: Rule) -> None:
    f = rule.filter
    if rule.prefix_style == "rule":
        xml.sub(parent, "Prefix", f.prefix)
        return
    el = xml.sub(parent, "Filter")
    if rule.filter_shape == "prefix":
        xml.sub(el, "Prefix", f.prefix)
    elif rule.filter_shape == "tag":
        tag = xml.sub(el, "Tag")
        xml.subs(tag, [("Key", f.tags[0][0]), ("Value", f.tags[0][1])])
    elif rule.filter_shape == "size_gt":
        xml.sub(el, "ObjectSizeGreaterThan", f.size_greater_than)
    elif rule.filter_shape == "size_lt":
        xml.sub(el, "ObjectSizeLessThan", f.size_less_than)
    elif rule.filter_shape == "and":
        both = xml.sub(el, "And")
        if f.prefix:
            xml.sub(both, "Prefix", f.prefix)
        for key, value in f.tags:
            tag = xml.sub(both, "Tag")
            xml.subs(tag, [("Key", key), ("Value", value)])
        xml.subs(both, [("ObjectSizeGreaterThan", f.size_greater_than), ("ObjectSizeLessThan", f.size_less_than)])


def _iso_date(ms: int | None) -> str | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def render_configuration(config: Configuration) -> xml.Element:
    root = xml.document("LifecycleConfiguration")
    for rule in config.rules:
        el = xml.sub(root, "Rule")
        xml.sub(el, "ID", rule.id)
        _render_filter(el, rule)
        xml.sub(el, "Status", "Enabled" if rule.enabled else "Disabled")
        for t in rule.transitions:
            tr = xml.sub(el, "Transition")
            xml.subs(tr, [("Date", _iso_date(t.date_ms)), ("Days", t.days), ("StorageClass", t.storage_class)])
        for t in rule.noncurrent_transitions:
            tr = xml.sub(el, "NoncurrentVersionTransition")
            xml.subs(tr, [("NoncurrentDays", t.days), ("StorageClass", t.storage_class),
                          ("NewerNoncurrentVersions", t.newer_noncurrent_versions)])
        if rule.expiration_days or rule.expiration_date_ms or rule.expired_object_delete_marker is not None:
            exp = xml.sub(el, "Expiration")
            xml.subs(exp, [("Date", _iso_date(rule.expiration_date_ms)), ("Days", rule.expiration_days),
                           ("ExpiredObjectDeleteMarker", rule.expired_object_delete_marker)])
        if rule.noncurrent_days is not None:
            nc = xml.sub(el, "NoncurrentVersionExpiration")
            xml.subs(nc, [("NoncurrentDays", rule.noncurrent_days),
                          ("NewerNoncurrentVersions", rule.newer_noncurrent_versions)])
        if rule.abort_days is not None:
            xml.sub(xml.sub(el, "AbortIncompleteMultipartUpload"), "DaysAfterInitiation", rule.abort_days)
    return root
