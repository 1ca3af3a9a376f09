"""Small readers and writers shared by the documents: times, checksums, owners, URL-encoded keys.

Readers are lenient (what an answer omits is a default). Writers take plain values: the wire layer
knows no users, so an owner's display name is resolved by the caller and passed in.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import unquote_plus

from gateway.wire import checksums, xml
from gateway.wire.checksums import Checksum


def timestamp_ms(value: str | None) -> int:
    """``2026-11-25T16:01:17.000Z`` -> milliseconds since the epoch (0 if absent or unreadable)."""
    if not value:
        return 0
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return 0


def integer(el: xml.Element, name: str, default: int = 0) -> int:
    try:
        return int(xml.text(el, name) or default)
    except ValueError:
        return default


def true(el: xml.Element, name: str) -> bool:
    return (xml.text(el, name) or "").strip().lower() == "true"


def checksum_in(el: xml.Element, kind: str | None = None) -> Checksum | None:
    """``<ChecksumCRC32>`` (and ``<ChecksumType>``) children of ``el``; ``kind`` overrides the type."""
    for algorithm in checksums.ALGORITHMS:
        value = xml.text(el, f"Checksum{algorithm}")
        if value:
            return Checksum(algorithm, value, kind or (xml.text(el, "ChecksumType") or "FULL_OBJECT").upper())
    return None


def checksum_elements(parent: xml.Element, checksum: Checksum | None, *, with_type: bool = True) -> None:
    """``<Checksum{ALGO}>`` and, for whole-object checksums, ``<ChecksumType>`` (the writer of :func:`checksum_in`)."""
    if checksum is None:
        return
    xml.sub(parent, f"Checksum{checksum.algorithm}", checksum.value)
    if with_type and checksum.type in ("COMPOSITE", "FULL_OBJECT"):
        xml.sub(parent, "ChecksumType", checksum.type)


def owner_element(parent: xml.Element, canonical_id: str, display_name: str, tag: str = "Owner") -> None:
    """``<Owner><ID/><DisplayName/></Owner>`` (or ``tag``) under ``parent``."""
    owner = xml.sub(parent, tag)
    xml.sub(owner, "ID", canonical_id)
    xml.sub(owner, "DisplayName", display_name)


def owner_text(canonical_id: str, display_name: str, tag: str = "Owner") -> str:
    """The same as :func:`owner_element`, as text for the string-built listings."""
    return (f"<{tag}><ID>{xml.escape(canonical_id)}</ID><DisplayName>{xml.escape(display_name)}</DisplayName>"
            f"</{tag}>")


def owner_id(el: xml.Element, tag: str = "Owner") -> str:
    """The ``<Owner><ID>`` (or ``tag``) under ``el``; "" if absent."""
    owner = xml.child(el, tag)
    return (xml.text(owner, "ID") or "") if owner is not None else ""


def decoded(doc: xml.Element, value: str) -> str:
    """A key-like value of a listing asked with ``encoding-type=url``, decoded only if the answer says it is encoded.

    As a form value: S3 writes a space as ``+`` there (and a ``+`` as ``%2B``), which is why boto decodes so."""
    return unquote_plus(value) if (xml.text(doc, "EncodingType") or "").lower() == "url" else value


def common_prefixes(doc: xml.Element) -> list[str]:
    """A listing's ``<CommonPrefixes><Prefix>`` values, decoded."""
    return [decoded(doc, xml.text(p, "Prefix") or "") for p in xml.children(doc, "CommonPrefixes")]
