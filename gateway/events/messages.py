"""The JSON S3 sends for an event, from an outbox row (AWS's "Event message structure").

Version 2.1 of the structure, and 2.3 for the types AWS documents it for (lifecycle, object ACL, object
tagging, restore deletes); ``s3:TestEvent`` has its own small document. The key is URL-encoded as
S3 does (form encoding, a space is ``+``; ``/`` stays), and the sequencer is the outbox's own order
(fixed-width hex of the row id: later commits sort after earlier ones, never a clock).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from storage_backends.outbox import OutboxEvent

_VERSION_2_3 = ("LifecycleExpiration:", "LifecycleTransition", "ObjectAcl:", "ObjectTagging:", "ObjectRestore:Delete")
TEST_EVENT = "TestEvent"


def iso_time(ms: int) -> str:
    """``2026-11-25T16:01:17.123Z``: ISO 8601 with milliseconds, as S3's events carry."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def encode_key(key: str) -> str:
    """S3's event key encoding: application/x-www-form-urlencoded as Java writes it (``*`` kept, ``~`` escaped),
    with ``/`` left as is (what S3 sends, whatever its documentation's example suggests)."""
    return quote_plus(key, safe="/*").replace("~", "%7E")


def sequencer(seq: int) -> str:
    return f"{seq:016X}"


def event_version(name: str) -> str:
    return "2.3" if name.startswith(_VERSION_2_3) else "2.1"


def record(event: OutboxEvent, region: str) -> dict[str, Any]:
    obj: dict[str, Any] = {"key": encode_key(event.key)}
    if event.size is not None:
        obj["size"] = event.size
    if event.etag:
        obj["eTag"] = event.etag
    if event.version_id is not None:
        obj["versionId"] = event.version_id
    obj["sequencer"] = sequencer(event.seq)
    out: dict[str, Any] = {
        "eventVersion": event_version(event.event_name),
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": iso_time(event.event_ms),
        "eventName": event.event_name,
        "userIdentity": {"principalId": event.origin.principal_id},
        "requestParameters": {"sourceIPAddress": event.origin.source_ip},
        "responseElements": {"x-amz-request-id": event.origin.request_id, "x-amz-id-2": event.origin.host_id},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": event.config_id,
            "bucket": {"name": event.bucket, "ownerIdentity": {"principalId": event.bucket_owner},
                       "arn": f"arn:aws:s3:::{event.bucket}"},
            "object": obj,
        },
    }
    extra = event.extra
    if "lifecycleRestorationExpiryTime" in extra:
        out["glacierEventData"] = {"restoreEventData": {
            "lifecycleRestorationExpiryTime": iso_time(int(extra["lifecycleRestorationExpiryTime"])),
            "lifecycleRestoreStorageClass": extra.get("lifecycleRestoreStorageClass", "GLACIER")}}
    if "destinationStorageClass" in extra:
        out["lifecycleEventData"] = {"transitionEventData": {
            "destinationStorageClass": extra["destinationStorageClass"]}}
    return out


def render(event: OutboxEvent, region: str) -> bytes:
    """The message body a target receives."""
    if event.event_name == TEST_EVENT:
        document: dict[str, Any] = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": iso_time(event.event_ms),
                                    "Bucket": event.bucket, "RequestId": event.origin.request_id,
                                    "HostId": event.origin.host_id}
    else:
        document = {"Records": [record(event, region)]}
    return json.dumps(document, separators=(",", ":")).encode("utf-8")
