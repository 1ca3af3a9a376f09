"""The object listings: ListBucketResult (ListObjects v1 and v2) and ListVersionsResult, both ways.

Why text: a page of 1,000 keys is about 8,000 elements, ten times dearer as lxml elements than as
formatted strings, so the server writes these with :class:`xml.Writer` and one f-string per entry.
The renders read their entries through the :class:`Entry` protocol (the storage's ``ObjectInfo``
fits it, so nothing is copied); the parses, for the upstream backend, give :class:`ListedObject`.
Owners' display names come from the caller (``display_name``), keys through the caller's ``enc``
(identity, or URL encoding for ``encoding-type=url``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from gateway.wire import xml
from gateway.wire.checksums import Checksum
from gateway.wire.documents.values import common_prefixes, decoded, integer, owner_id, owner_text, timestamp_ms, true
from gateway.wire.headers import unquote_etag

OBJECTS_ROOT = "ListBucketResult"
VERSIONS_ROOT = "ListVersionsResult"

Encode = Callable[[str], str]
DisplayName = Callable[[str], str]  # canonical id -> display name


class Entry(Protocol):
    """What a ``<Contents>`` says of an object."""

    @property
    def key(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def etag(self) -> str: ...  # bare
    @property
    def last_modified_ms(self) -> int: ...
    @property
    def storage_class(self) -> str: ...
    @property
    def checksum(self) -> Checksum | None: ...  # only the algorithm and type are listed
    @property
    def owner_id(self) -> str: ...


class VersionEntry(Entry, Protocol):
    """What a ``<Version>`` or ``<DeleteMarker>`` says."""

    @property
    def version_id(self) -> str | None: ...  # None is "null"
    @property
    def is_latest(self) -> bool: ...
    @property
    def delete_marker(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class ListedObject:
    """An entry as an answer lists it (checksum value "": listings name the algorithm only)."""

    key: str
    size: int
    etag: str
    last_modified_ms: int
    storage_class: str = "STANDARD"
    checksum: Checksum | None = None
    owner_id: str = ""
    version_id: str | None = None
    is_latest: bool = True
    delete_marker: bool = False


# -- render ---------------------------------------------------------------------------------------
class _Owners(dict[str, str]):
    """A page's ``<Owner>`` fragments by canonical id: a page has few owners, each written once."""

    __slots__ = ("display_name",)

    def __init__(self, display_name: DisplayName) -> None:
        super().__init__()
        self.display_name = display_name

    def __missing__(self, canonical_id: str) -> str:
        text = self[canonical_id] = owner_text(canonical_id, self.display_name(canonical_id))
        return text


def _entry(info: Entry, enc: Encode, owners: _Owners | None) -> str:
    """One ``<Contents>``: the hot loop of every listing, written as one formatted string."""
    checksum = (f"<ChecksumAlgorithm>{info.checksum.algorithm}</ChecksumAlgorithm>"
                f"<ChecksumType>{info.checksum.type}</ChecksumType>") if info.checksum is not None else ""
    owner = owners[info.owner_id] if owners is not None else ""
    return (f"<Contents><Key>{xml.escape(enc(info.key))}</Key>"
            f"<LastModified>{xml.timestamp(info.last_modified_ms)}</LastModified>"
            f"<ETag>&quot;{xml.escape(info.etag)}&quot;</ETag>{checksum}<Size>{info.size}</Size>{owner}"
            f"<StorageClass>{info.storage_class}</StorageClass></Contents>")


def _version_entry(v: VersionEntry, enc: Encode, owners: _Owners) -> str:
    tag = "DeleteMarker" if v.delete_marker else "Version"
    head = (f"<{tag}><Key>{xml.escape(enc(v.key))}</Key><VersionId>{xml.escape(v.version_id or 'null')}</VersionId>"
            f"<IsLatest>{'true' if v.is_latest else 'false'}</IsLatest>"
            f"<LastModified>{xml.timestamp(v.last_modified_ms)}</LastModified>")
    body = ""
    if not v.delete_marker:
        checksum = (f"<ChecksumAlgorithm>{v.checksum.algorithm}</ChecksumAlgorithm>"
                    f"<ChecksumType>{v.checksum.type}</ChecksumType>") if v.checksum is not None else ""
        body = (f"<ETag>&quot;{xml.escape(v.etag)}&quot;</ETag>{checksum}<Size>{v.size}</Size>"
                f"<StorageClass>{v.storage_class}</StorageClass>")
    return f"{head}{body}{owners[v.owner_id]}</{tag}>"


def _prefixes(doc: xml.Writer, prefixes: Sequence[str], enc: Encode) -> None:
    doc.raw("".join(f"<CommonPrefixes><Prefix>{xml.escape(enc(p))}</Prefix></CommonPrefixes>" for p in prefixes))


def _contents(doc: xml.Writer, objects: Sequence[Entry], prefixes: Sequence[str], enc: Encode,
              display_name: DisplayName | None) -> None:
    owners = _Owners(display_name) if display_name is not None else None
    doc.raw("".join(_entry(info, enc, owners) for info in objects))
    _prefixes(doc, prefixes, enc)


