"""XML fragments several handlers render: owners, with their display names resolved from the directory.

Neutral ground between handler modules (which never import each other); any handler may
import it. It imports no handler. The fragments themselves are ``gateway.wire.documents.values``.
"""

from __future__ import annotations

from gateway.context import Context
from gateway.wire import xml
from gateway.wire.documents import values


def owner_element(ctx: Context, parent: xml.Element, canonical_id: str, tag: str = "Owner") -> None:
    """``<Owner><ID/><DisplayName/></Owner>`` (or ``tag``) under ``parent``."""
    values.owner_element(parent, canonical_id, ctx.directory.display_name(canonical_id), tag)
