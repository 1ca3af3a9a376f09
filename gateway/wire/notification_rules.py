"""Bucket notification configurations as data, the events S3 names, and which rules an event matches.

The gateway turns ``NotificationConfiguration`` XML into these types (``documents/notification.py``);
the local backend stores them as JSON with the bucket and matches each change against them inside
the change's own transaction (the outbox), so both sides share this module.

``ORIGIN`` carries who caused a change (the request's id, principal, address): request context that
storage records with an event without knowing HTTP, the way ``UNSIGNED_CALLER`` carries the caller.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

from gateway.wire.errors import Code, S3Error

# Every event type S3 documents that s3gate emits (s3:TestEvent is sent, never subscribed to).
EVENT_NAMES = (
    "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:Post", "s3:ObjectRestore:Completed", "s3:ObjectRestore:Delete",
    "s3:LifecycleExpiration:Delete", "s3:LifecycleExpiration:DeleteMarkerCreated", "s3:LifecycleTransition",
    "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete", "s3:ObjectAcl:Put",
)
WILDCARDS = tuple(sorted({name.rsplit(":", 1)[0] + ":*" for name in EVENT_NAMES if name.count(":") == 2}))
SUBSCRIBABLE = frozenset(EVENT_NAMES) | frozenset(WILDCARDS)
KINDS = ("queue", "topic", "lambda")  # QueueConfiguration, TopicConfiguration, CloudFunctionConfiguration
_ARN_SERVICE = {"queue": "sqs", "topic": "sns", "lambda": "lambda"}


@dataclass(frozen=True, slots=True)
class Rule:
    """One destination configuration: events under a prefix/suffix go to one target."""

    id: str
    kind: str  # one of KINDS
    arn: str
    events: tuple[str, ...]  # as given (wildcards kept, so the document reads back as sent)
    prefix: str | None = None
    suffix: str | None = None

    @property
    def target(self) -> str:
        """The declared target's name: the ARN's last field (``function:NAME`` for Lambda)."""
        return self.arn.rsplit(":", 1)[-1]

    def covers(self, event_name: str) -> bool:
        """``event_name`` without the ``s3:`` prefix (``ObjectCreated:Put``)."""
        full = "s3:" + event_name
        return any(e == full or (e.endswith(":*") and full.startswith(e[:-1])) for e in self.events)

    def selects(self, key: str) -> bool:
        return (self.prefix is None or key.startswith(self.prefix)) and \
            (self.suffix is None or key.endswith(self.suffix))


@dataclass(frozen=True, slots=True)
class Configuration:
    rules: tuple[Rule, ...] = ()
    event_bridge: bool = False  # kept and read back; s3gate has no EventBridge to deliver to

    def matching(self, event_name: str, key: str) -> list[Rule]:
        return [r for r in self.rules if r.covers(event_name) and r.selects(key)]

    def to_json(self) -> str:
        return json.dumps({"rules": [[r.id, r.kind, r.arn, list(r.events), r.prefix, r.suffix] for r in self.rules],
                           "event_bridge": self.event_bridge}, separators=(",", ":"))

    @staticmethod
    def from_json(document: str) -> Configuration:
        return _from_json(document)


@lru_cache(maxsize=256)
def _from_json(document: str) -> Configuration:
    """Cached by text: every write to a configured bucket reads it, the text changes rarely."""
    data = json.loads(document)
    return Configuration(tuple(Rule(i, k, a, tuple(e), p, s) for i, k, a, e, p, s in data["rules"]),
                         bool(data.get("event_bridge")))


# -- validation (AWS's InvalidArgument answers) -----------------------------------------------------
def check_events(events: list[str]) -> None:
    if not events:
        raise S3Error(Code.MalformedXML)
    for name in events:
        if name not in SUBSCRIBABLE:
            raise S3Error(Code.InvalidArgument, "The event is not supported for notifications",
                          ArgumentName="Event", ArgumentValue=name)


def _expanded(events: tuple[str, ...]) -> set[str]:
    return {n for n in EVENT_NAMES if any(e == n or (e.endswith(":*") and n.startswith(e[:-1])) for e in events)}


def _overlap(a: str | None, b: str | None, starts: bool) -> bool:
    """Two prefixes (or suffixes) overlap when some key could match both: one contains the other."""
    a, b = a or "", b or ""
    return b.startswith(a) or a.startswith(b) if starts else b.endswith(a) or a.endswith(b)


def check_overlaps(rules: tuple[Rule, ...]) -> None:
    """AWS refuses two rules that share an event type and could both match one key."""
    for i, first in enumerate(rules):
        for second in rules[i + 1:]:
            if _expanded(first.events) & _expanded(second.events) \
                    and _overlap(first.prefix, second.prefix, True) and _overlap(first.suffix, second.suffix, False):
                raise S3Error(Code.InvalidArgument, "Configurations overlap. Configurations on the same bucket "
                              "cannot share a common event type.", ArgumentName="Event",
                              ArgumentValue=sorted(_expanded(first.events) & _expanded(second.events))[0])


def destination_arn(kind: str, region: str, account: str, name: str) -> str:
    service = _ARN_SERVICE[kind]
    return f"arn:aws:{service}:{region}:{account}:" + (f"function:{name}" if kind == "lambda" else name)


def arn_target(kind: str, arn: str, region: str, account: str) -> str | None:
    """The target name an ARN of this gateway's region and account names, or None if it names another."""
    prefix = destination_arn(kind, region, account, "")
    return arn[len(prefix):] or None if arn.startswith(prefix) else None


# -- who caused a change ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Origin:
    """Recorded with each event: AWS's userIdentity, requestParameters and responseElements."""

    principal_id: str
    source_ip: str
    request_id: str
    host_id: str
    operation: str = ""  # the S3 operation (PostObject turns ObjectCreated:Put into ObjectCreated:Post)


# Lifecycle passes and restores finishing have no request: S3 names itself as the principal.
SERVICE_ORIGIN = Origin("s3.amazonaws.com", "s3.amazonaws.com", "", "")
ORIGIN: ContextVar[Origin | None] = ContextVar("s3gate_event_origin", default=None)
