"""The notification outbox tables: events written with the change that causes them, dead letters, topics.

:func:`emit` runs inside the change's transaction: it reads the bucket's configuration (a cached
parse of one indexed row), and writes one outbox row per matching rule. A bucket without a
configuration costs one lookup; a rolled-back change leaves no event, a committed one always has it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from typing import Any

from gateway.wire.notification_rules import SERVICE_ORIGIN, Configuration, Origin
from storage_backends.catalog.sql import buckets, marks, one, settings
from storage_backends.catalog.store import Executor, Tx
from storage_backends.outbox import OutboxEvent, TargetCounts, Topic

KIND = "notification"  # the bucket_configs kind holding a Configuration's JSON
TEST_EVENT = "TestEvent"
SOURCE = "notify_source"  # the settings row naming this catalog's events (see source)
_COLUMNS = ("id, COALESCE(seq, id), target, config_id, event_name, event_ms, bucket, bucket_owner, key, version_id, "
            "size, etag, origin, extra, attempts, last_error")
_MOVED = ("id, seq, target, config_id, event_name, event_ms, bucket, bucket_owner, key, version_id, size, etag, "
          "origin, extra, attempts, last_error")


def _event(row: tuple[Any, ...]) -> OutboxEvent:
    principal, ip, request_id, host_id = json.loads(row[12])
    return OutboxEvent(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10],
                       row[11], Origin(principal, ip, request_id, host_id), json.loads(row[13]) if row[13] else {},
                       row[14], row[15])


def configuration(ex: Executor, bucket: str) -> Configuration | None:
    document = buckets.config(ex, bucket, KIND)
    return Configuration.from_json(document) if document else None


def any_configured(ex: Executor) -> bool:
    """Whether any bucket has notifications: lifecycle passes skip their event queries otherwise."""
    return one(ex, "SELECT 1 FROM bucket_configs WHERE kind = ? LIMIT 1", (KIND,)) is not None


def _origin_json(origin: Origin) -> str:
    return json.dumps([origin.principal_id, origin.source_ip, origin.request_id, origin.host_id])


def emit(tx: Tx, bucket: str, key: str, name: str, *, owner: str | None = None, version_id: str | None = None,
         size: int | None = None, etag: str | None = None, extra: dict[str, Any] | None = None) -> None:
    """Record event ``name`` (``ObjectCreated:Put``...) of ``key`` for every rule of the bucket it matches."""
    config = configuration(tx, bucket)
    if config is None:
        return
    origin = tx.origin or SERVICE_ORIGIN
    if name == "ObjectCreated:Put" and origin.operation == "PostObject":
        name = "ObjectCreated:Post"
    rules = config.matching(name, key)
    if not rules:
        return
    if owner is None:
        owner = buckets.require(tx, bucket).owner_id
    _insert(tx, [(r.target, r.id) for r in rules], name, bucket, owner, key, version_id, size, etag,
            _origin_json(origin), json.dumps(extra) if extra else None)


def _insert(tx: Tx, destinations: list[tuple[str, str]], name: str, bucket: str, owner: str, key: str,
            version_id: str | None, size: int | None, etag: str | None, origin: str, extra: str | None) -> None:
    now = time.time_ns() // 1_000_000
    seq: int | None = None
    for target, config_id in destinations:
        cur = tx.execute("INSERT INTO notify_outbox (seq, target, config_id, event_name, event_ms, bucket, "
                         "bucket_owner, key, version_id, size, etag, origin, extra) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                         (seq, target, config_id, name, now, bucket, owner, key, version_id, size, etag, origin, extra))
        row_id = cur.fetchall()[0][0]
        if seq is None:
            seq = row_id
    tx.emitted = True


def configure(tx: Tx, bucket: str, config: Configuration | None, tests: Iterable[tuple[str, str]]) -> None:
    """Store (or with None remove) the bucket's configuration, and queue s3:TestEvent to ``tests``
    ((target, configuration id) pairs: the destinations new to this configuration)."""
    owner = buckets.require(tx, bucket).owner_id
    buckets.put_config(tx, bucket, KIND, config.to_json() if config is not None and config.rules else None)
    for target, config_id in tests:
        _insert(tx, [(target, config_id)], TEST_EVENT, bucket, owner, "", None, None, None,
                _origin_json(tx.origin or SERVICE_ORIGIN), None)


# -- the dispatcher's side ------------------------------------------------------------------------
def source(tx: Tx) -> str:
    """This catalog's event source: a UUID made once, which with an outbox row's id names its event.

    Row ids repeat across data directories (and after one is wiped), while brokers deduplicate by event
    id (PostgreSQL's primary key, NATS's ``Nats-Msg-Id``): the UUID keeps one catalog's events from ever
    being taken for another's, and stays the same across redeliveries."""
    value = settings.get(tx, SOURCE)
    if value is None:
        value = str(uuid.uuid4())
        settings.put(tx, SOURCE, value)
    return value


