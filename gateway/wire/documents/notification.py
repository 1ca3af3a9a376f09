"""The NotificationConfiguration document, both directions.

``<NotificationConfiguration>`` holds ``TopicConfiguration``, ``QueueConfiguration`` and
``CloudFunctionConfiguration`` elements (each: ``Id``, the ARN, ``Event``s, an optional
``Filter/S3Key/FilterRule`` list of ``prefix``/``suffix``) and an optional ``EventBridgeConfiguration``.
Rendered in that order, as S3 answers GetBucketNotificationConfiguration.
"""

from __future__ import annotations

import uuid

from gateway.wire import xml
from gateway.wire.errors import Code, S3Error
from gateway.wire.notification_rules import Configuration, Rule, check_events, check_overlaps

ROOT = "NotificationConfiguration"
# kind -> (element, ARN element), in S3's order
_ELEMENTS = {"topic": ("TopicConfiguration", "Topic"), "queue": ("QueueConfiguration", "Queue"),
             "lambda": ("CloudFunctionConfiguration", "CloudFunction")}
MAX_ID = 255


def _filter(config: xml.Element) -> tuple[str | None, str | None]:
    element = xml.child(config, "Filter")
    if element is None:
        return None, None
    key = xml.child(element, "S3Key")
    if key is None:
        return None, None
    found: dict[str, str] = {}
    for rule in xml.children(key, "FilterRule"):
        name, value = xml.text(rule, "Name"), xml.text(rule, "Value")
        if name is None or value is None:
            raise S3Error(Code.MalformedXML)
        name = name.lower()
        if name not in ("prefix", "suffix"):
            raise S3Error(Code.InvalidArgument, "filter rule name must be either prefix or suffix",
                          ArgumentName="FilterRule", ArgumentValue=name)
        if name in found:
            raise S3Error(Code.InvalidArgument, f"Cannot specify more than one {name} rule in a filter.",
                          ArgumentName="FilterRule", ArgumentValue=name)
        found[name] = value
    return found.get("prefix"), found.get("suffix")


def parse_notification(doc: xml.Element) -> Configuration:
    """A PUT body: structure (MalformedXML), event names, filter rules and overlaps (InvalidArgument).

    Destinations are checked by the caller, which knows the declared targets."""
    rules: list[Rule] = []
    ids: set[str] = set()
    for child in doc:
        name = xml.local(child)
        kind = next((k for k, (element, _) in _ELEMENTS.items() if element == name), None)
        if kind is None:
            if name == "EventBridgeConfiguration" or not name:
                continue
            raise S3Error(Code.MalformedXML)
        arn = xml.text(child, _ELEMENTS[kind][1])
        if not arn:
            raise S3Error(Code.MalformedXML)
        events = [(e.text or "").strip() for e in xml.children(child, "Event")]
        check_events(events)
        rule_id = xml.text(child, "Id") or _new_id()
        if len(rule_id) > MAX_ID:
            raise S3Error(Code.InvalidArgument, "The ID is too long", ArgumentName="Id", ArgumentValue=rule_id)
        if rule_id in ids:
            raise S3Error(Code.InvalidArgument, "Configuration ID must be unique.", ArgumentName="Id",
                          ArgumentValue=rule_id)
        ids.add(rule_id)
        prefix, suffix = _filter(child)
        rules.append(Rule(rule_id, kind, arn.strip(), tuple(events), prefix, suffix))
    configuration = Configuration(tuple(rules), xml.child(doc, "EventBridgeConfiguration") is not None)
    check_overlaps(configuration.rules)
    return configuration


def _new_id() -> str:
    """S3 names an unnamed configuration with a random id (it reads back on GET)."""
    return uuid.uuid4().hex


def render_notification(configuration: Configuration) -> xml.Element:
    root = xml.document(ROOT)
    for kind, (element, arn_element) in _ELEMENTS.items():
        for rule in configuration.rules:
            if rule.kind != kind:
                continue
            el = xml.sub(root, element)
            xml.sub(el, "Id", rule.id)
            xml.sub(el, arn_element, rule.arn)
            for event in rule.events:
                xml.sub(el, "Event", event)
            if rule.prefix is not None or rule.suffix is not None:
                key = xml.sub(xml.sub(el, "Filter"), "S3Key")
                for name, value in (("Prefix", rule.prefix), ("Suffix", rule.suffix)):  # as S3 reads them back
                    if value is not None:
                        xml.subs(xml.sub(key, "FilterRule"), [("Name", name), ("Value", value)])
    if configuration.event_bridge:
        xml.sub(root, "EventBridgeConfiguration")
    return root
