"""CopyObjectResult and CopyPartResult, as the upstream backend reads them.

(The server renders them in ``handlers/copy.py`` and ``handlers/multipart.py``.)
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.wire import xml
from gateway.wire.checksums import Checksum
from gateway.wire.documents.values import checksum_in, timestamp_ms
from gateway.wire.headers import unquote_etag


@dataclass(frozen=True, slots=True)
class Written:
    """What a copy or completion answered: ETag (bare), time (0 if not said), checksum."""

    etag: str
    last_modified_ms: int
    checksum: Checksum | None


def parse_copy_result(doc: xml.Element) -> Written:
    return Written(unquote_etag(xml.text(doc, "ETag")), timestamp_ms(xml.text(doc, "LastModified")),
                   checksum_in(doc))
