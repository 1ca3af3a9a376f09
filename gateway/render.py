"""XML fragments several handlers render: owners, common prefixes, checksums.

Neutral ground between handler modules (which never import each other); any handler may
import it. It imports no handler.
"""

from __future__ import annotations

from gateway.context import Context
from gateway.params import Encode
from gateway.wire import xml
from storage_backends.base import Checksum


def owner_element(ctx: Context, parent: xml.Element, canonical_id: str, tag: str = "Owner") -> None:
    """``<Owner><ID/><DisplayName/></Owner>`` (or ``tag``) under ``parent``."""
    owner = xml.sub(parent, tag)
    xml.sub(owner, "ID", canonical_id)
    xml.sub(owner, "DisplayName", ctx.users.display_name(canonical_id))


def owner_text(ctx: Context, canonical_id: str, tag: str = "Owner") -> str:
    """The same as :func:`owner_element`, as text for the string-built listings."""
    name = xml.escape(ctx.users.display_name(canonical_id))
    return f"<{tag}><ID>{xml.escape(canonical_id)}</ID><DisplayName>{name}</DisplayName></{tag}>"


def common_prefixes(doc: xml.Writer, prefixes: list[str], enc: Encode) -> None:
    doc.raw("".join(f"<CommonPrefixes><Prefix>{xml.escape(enc(p))}</Prefix></CommonPrefixes>" for p in prefixes))


def checksum_elements(parent: xml.Element, checksum: Checksum | None, *, with_type: bool = True) -> None:
    """``<Checksum{ALGO}>`` and, for whole-object checksums, ``<ChecksumType>``."""
    if checksum is None:
        return
    xml.sub(parent, f"Checksum{checksum.algorithm}", checksum.value)
    if with_type and checksum.type in ("COMPOSITE", "FULL_OBJECT"):
        xml.sub(parent, "ChecksumType", checksum.type)
