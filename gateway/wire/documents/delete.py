"""DeleteObjects: the Delete request document and the DeleteResult answer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gateway.wire import xml
from gateway.wire.documents.values import true
from gateway.wire.errors import Code, S3Error

ROOT = "Delete"
RESULT_ROOT = "DeleteResult"
MAX_KEYS = 1000


@dataclass(frozen=True, slots=True)
class DeleteRequest:
    objects: list[tuple[str, str | None]]  # (key, version id or None)
    quiet: bool = False


def render_delete(request: DeleteRequest) -> xml.Element:
    root = xml.document(ROOT)
    for key, version_id in request.objects:
        el = xml.sub(root, "Object")
        xml.sub(el, "Key", key)
        if version_id is not None:
            xml.sub(el, "VersionId", version_id)
    if request.quiet:
        xml.sub(root, "Quiet", True)
    return root


def parse_delete(doc: xml.Element) -> DeleteRequest:
    """MalformedXML without objects, with more than 1,000, or with an object without a Key."""
    quiet = (xml.text(doc, "Quiet") or "").strip().lower() == "true"
    objects = xml.children(doc, "Object")
    if not objects or len(objects) > MAX_KEYS:
        raise S3Error(Code.MalformedXML)
    items: list[tuple[str, str | None]] = []
    for el in objects:
        key = xml.text(el, "Key")
        if key is None:
            raise S3Error(Code.MalformedXML)
        items.append((key, xml.text(el, "VersionId") or None))
    return DeleteRequest(items, quiet)


@dataclass(frozen=True, slots=True)
class Deleted:
    """A ``<Deleted>`` entry: the key and version as asked, and the delete marker involved."""

    key: str
    version_id: str | None = None
    delete_marker: bool = False
    delete_marker_version_id: str | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    """An ``<Error>`` entry."""

    key: str
    version_id: str | None
    code: str
    message: str | None


def render_delete_result(entries: Iterable[Deleted | Failed]) -> xml.Element:
    root = xml.document(RESULT_ROOT)
    for entry in entries:
        if isinstance(entry, Failed):
            el = xml.sub(root, "Error")
            xml.subs(el, [("Key", entry.key), ("VersionId", entry.version_id), ("Code", entry.code),
                          ("Message", entry.message)])
            continue
        el = xml.sub(root, "Deleted")
        xml.sub(el, "Key", entry.key)
        if entry.version_id is not None:
            xml.sub(el, "VersionId", entry.version_id)
        if entry.delete_marker:
            xml.sub(el, "DeleteMarker", True)
            if entry.delete_marker_version_id is not None:
                xml.sub(el, "DeleteMarkerVersionId", entry.delete_marker_version_id)
    return root


def parse_delete_result(doc: xml.Element) -> list[Deleted | Failed]:
    """The entries in document order."""
    entries: list[Deleted | Failed] = []
    for el in doc:
        kind = xml.local(el)
        if kind not in ("Deleted", "Error"):
            continue
        key, version_id = xml.text(el, "Key") or "", xml.text(el, "VersionId") or None
        if kind == "Deleted":
            entries.append(Deleted(key, version_id, true(el, "DeleteMarker"),
                                   xml.text(el, "DeleteMarkerVersionId") or None))
        else:
            entries.append(Failed(key, version_id, xml.text(el, "Code") or "InternalError",
                                  xml.text(el, "Message") or None))
    return entries
