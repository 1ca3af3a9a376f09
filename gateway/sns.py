"""The SNS topic actions Ceph RGW serves, for targets made at run time: CreateTopic (with a ``push-endpoint``
attribute), ListTopics, GetTopicAttributes, DeleteTopic.

They are Query API calls (form-encoded POST, XML answers in SNS's namespace) signed for service ``sns`` on
the gateway's own endpoint, so they come through the Query API door (``gateway.iam.door``), which verifies
the signature. Authorization: only an account's root may call them (``AuthorizationError`` otherwise,
whatever an IAM policy says), since a push endpoint makes the gateway connect wherever it names.

A topic is stored in the metadata store and is a notification target like a declared one: its ARN,
``arn:aws:sns:REGION:ACCOUNT:NAME`` (the creator's account), names it in a bucket's
``TopicConfigurations``, and the dispatcher picks it up within seconds. ``push-endpoint`` takes any URL
``--notify-target`` takes; Ceph's ``amqp-exchange`` attribute fills in an AMQP URL's ``exchange`` (the
routing key is the topic's name, as in Ceph). Creating a topic that exists changes its endpoint, as in Ceph.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from lxml import etree

from gateway.access.identity import Identity
from gateway.events.targets import open_target, redacted_url
from gateway.iam.errors import IamError
from gateway.wire import xml
from storage_backends.outbox import Outbox, Topic

SNS_NS = "http://sns.amazonaws.com/doc/2010-03-31/"
_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")  # SNS's topic names
_ATTRIBUTE = re.compile(r"Attributes\.entry\.(\d+)\.(key|value)")
# Ceph's attributes s3gate accepts beside push-endpoint: delivery here is always persistent and confirmed
_ACCEPTED = {"amqp-exchange", "persistent", "amqp-ack-level"}


@dataclass(frozen=True)
class TopicCall:
    action: str
    params: Mapping[str, str]
    identity: Identity
    outbox: Outbox | None
    region: str
    declared: frozenset[str]  # --notify-target names: no topic may take one

    def authorize(self) -> Outbox:
        if not self.identity.is_root:
            raise IamError("AuthorizationError", f"User: {self.identity.arn} is not authorized to perform: "
                           f"SNS:{self.action} (only an account's root manages topics on s3gate)")
        if self.outbox is None:
            raise IamError("InvalidAction", "Topics need --backend local: they are event notification targets, "
                           "and events are written in the same metadata transaction as their change.")
        return self.outbox

    def arn(self, name: str) -> str:
        return f"arn:aws:sns:{self.region}:{self.identity.account_id}:{name}"

    def name_of(self, arn_param: str = "TopicArn") -> str:
        arn = self.params.get(arn_param) or ""
        prefix = self.arn("")
        name = arn[len(prefix):] if arn.startswith(prefix) else ""
        if not _NAME.fullmatch(name):
            raise IamError("InvalidParameter", f"Invalid parameter: {arn_param} Reason: not a topic ARN of this "
                           f"account and region ({prefix}NAME)")
        return name


def attributes_of(params: Mapping[str, str]) -> dict[str, str]:
    """``Attributes.entry.N.key`` / ``.value`` pairs (any order, any numbering, as Ceph reads them)."""
    entries: dict[str, dict[str, str]] = {}
    for name, value in params.items():
        match = _ATTRIBUTE.fullmatch(name)
        if match:
            entries.setdefault(match[1], {})[match[2]] = value
    out = {}
    for entry in entries.values():
        if "key" not in entry:
            raise IamError("InvalidParameter", "Invalid parameter: Attributes Reason: an entry has no key")
        out[entry["key"]] = entry.get("value", "")
    return out


def push_endpoint(name: str, attributes: dict[str, str]) -> str:
    url = attributes.get("push-endpoint", "")
    if not url:
        raise IamError("InvalidParameter", "Invalid parameter: Attributes Reason: push-endpoint is required (a URL "
                       "as --notify-target takes: README, Event notifications)")
    unknown = sorted(set(attributes) - _ACCEPTED - {"push-endpoint"})
    if unknown:
        raise IamError("InvalidParameter", f"Invalid parameter: Attributes Reason: {unknown[0]} is not supported "
                       f"(supported: push-endpoint, {', '.join(sorted(_ACCEPTED))})")
    parts = urlsplit(url)
    exchange = attributes.get("amqp-exchange")
    if parts.scheme.lower() in ("amqp", "amqps") and exchange and "exchange=" not in parts.query:
        query = "&".join(q for q in (parts.query, urlencode({"exchange": exchange, "routing_key": name})) if q)
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    try:
        open_target(name, url)  # checks the URL as start-up checks a declared one; connects to nothing
    except ValueError as exc:
        raise IamError("InvalidParameter", f"Invalid parameter: push-endpoint Reason: {exc}") from None
    return url


def _result() -> xml.Element:
    return etree.Element("Result")


async def create_topic(call: TopicCall) -> xml.Element:
    outbox = call.authorize()
    name = call.params.get("Name", "")
    if not _NAME.fullmatch(name):
        raise IamError("InvalidParameter", "Invalid parameter: Topic Name")
    if name in call.declared:
        raise IamError("InvalidParameter", f"Invalid parameter: Topic Name Reason: {name} is a target declared at "
                       "start-up (--notify-target)")
    url = push_endpoint(name, attributes_of(call.params))
    wanted = Topic(name, url, call.identity.account_id, time.time_ns() // 10**6)
    stored = await outbox.put_topic(wanted)
    if stored.account_id != wanted.account_id:
        raise IamError("InvalidParameter", f"Invalid parameter: Topic Name Reason: {name} belongs to another account")
    result = _result()
    xml.sub(result, "TopicArn", call.arn(name))
    return result


async def _own_topics(call: TopicCall) -> dict[str, Topic]:
    outbox = call.authorize()
    return {t.name: t for t in await outbox.topics() if t.account_id == call.identity.account_id}


async def list_topics(call: TopicCall) -> xml.Element:
    topics = await _own_topics(call)
    result = _result()
    members = xml.sub(result, "Topics")
    for name in sorted(topics):
        xml.sub(xml.sub(members, "member"), "TopicArn", call.arn(name))
    return result


async def get_topic_attributes(call: TopicCall) -> xml.Element:
    topics = await _own_topics(call)
    topic = topics.get(call.name_of())
    if topic is None:
        raise IamError("NotFound", "Topic does not exist")
    shown = urlsplit(redacted_url(topic.url))
    endpoint = {"EndpointAddress": urlunsplit((shown.scheme, shown.netloc, shown.path, "", "")),
                "EndpointArgs": shown.query, "EndpointTopic": topic.name,
                "HasStoredSecret": redacted_url(topic.url) != topic.url, "Persistent": True}
    result = _result()
    attributes = xml.sub(result, "Attributes")
    for key, value in (("User", call.identity.account_id), ("Name", topic.name), ("EndPoint", json.dumps(endpoint)),
                       ("TopicArn", call.arn(topic.name)), ("Owner", topic.account_id), ("OpaqueData", "")):
        entry = xml.sub(attributes, "entry")
        xml.subs(entry, [("key", key), ("value", value)])
    return result


async def delete_topic(call: TopicCall) -> None:
    """Deleting a topic that does not exist succeeds, as in SNS and Ceph; bucket rules naming it stay (their
    events wait, then become dead letters, as for a target that is down)."""
    outbox = call.authorize()
    await outbox.delete_topic(call.name_of(), call.identity.account_id)
    return None


SNS_ACTIONS: dict[str, Callable[[TopicCall], Awaitable[xml.Element | None]]] = {
    "CreateTopic": create_topic,
    "ListTopics": list_topics,
    "GetTopicAttributes": get_topic_attributes,
    "DeleteTopic": delete_topic,
}