def pending(ex: Executor, target: str, limit: int) -> list[OutboxEvent]:
    rows = ex.execute(f"SELECT {_COLUMNS} FROM notify_outbox WHERE target = ? ORDER BY id LIMIT ?",
                      (target, limit)).fetchall()
    return [_event(r) for r in rows]


def targets_pending(ex: Executor) -> list[str]:
    return [r[0] for r in ex.execute("SELECT DISTINCT target FROM notify_outbox").fetchall()]


def delivered(tx: Tx, ids: list[int]) -> None:
    tx.execute(f"DELETE FROM notify_outbox WHERE id IN ({marks(ids)})", ids)


def failed(tx: Tx, ids: list[int], error: str) -> None:
    tx.execute(f"UPDATE notify_outbox SET attempts = attempts + 1, last_error = ? WHERE id IN ({marks(ids)})",
               (error[:1000], *ids))


def _move(tx: Tx, where: str, args: tuple[Any, ...], reason: str) -> int:
    now = time.time_ns() // 1_000_000
    tx.execute(f"INSERT INTO notify_dead ({_MOVED}, reason, moved_ms) SELECT {_MOVED}, ?, ? FROM notify_outbox "
               f"WHERE {where}", (reason, now, *args))
    return tx.execute(f"DELETE FROM notify_outbox WHERE {where}", args).rowcount


def expire(tx: Tx, older_than_ms: int) -> int:
    """Events older than the cutoff become dead letters (``--notify-max-age``)."""
    return _move(tx, "event_ms < ?", (older_than_ms,), "max-age")


def bound(tx: Tx, target: str, max_queue: int) -> int:
    """Past ``max_queue`` pending events for ``target``, the oldest become dead letters."""
    count = int(one(tx, "SELECT COUNT(*) FROM notify_outbox WHERE target = ?", (target,))[0])
    if count <= max_queue:
        return 0
    cut = one(tx, "SELECT id FROM notify_outbox WHERE target = ? ORDER BY id LIMIT 1 OFFSET ?",
              (target, count - max_queue))[0]
    return _move(tx, "target = ? AND id < ?", (target, cut), "max-queue")


def counts(ex: Executor) -> list[TargetCounts]:
    pending_rows = {r[0]: r[1:] for r in ex.execute(
        "SELECT target, COUNT(*), MIN(event_ms), (SELECT last_error FROM notify_outbox o2 WHERE o2.target = o.target "
        "AND o2.last_error IS NOT NULL ORDER BY id LIMIT 1) FROM notify_outbox o GROUP BY target").fetchall()}
    dead_rows = {r[0]: r[1:] for r in ex.execute(
        "SELECT target, COUNT(*), SUM(CASE WHEN reason = 'max-age' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN reason = 'max-queue' THEN 1 ELSE 0 END) FROM notify_dead "
        "GROUP BY target").fetchall()}
    names = sorted(set(pending_rows) | set(dead_rows))
    return [TargetCounts(n, *(pending_rows.get(n) or (0, None, None)), *(dead_rows.get(n) or (0, 0, 0)))
            for n in names]


def dead_letters(ex: Executor, limit: int) -> list[tuple[OutboxEvent, str, int]]:
    """The newest dead letters: (event, reason, when it moved)."""
    rows = ex.execute(f"SELECT {_COLUMNS}, reason, moved_ms FROM notify_dead ORDER BY id DESC LIMIT ?",
                      (limit,)).fetchall()
    return [(_event(r[:16]), r[16], r[17]) for r in rows]


# -- runtime topics ---------------------------------------------------------------------------------
def topics(ex: Executor) -> list[Topic]:
    return [Topic(*r) for r in ex.execute("SELECT name, url, owner_id, created_ms FROM notify_topics ORDER BY name")]


def put_topic(tx: Tx, topic: Topic) -> Topic:
    """Insert, or update the URL of the caller's own topic; another account's is left as it is."""
    tx.execute("INSERT INTO notify_topics (name, url, owner_id, created_ms) VALUES (?, ?, ?, ?) ON CONFLICT (name) "
               "DO UPDATE SET url = excluded.url WHERE notify_topics.owner_id = excluded.owner_id",
               (topic.name, topic.url, topic.account_id, topic.created_ms))
    return Topic(*one(tx, "SELECT name, url, owner_id, created_ms FROM notify_topics WHERE name = ?", (topic.name,)))


def delete_topic(tx: Tx, name: str, account_id: str) -> None:
    tx.execute("DELETE FROM notify_topics WHERE name = ? AND owner_id = ?", (name, account_id))
