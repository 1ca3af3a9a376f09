"""The NotificationConfiguration document (golden file both ways), rule matching, and the event JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.events import messages
from gateway.wire import xml
from gateway.wire.documents.notification import ROOT, parse_notification, render_notification
from gateway.wire.errors import S3Error
from gateway.wire.notification_rules import Configuration, Origin, Rule, arn_target
from storage_backends.outbox import OutboxEvent

GOLDEN = Path(__file__).parent / "golden" / "notification-configuration.xml"
CONFIG = Configuration((
    Rule("audit", "topic", "arn:aws:sns:us-east-1:000000000000:audit", ("s3:ObjectRemoved:Delete",
                                                                       "s3:ObjectTagging:*")),
    Rule("thumbs", "queue", "arn:aws:sqs:us-east-1:000000000000:jobs", ("s3:ObjectCreated:*",), "images/", ".jpg"),
    Rule("fn", "lambda", "arn:aws:lambda:us-east-1:000000000000:function:resize", ("s3:ObjectRestore:Completed",),
         None, ".png"),
), event_bridge=True)


def test_golden_both_ways() -> None:
    assert xml.render(render_notification(CONFIG)) == GOLDEN.read_bytes()
    assert parse_notification(xml.parse(GOLDEN.read_bytes(), ROOT)) == CONFIG
    assert Configuration.from_json(CONFIG.to_json()) == CONFIG


def _doc(inner: str) -> xml.Element:
    return xml.parse(f'<NotificationConfiguration xmlns="{xml.NS}">{inner}</NotificationConfiguration>'.encode(),
                     ROOT)


def _queue(events: str, filters: str = "", rule_id: str = "") -> str:
    return (f"<QueueConfiguration>{f'<Id>{rule_id}</Id>' if rule_id else ''}"
            f"<Queue>arn:aws:sqs:us-east-1:000000000000:q</Queue>{events}{filters}</QueueConfiguration>")


def _filter(*rules: tuple[str, str]) -> str:
    return "<Filter><S3Key>" + "".join(f"<FilterRule><Name>{n}</Name><Value>{v}</Value></FilterRule>"
                                       for n, v in rules) + "</S3Key></Filter>"


@pytest.mark.parametrize("inner, message", [
    (_queue("<Event>s3:ObjectCreated:Nope</Event>"), "The event is not supported for notifications"),
    (_queue("<Event>s3:ObjectCreated:*</Event>", _filter(("contains", "x"))),
     "filter rule name must be either prefix or suffix"),
    (_queue("<Event>s3:ObjectCreated:*</Event>", _filter(("prefix", "a"), ("Prefix", "b"))),
     "Cannot specify more than one prefix rule in a filter."),
    (_queue("<Event>s3:ObjectCreated:*</Event>", _filter(("prefix", "a/")), "one")
     + _queue("<Event>s3:ObjectCreated:Put</Event>", _filter(("prefix", "a/b")), "two"),
     "Configurations overlap. Configurations on the same bucket cannot share a common event type."),
    (_queue("<Event>s3:ObjectCreated:*</Event>", rule_id="x") + _queue("<Event>s3:ObjectRemoved:*</Event>",
                                                                         rule_id="x"),
     "Configuration ID must be unique."),
])
def test_invalid_arguments(inner: str, message: str) -> None:
    with pytest.raises(S3Error) as info:
        parse_notification(_doc(inner))
    assert (info.value.code, info.value.message) == ("InvalidArgument", message)


def test_no_overlap_when_filters_cannot_both_match() -> None:
    parse_notification(_doc(_queue("<Event>s3:ObjectCreated:*</Event>", _filter(("suffix", ".jpg")), "a")
                            + _queue("<Event>s3:ObjectCreated:*</Event>", _filter(("suffix", ".png")), "b")
                            + _queue("<Event>s3:ObjectRemoved:*</Event>", rule_id="c")))


def test_matching_and_arns() -> None:
    assert [r.id for r in CONFIG.matching("ObjectCreated:Copy", "images/cat.jpg")] == ["thumbs"]
    assert CONFIG.matching("ObjectCreated:Copy", "images/cat.png") == []
    assert [r.id for r in CONFIG.matching("ObjectTagging:Delete", "x")] == ["audit"]
    assert arn_target("lambda", "arn:aws:lambda:us-east-1:000000000000:function:resize", "us-east-1",
                      "000000000000") == "resize"
    assert arn_target("queue", "arn:aws:sqs:eu-west-1:000000000000:jobs", "us-east-1", "000000000000") is None


def test_event_record() -> None:
    event = OutboxEvent(7, 5, "jobs", "thumbs", "ObjectCreated:Put", 1_700_000_000_123, "b", "owner",
                        "photos/red flower~1*.jpg", None, 3, "etag", Origin("p", "1.2.3.4", "REQ", "HOST"))
    record = messages.record(event, "eu-west-1")
    assert record["eventTime"] == "2023-11-14T22:13:20.123Z" and record["eventVersion"] == "2.1"
    assert record["s3"]["object"] == {"key": "photos/red+flower%7E1*.jpg", "size": 3, "eTag": "etag",
                                      "sequencer": "0000000000000005"}
    assert messages.event_version("LifecycleTransition") == messages.event_version("ObjectAcl:Put") == "2.3"
