"""The VersioningConfiguration document (Get/PutBucketVersioning)."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.wire import xml
from gateway.wire.errors import Code, S3Error

ROOT = "VersioningConfiguration"
STATUSES = ("Enabled", "Suspended")


@dataclass(frozen=True, slots=True)
class Versioning:
    status: str | None  # None: versioning never enabled (the element is left out)
    mfa_delete: str | None = None


def render_versioning(config: Versioning) -> xml.Element:
    root = xml.document(ROOT)
    xml.subs(root, [("Status", config.status), ("MfaDelete", config.mfa_delete)])
    return root


def parse_versioning(doc: xml.Element) -> Versioning:
    """As answered by GetBucketVersioning (an empty Status is never enabled)."""
    return Versioning(xml.text(doc, "Status") or None, xml.text(doc, "MfaDelete") or None)


def requested_status(doc: xml.Element) -> str:
    """A PutBucketVersioning body's status: Enabled or Suspended (else MalformedXML); MFA delete is not supported."""
    status = xml.text(doc, "Status")
    if status not in STATUSES:
        raise S3Error(Code.MalformedXML)
    if xml.text(doc, "MfaDelete") == "Enabled":
        raise S3Error(Code.NotImplemented, "MFA delete is not supported.")
    return status
