"""Bucket documents: CreateBucketConfiguration, the LocationConstraint answer, ListAllMyBucketsResult."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.wire import xml
from gateway.wire.documents.values import timestamp_ms

CREATE_ROOT = "CreateBucketConfiguration"


def render_create_bucket(region: str) -> xml.Element:
    root = xml.document(CREATE_ROOT)
    xml.sub(root, "LocationConstraint", region)
    return root


def parse_create_bucket(doc: xml.Element) -> str | None:
    """The asked LocationConstraint (None if absent or empty; ``EU`` is left for the caller to map)."""
    return xml.text(doc, "LocationConstraint") or None


def parse_location(doc: xml.Element) -> str:
    """GetBucketLocation's answer: empty means us-east-1, ``EU`` is eu-west-1."""
    value = (doc.text or "").strip()
    return {"": "us-east-1", "EU": "eu-west-1"}.get(value, value)


@dataclass(frozen=True, slots=True)
class ListedBucket:
    name: str
    created_ms: int
    region: str | None


def parse_buckets(doc: xml.Element) -> list[ListedBucket]:
    """ListAllMyBucketsResult's buckets."""
    container = xml.child(doc, "Buckets")
    return [ListedBucket(xml.text(b, "Name") or "", timestamp_ms(xml.text(b, "CreationDate")),
                         xml.text(b, "BucketRegion") or None)
            for b in (xml.children(container, "Bucket") if container is not None else [])]
