"""The notification outbox as the gateway's dispatcher sees it (the local backend's; the upstream has none).

Storage writes events with the changes that cause them; the dispatcher (``gateway.events``) reads
them per target, deletes what a broker confirmed, counts failures, and moves what it gives up on
to dead letters. One dispatcher per data directory: the one holding :data:`LEASE`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from gateway.wire.notification_rules import Configuration, Origin

LEASE = "notifications"


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """One event for one target, as the dispatcher renders and delivers it."""

    id: int
    seq: int  # the sequencer: the same for every target of one change
    target: str
    config_id: str
    event_name: str  # without "s3:" (TestEvent for the test message)
    event_ms: int
    bucket: str
    bucket_owner: str
    key: str
    version_id: str | None
    size: int | None
    etag: str | None
    origin: Origin
    extra: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    """A target created at run time (the SNS-compatible CreateTopic): delivered to like a declared one."""

    name: str
    url: str
    account_id: str  # the account whose root created it (its ARN's account)
    created_ms: int


@dataclass(frozen=True, slots=True)
class TargetCounts:
    target: str
    pending: int
    oldest_ms: int | None
    last_error: str | None
    dead: int
    dead_max_age: int
    dead_max_queue: int


class Outbox(Protocol):
    on_emitted: Callable[[], None]  # called after each durable commit that wrote events (this process's)

    async def configuration(self, bucket: str) -> Configuration | None: ...
    async def configure(self, bucket: str, config: Configuration | None, tests: list[tuple[str, str]]) -> None:
        """Store (None: remove) the configuration and queue s3:TestEvent to ``tests`` (target, id), in one commit."""
    async def source(self) -> str:
        """This data directory's UUID: an event's id is ``SOURCE-ROWID``, unique across data directories."""
    async def targets(self) -> list[str]: ...
    async def pending(self, target: str, limit: int) -> list[OutboxEvent]: ...
    async def delivered(self, ids: list[int]) -> None: ...
    async def failed(self, ids: list[int], error: str) -> None: ...
    async def expire(self, older_than_ms: int) -> int: ...
    async def bound(self, target: str, max_queue: int) -> int: ...
    async def counts(self) -> list[TargetCounts]: ...
    async def dead_letters(self, limit: int) -> list[tuple[OutboxEvent, str, int]]: ...
    async def topics(self) -> list[Topic]: ...
    async def put_topic(self, topic: Topic) -> Topic:
        """Create the topic, or change its URL if ``topic.account_id`` owns it already; returns what is stored
        (another account's topic of that name is returned unchanged)."""
    async def delete_topic(self, name: str, account_id: str) -> None: ...
    async def lease(self, holder: str, ttl_s: float) -> bool: ...
    async def release(self, holder: str) -> None: ...