def render_list_objects(*, bucket: str, prefix: str, marker: str, max_keys: int, delimiter: str,
                        encoding: str | None, enc: Encode, objects: Sequence[Entry], prefixes: Sequence[str],
                        is_truncated: bool, next_marker: str | None, display_name: DisplayName) -> bytes:
    """ListObjects (v1), owners included; NextMarker only when truncated with a delimiter.

    Prefix is echoed as sent even with ``encoding-type=url``: S3 encodes V1's Delimiter, Marker,
    NextMarker, keys and common prefixes only (what boto3, which always asks for it, decodes)."""
    doc = xml.Writer(OBJECTS_ROOT)
    doc.element("Name", bucket)
    doc.element("Prefix", prefix)
    doc.element("Marker", enc(marker))
    if is_truncated and delimiter and next_marker is not None:
        doc.element("NextMarker", enc(next_marker))
    doc.element("MaxKeys", max_keys)
    if delimiter:
        doc.element("Delimiter", enc(delimiter))
    doc.element("IsTruncated", is_truncated)
    doc.element("EncodingType", encoding)
    _contents(doc, objects, prefixes, enc, display_name)
    return doc.render()


def render_list_objects_v2(*, bucket: str, prefix: str, continuation_token: str | None,
                           next_continuation_token: str | None, max_keys: int, delimiter: str,
                           encoding: str | None, enc: Encode, start_after: str | None, objects: Sequence[Entry],
                           prefixes: Sequence[str], is_truncated: bool,
                           display_name: DisplayName | None) -> bytes:
    """ListObjectsV2; owners only with a ``display_name`` (``fetch-owner``), StartAfter only if not None."""
    doc = xml.Writer(OBJECTS_ROOT)
    doc.element("Name", bucket)
    doc.element("Prefix", enc(prefix))
    doc.element("ContinuationToken", continuation_token or None)
    doc.element("NextContinuationToken", next_continuation_token)
    doc.element("KeyCount", len(objects) + len(prefixes))
    doc.element("MaxKeys", max_keys)
    if delimiter:
        doc.element("Delimiter", enc(delimiter))
    doc.element("EncodingType", encoding)
    doc.element("IsTruncated", is_truncated)
    if start_after is not None:
        doc.element("StartAfter", enc(start_after))
    _contents(doc, objects, prefixes, enc, display_name)
    return doc.render()


def render_list_versions(*, bucket: str, prefix: str, key_marker: str, version_id_marker: str, max_keys: int,
                         delimiter: str, encoding: str | None, enc: Encode, versions: Sequence[VersionEntry],
                         prefixes: Sequence[str], is_truncated: bool, next_key_marker: str | None,
                         next_version_id_marker: str | None, display_name: DisplayName) -> bytes:
    """ListObjectVersions: versions and delete markers in the order given, the next markers when truncated."""
    doc = xml.Writer(VERSIONS_ROOT)
    for tag, value in (("Name", bucket), ("Prefix", enc(prefix)), ("KeyMarker", enc(key_marker)),
                       ("VersionIdMarker", version_id_marker)):
        doc.element(tag, value)
    if is_truncated:
        doc.element("NextKeyMarker", enc(next_key_marker or ""))
        doc.element("NextVersionIdMarker", next_version_id_marker or "")
    doc.element("MaxKeys", max_keys)
    if delimiter:
        doc.element("Delimiter", enc(delimiter))
    doc.element("EncodingType", encoding)
    doc.element("IsTruncated", is_truncated)
    owners = _Owners(display_name)
    doc.raw("".join(_version_entry(v, enc, owners) for v in versions))
    _prefixes(doc, prefixes, enc)
    return doc.render()


# -- parse (the upstream backend asks with encoding-type=url) ----------------------------------------
@dataclass(slots=True)
class ObjectListing:
    objects: list[ListedObject]
    common_prefixes: list[str]
    is_truncated: bool


@dataclass(slots=True)
class VersionListing:
    versions: list[ListedObject]
    common_prefixes: list[str]
    is_truncated: bool
    next_key_marker: str | None
    next_version_id_marker: str | None


def _listed_checksum(el: xml.Element) -> Checksum | None:
    algorithm = xml.text(el, "ChecksumAlgorithm")
    if not algorithm:
        return None
    return Checksum(algorithm.upper(), "", (xml.text(el, "ChecksumType") or "FULL_OBJECT").upper())


def parse_list_objects(doc: xml.Element) -> ObjectListing:
    """ListBucketResult (v1 or v2): its ``<Contents>``, common prefixes and truncation."""
    objects = [ListedObject(decoded(doc, xml.text(el, "Key") or ""), integer(el, "Size"),
                            unquote_etag(xml.text(el, "ETag")), timestamp_ms(xml.text(el, "LastModified")),
                            xml.text(el, "StorageClass") or "STANDARD", _listed_checksum(el), owner_id(el))
               for el in xml.children(doc, "Contents")]
    return ObjectListing(objects, common_prefixes(doc), true(doc, "IsTruncated"))


def parse_list_versions(doc: xml.Element) -> VersionListing:
    """ListVersionsResult: ``Version`` and ``DeleteMarker`` entries in document order."""
    entries = []
    for el in doc:
        kind = xml.local(el)
        if kind not in ("Version", "DeleteMarker"):
            continue
        entries.append(ListedObject(
            decoded(doc, xml.text(el, "Key") or ""), integer(el, "Size"), unquote_etag(xml.text(el, "ETag")),
            timestamp_ms(xml.text(el, "LastModified")), xml.text(el, "StorageClass") or "STANDARD",
            _listed_checksum(el), owner_id(el), xml.text(el, "VersionId") or "null", true(el, "IsLatest"),
            kind == "DeleteMarker"))
    next_key = xml.text(doc, "NextKeyMarker")
    return VersionListing(entries, common_prefixes(doc), true(doc, "IsTruncated"),
                          decoded(doc, next_key) if next_key else None, xml.text(doc, "NextVersionIdMarker") or None)
