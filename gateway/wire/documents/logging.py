"""The BucketLoggingStatus document (Get/PutBucketLogging): where a bucket's server access logs go.

An empty ``BucketLoggingStatus`` means logging is off. ``LoggingEnabled`` names the target bucket and
prefix (both required), optional TargetGrants (FULL_CONTROL, READ or WRITE on each log object) and the
TargetObjectKeyFormat: SimplePrefix (the default) or PartitionedPrefix with its PartitionDateSource.
The server stores the rendered form, so what a GET returns is what the delivery reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.wire import xml
from gateway.wire.documents.acl import Grants, parse_grants, render_grant
from gateway.wire.errors import Code, S3Error

ROOT = "BucketLoggingStatus"
EVENT_TIME, DELIVERY_TIME = "EventTime", "DeliveryTime"
DATE_SOURCES = (EVENT_TIME, DELIVERY_TIME)
TARGET_PERMISSIONS = ("FULL_CONTROL", "READ", "WRITE")


@dataclass(frozen=True, slots=True)
class LoggingEnabled:
    target_bucket: str
    target_prefix: str
    grants: Grants = ()
    partitioned: str | None = None  # None: SimplePrefix; else the PartitionDateSource


def render_logging(enabled: LoggingEnabled | None) -> xml.Element:
    root = xml.document(ROOT)
    if enabled is None:
        return root
    el = xml.sub(root, "LoggingEnabled")
    xml.sub(el, "TargetBucket", enabled.target_bucket)
    if enabled.grants:
        grants = xml.sub(el, "TargetGrants")
        for grant in enabled.grants:
            render_grant(xml.sub(grants, "Grant"), grant)
    xml.sub(el, "TargetPrefix", enabled.target_prefix)
    if enabled.partitioned is not None:  # SimplePrefix is the default: a GET shows no key format for it
        partitioned = xml.sub(xml.sub(el, "TargetObjectKeyFormat"), "PartitionedPrefix")
        xml.sub(partitioned, "PartitionDateSource", enabled.partitioned)
    return root


def _malformed() -> S3Error:
    return S3Error(Code.MalformedXML)


def parse_logging(doc: xml.Element) -> LoggingEnabled | None:
    """A PutBucketLogging body (or a stored document); None: logging off."""
    el = xml.child(doc, "LoggingEnabled")
    if el is None:
        return None
    bucket = (xml.text(el, "TargetBucket") or "").strip()
    prefix = xml.text(el, "TargetPrefix")
    if not bucket or prefix is None:
        raise _malformed()
    target_grants = xml.child(el, "TargetGrants")
    grants = parse_grants(target_grants, TARGET_PERMISSIONS, _malformed) if target_grants is not None else ()
    return LoggingEnabled(bucket, prefix, grants, _partitioned(xml.child(el, "TargetObjectKeyFormat")))


def _partitioned(key_format: xml.Element | None) -> str | None:
    if key_format is None:
        return None
    simple, partitioned = xml.child(key_format, "SimplePrefix"), xml.child(key_format, "PartitionedPrefix")
    if (simple is None) == (partitioned is None):  # exactly one of the two
        raise _malformed()
    if partitioned is None:
        return None
    source = (xml.text(partitioned, "PartitionDateSource") or EVENT_TIME).strip()  # AWS's default
    if source not in DATE_SOURCES:
        raise _malformed()
    return source
