"""Small readers shared by the documents' parse sides (lenient: what an answer omits is a default)."""

from __future__ import annotations

from datetime import datetime

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
