"""The target protocol every broker module implements, and ``open_target``, which picks the module by the
URL's scheme.

Modules are imported lazily: a gateway with no notification targets never loads a broker's client library,
so start-up stays fast and a missing optional library only matters to whoever declares that scheme.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit


class DeliveryError(Exception):
    """The broker did not confirm; retry later (message says why)."""


@dataclass(frozen=True)
class EventInfo:
    """What a target may need beside the JSON body (keys, headers, columns)."""

    event_id: str
    event_time: str
    event_name: str
    bucket: str
    key: str
    sequencer: str


class Target(Protocol):
    name: str
    url: str  # as declared; show it through redacted_url

    async def deliver(self, message: bytes, event: EventInfo) -> None:
        """Return once the broker confirmed the message; raise DeliveryError otherwise."""

    async def aclose(self) -> None: ...


@runtime_checkable
class BatchTarget(Target, Protocol):
    """A target that delivers many events in one round trip (Redis: one RPUSH, or a pipeline of XADDs)."""

    async def deliver_many(self, batch: Sequence[tuple[bytes, EventInfo]]) -> None:
        """Every message of ``batch``, kept in its order, confirmed; DeliveryError if any may have failed (all of
        them are retried: at least once)."""


# scheme -> module under gateway.events.targets
_MODULES = {
    "http": "webhook", "https": "webhook",
    "redis": "redis", "rediss": "redis",
    "sqs+http": "sqs", "sqs+https": "sqs",
    "amqp": "amqp", "amqps": "amqp",
    "nats": "nats",
    "mqtt": "mqtt",
    "postgresql": "postgresql", "postgres": "postgresql",
}


def schemes() -> list[str]:
    return sorted(_MODULES)


def open_target(name: str, url: str) -> Target:
    """The target for ``url``; ValueError with a message a person can act on when the URL is unusable."""
    scheme = urlsplit(url).scheme.lower()
    module_name = _MODULES.get(scheme)
    if module_name is None:
        raise ValueError(f"notification target {name!r}: unsupported URL scheme {scheme!r} "
                         f"(supported: {', '.join(schemes())})")
    module = importlib.import_module(f"{__name__}.{module_name}")
    target: Target = module.open(name, url)
    return target


def redacted_url(url: str) -> str:
    """``url`` with its password and any ``secret=`` query value masked, for the admin endpoint and logs."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = f"{user}:***@{host}"
    query = "&".join(f"{k}=***" if k.lower() in {"secret", "password"} else (f"{k}={v}" if sep else k)
                     for k, sep, v in (pair.partition("=") for pair in parts.query.split("&") if pair))
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
