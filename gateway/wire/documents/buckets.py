"""Bucket documents: CreateBucketConfiguration, the LocationConstraint answer, ListAllMyBucketsResult."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gateway.wire import xml
from gateway.wire.documents.values import owner_element, timestamp_ms

CREATE_ROOT = "CreateBucketConfiguration"
LOCATION_ROOT = "LocationConstraint"
BUCKETS_ROOT = "ListAllMyBucketsResult"


def render_create_bucket(region: str) -> xml.Element:
    root = xml.document(CREATE_ROOT)
    xml.sub(root, "LocationConstraint", region)
    return root


def parse_create_bucket(doc: xml.Element) -> str | None:
    """The asked LocationConstraint (None if absent or empty; ``EU`` is left for the caller to map)."""
    return xml.text(doc, "LocationConstraint") or None


def render_location(region: str) -> xml.Element:
    """GetBucketLocation's answer: us-east-1 is said as an empty element."""
    root = xml.document(LOCATION_ROOT)
    if region != "us-east-1":
        root.text = region
    return root


def parse_location(doc: xml.Element) -> str:
    """GetBucketLocation's answer: empty means us-east-1, ``EU`` is eu-west-1."""
    value = (doc.text or "").strip()
    return {"": "us-east-1", "EU": "eu-west-1"}.get(value, value)


class Bucket(Protocol):
    """What ListAllMyBucketsResult says of a bucket (the storage's ``BucketInfo`` fits)."""

    @property
    def name(self) -> str: ...
    @property
    def created_ms(self) -> int: ...
    @property
    def region(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class ListedBucket:
    name: str
    created_ms: int
    region: str | None


def render_buckets(buckets: Sequence[Bucket], owner: str, owner_name: str, *, continuation_token: str | None = None,
                   prefix: str | None = None) -> xml.Element:
    """ListAllMyBucketsResult; the token and the prefix are left out when None."""
    root = xml.document(BUCKETS_ROOT)
    container = xml.sub(root, "Buckets")
    for b in buckets:
        el = xml.sub(container, "Bucket")
        xml.sub(el, "Name", b.name)
        xml.sub(el, "CreationDate", xml.timestamp(b.created_ms))
        xml.sub(el, "BucketRegion", b.region)
    owner_element(root, owner, owner_name)
    if continuation_token is not None:
        xml.sub(root, "ContinuationToken", continuation_token)
    if prefix is not None:
        xml.sub(root, "Prefix", prefix)
    return root


def parse_buckets(doc: xml.Element) -> list[ListedBucket]:
    """ListAllMyBucketsResult's buckets."""
    container = xml.child(doc, "Buckets")
    return [ListedBucket(xml.text(b, "Name") or "", timestamp_ms(xml.text(b, "CreationDate")),
                         xml.text(b, "BucketRegion") or None)
            for b in (xml.children(container, "Bucket") if container is not None else [])]
