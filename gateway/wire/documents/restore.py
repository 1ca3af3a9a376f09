"""The RestoreRequest document (RestoreObject of a GLACIER / DEEP_ARCHIVE object)."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.wire import xml
from gateway.wire.errors import Code, S3Error

ROOT = "RestoreRequest"
TIERS = ("Expedited", "Standard", "Bulk")


@dataclass(frozen=True, slots=True)
class RestoreRequest:
    days: int
    tier: str | None = None  # GlacierJobParameters/Tier


def render_restore_request(request: RestoreRequest) -> xml.Element:
    root = xml.document(ROOT)
    xml.sub(root, "Days", request.days)
    if request.tier is not None:
        xml.sub(xml.sub(root, "GlacierJobParameters"), "Tier", request.tier)
    return root


def parse_restore_request(doc: xml.Element) -> RestoreRequest:
    """MalformedXML for a Days that is not an integer or an unknown Tier; InvalidArgument if Days < 1."""
    raw_days = xml.text(doc, "Days")
    try:
        days = int(raw_days) if raw_days is not None else 0
    except ValueError:
        raise S3Error(Code.MalformedXML) from None
    if days < 1:
        raise S3Error(Code.InvalidArgument, "Days must be a positive integer for restore requests.",
                      ArgumentName="Days")
    params = xml.child(doc, "GlacierJobParameters")
    tier = xml.text(params, "Tier") if params is not None else None
    if tier is not None and tier not in TIERS:
        raise S3Error(Code.MalformedXML)
    return RestoreRequest(days, tier)
