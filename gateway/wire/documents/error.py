"""The Error document, both ways: the server's answer for an ``S3Error``, and what the S3 client reads back.

Its extra fields (``Key``, ``ArgumentName``...) go between Message and Resource in the order they were
given, and are read back in document order. What the client passes on of an upstream's fields is the
client's policy, not the document's (``storage_backends.s3client.errors``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.wire import xml
from gateway.wire.errors import S3Error

ROOT = "Error"
OWN_ELEMENTS = frozenset({"Code", "Message", "Resource", "RequestId"})


def render_error(err: S3Error, resource: str | None, request_id: str) -> xml.Element:
    """Without a namespace, as S3 sends it; ``resource`` None (no request could be parsed): no Resource."""
    root = xml.document(ROOT, namespace=False)
    xml.sub(root, "Code", err.code)
    xml.sub(root, "Message", err.message)
    for name, value in err.fields.items():
        xml.sub(root, name, value)
    if resource is not None:
        xml.sub(root, "Resource", resource)
    xml.sub(root, "RequestId", request_id)
    return root


@dataclass(frozen=True, slots=True)
class ErrorDocument:
    code: str  # InternalError if the document names none
    message: str | None
    fields: dict[str, str] = field(default_factory=dict)  # the other childless elements, in document order
    resource: str | None = None
    request_id: str | None = None


def parse_error(doc: xml.Element) -> ErrorDocument:
    fields = {xml.local(el): el.text or "" for el in doc if xml.local(el) not in OWN_ELEMENTS and len(el) == 0}
    return ErrorDocument(xml.text(doc, "Code") or "InternalError", xml.text(doc, "Message") or None, fields,
                         xml.text(doc, "Resource"), xml.text(doc, "RequestId"))
