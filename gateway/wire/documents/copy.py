"""CopyObjectResult and CopyPartResult: the server renders them, the upstream backend reads them."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.wire import xml
from gateway.wire.checksums import Checksum
from gateway.wire.documents.values import checksum_elements, checksum_in, timestamp_ms
from gateway.wire.headers import quote_etag, unquote_etag

COPY_ROOT = "CopyObjectResult"
PART_ROOT = "CopyPartResult"


@dataclass(frozen=True, slots=True)
class Written:
    """What a copy or completion answered: ETag (bare), time (0 if not said), checksum."""

    etag: str
    last_modified_ms: int
    checksum: Checksum | None


def parse_copy_result(doc: xml.Element) -> Written:
    return Written(unquote_etag(xml.text(doc, "ETag")), timestamp_ms(xml.text(doc, "LastModified")),
                   checksum_in(doc))


def render_copy_result(etag: str, last_modified_ms: int, checksum: Checksum | None) -> xml.Element:
    """CopyObjectResult (its ChecksumType comes before the value, unlike other documents')."""
    root = xml.document(COPY_ROOT)
    xml.sub(root, "ETag", quote_etag(etag))
    xml.sub(root, "LastModified", xml.timestamp(last_modified_ms))
    if checksum is not None:
        xml.sub(root, "ChecksumType", checksum.type)
        xml.sub(root, f"Checksum{checksum.algorithm}", checksum.value)
    return root


def render_copy_part_result(etag: str, last_modified_ms: int, checksum: Checksum | None) -> xml.Element:
    """CopyPartResult; ``checksum`` None when the upload asked for none (a part's checksum has no type)."""
    root = xml.document(PART_ROOT)
    xml.sub(root, "ETag", quote_etag(etag))
    xml.sub(root, "LastModified", xml.timestamp(last_modified_ms))
    checksum_elements(root, checksum, with_type=False)
    return root
