"""Glue: the upstream's listing and DeleteResult answers, parsed by ``gateway.wire.documents``, as storage types.

The wire parses give what the document says; the backend's types also carry the bucket and the owner,
which the upstream backend reports as its own (the upstream's owner ids mean nothing to the gateway).
Listings are asked for with ``encoding-type=url`` (keys with characters XML 1.0 cannot carry survive)
and decoded only if the upstream says it encoded them.
"""

from __future__ import annotations

from gateway.wire import xml
from gateway.wire.documents import delete as delete_doc
from gateway.wire.documents import listing as listing_doc
from gateway.wire.documents import multipart as multipart_doc
from gateway.wire.errors import S3Error
from storage_backends.base import DeleteResult, ListPage, ObjectInfo, UploadInfo, UploadsPage, VersionsPage


def _object(bucket: str, owner_id: str, o: listing_doc.ListedObject) -> ObjectInfo:
    return ObjectInfo(bucket, o.key, o.size, o.etag, o.last_modified_ms, owner_id, o.version_id, o.storage_class,
                      checksum=o.checksum, is_latest=o.is_latest, delete_marker=o.delete_marker)


def objects(doc: xml.Element, bucket: str, owner_id: str) -> ListPage:
    """ListBucketResult as a page the backend still orders and cuts (``next_marker`` is left None)."""
    listing = listing_doc.parse_list_objects(doc)
    return ListPage([_object(bucket, owner_id, o) for o in listing.objects], listing.common_prefixes,
                    listing.is_truncated, None)


def versions(doc: xml.Element, bucket: str, owner_id: str) -> VersionsPage:
    listing = listing_doc.parse_list_versions(doc)
    return VersionsPage([_object(bucket, owner_id, v) for v in listing.versions], listing.common_prefixes,
                        listing.is_truncated, listing.next_key_marker, listing.next_version_id_marker)


def uploads(doc: xml.Element, bucket: str, owner_id: str) -> UploadsPage:
    listing = multipart_doc.parse_list_uploads(doc)
    found = [UploadInfo(u.upload_id, bucket, u.key, u.initiated_ms, owner_id, u.storage_class, u.checksum_algorithm,
                        u.checksum_type) for u in listing.uploads]
    return UploadsPage(found, listing.common_prefixes, listing.is_truncated, listing.next_key_marker,
                       listing.next_upload_id_marker)


def delete_results(doc: xml.Element) -> dict[tuple[str, str | None], DeleteResult]:
    """DeleteResult entries by (key, version id as asked)."""
    results: dict[tuple[str, str | None], DeleteResult] = {}
    for entry in delete_doc.parse_delete_result(doc):
        if isinstance(entry, delete_doc.Failed):
            result = DeleteResult(entry.key, entry.version_id, error=S3Error(entry.code, entry.message))
        else:
            result = DeleteResult(entry.key, entry.version_id, entry.delete_marker, entry.delete_marker_version_id)
        results[(entry.key, entry.version_id)] = result
    return results
