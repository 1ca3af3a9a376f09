"""The server's answers as wire documents: listings, multipart, copy, buckets, attributes, errors.

The golden files hold what the handlers sent before these renders moved to ``gateway.wire.documents``
(captured once from the handlers of that time). Each render must give the same bytes from the same
values (``document_fixtures``); each parse must read the values back, so that rendering what was
parsed gives the file again. The live suite checks what the running server sends.
"""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote

import pytest

from gateway.wire import xml
from gateway.wire.checksums import Checksum
from gateway.wire.documents import attributes, buckets, copy, error, listing, multipart
from gateway.wire.errors import S3Error
from storage_backends.base import ObjectParts
from storage_backends.s3client import errors as client_errors
from tests.unit import document_fixtures as fx

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def parsed(name: str, root: str) -> xml.Element:
    return xml.parse(golden(name), root)


def url(value: str) -> str:
    return quote(value, safe="/")


def plain(value: str) -> str:
    return value


def name_of(canonical_id: str) -> str:
    return fx.NAMES.get(canonical_id, canonical_id[:16])


def token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode()


# -- ListBucketResult (v1, v2) and ListVersionsResult ------------------------------------------------
def _v1(objects: list[listing.Entry] | None = None, **kw: object) -> bytes:
    args: dict[str, object] = dict(bucket=fx.BUCKET, prefix="", marker="a b", max_keys=9, delimiter="/",
                                   encoding="url", enc=url, objects=objects or fx.objects(),
                                   prefixes=["dir/", "a&b/"], is_truncated=True, next_marker="dir/",
                                   display_name=name_of)
    args.update(kw)
    return listing.render_list_objects(**args)  # type: ignore[arg-type]


def test_list_objects() -> None:
    assert _v1() == golden("list-objects.xml")
    assert listing.render_list_objects(
        bucket=fx.BUCKET, prefix="", marker="", max_keys=1000, delimiter="", encoding=None, enc=plain,
        objects=fx.objects(), prefixes=[], is_truncated=False, next_marker=None, display_name=name_of) \
        == golden("list-objects-plain.xml")
    found = listing.parse_list_objects(parsed("list-objects.xml", "ListBucketResult"))
    assert found.common_prefixes == ["dir/", "a&b/"] and found.is_truncated
    assert [(o.key, o.size, o.etag, o.storage_class, o.owner_id) for o in found.objects] \
        == [(o.key, o.size, o.etag, o.storage_class, o.owner_id) for o in fx.objects()]
    assert found.objects[1].checksum == Checksum("CRC32", "", "FULL_OBJECT")
    assert found.objects[0].last_modified_ms == fx.T1 // 1000 * 1000  # listings say seconds
    assert _v1(list(found.objects)) == golden("list-objects.xml")  # what was parsed renders the same
    assert b"<Prefix>a b&amp;\n</Prefix><Marker>a%20b</Marker>" in _v1(prefix="a b&\n")  # V1 echoes Prefix as sent


def test_list_objects_v2() -> None:
    def render(objects: list[listing.Entry]) -> bytes:
        return listing.render_list_objects_v2(
            bucket=fx.BUCKET, prefix="", continuation_token="YSBi", next_continuation_token=token("k9"),
            max_keys=1000, delimiter="/", encoding="url", enc=url, start_after=None, objects=objects,
            prefixes=["dir/"], is_truncated=True, display_name=name_of)

    assert render(list(fx.objects())) == golden("list-objects-v2.xml")
    assert listing.render_list_objects_v2(
        bucket=fx.BUCKET, prefix="", continuation_token=None, next_continuation_token=None, max_keys=1000,
        delimiter="", encoding=None, enc=plain, start_after="a&b", objects=fx.objects(), prefixes=[],
        is_truncated=False, display_name=None) == golden("list-objects-v2-plain.xml")
    found = listing.parse_list_objects(parsed("list-objects-v2.xml", "ListBucketResult"))
    assert render(list(found.objects)) == golden("list-objects-v2.xml")
    unowned = listing.parse_list_objects(parsed("list-objects-v2-plain.xml", "ListBucketResult"))
    assert [o.key for o in unowned.objects] == [o.key for o in fx.objects()]
    assert {o.owner_id for o in unowned.objects} == {""} and not unowned.is_truncated


def test_list_versions() -> None:
    def render(versions: list[listing.VersionEntry]) -> bytes:
        return listing.render_list_versions(
            bucket=fx.BUCKET, prefix="", key_marker="a b", version_id_marker="v0", max_keys=1000, delimiter="/",
            encoding="url", enc=url, versions=versions, prefixes=["dir/"], is_truncated=True,
            next_key_marker="k&1", next_version_id_marker="v9", display_name=name_of)

    assert render(list(fx.versions())) == golden("list-versions.xml")
    assert listing.render_list_versions(
        bucket=fx.BUCKET, prefix="", key_marker="", version_id_marker="", max_keys=1000, delimiter="",
        encoding=None, enc=plain, versions=fx.versions(), prefixes=[], is_truncated=False, next_key_marker=None,
        next_version_id_marker=None, display_name=name_of) == golden("list-versions-plain.xml")
    found = listing.parse_list_versions(parsed("list-versions.xml", "ListVersionsResult"))
    assert (found.next_key_marker, found.next_version_id_marker, found.common_prefixes) == ("k&1", "v9", ["dir/"])
    assert [(v.key, v.version_id, v.is_latest, v.delete_marker) for v in found.versions] \
        == [(v.key, v.version_id or "null", v.is_latest, v.delete_marker) for v in fx.versions()]
    assert render(list(found.versions)) == golden("list-versions.xml")


# -- multipart and copy ----------------------------------------------------------------------------
def test_initiate_and_complete_results() -> None:
    assert xml.render(multipart.render_initiate_result(fx.BUCKET, fx.KEY, fx.UPLOAD_ID)) \
        == golden("initiate-multipart-upload.xml")
    assert multipart.parse_upload_id(parsed("initiate-multipart-upload.xml", "InitiateMultipartUploadResult")) \
        == fx.UPLOAD_ID
    location = f"https://{fx.HOST}/{fx.BUCKET}/{fx.KEY}"
    assert xml.render(multipart.render_complete_result(location, fx.BUCKET, fx.KEY, fx.COMPLETED.etag,
                                                       fx.COMPOSITE)) == golden("complete-multipart-upload-result.xml")
    result = multipart.parse_complete_result(parsed("complete-multipart-upload-result.xml",
                                                    "CompleteMultipartUploadResult"))
    assert (result.etag, result.checksum) == (fx.COMPLETED.etag, fx.COMPOSITE)


def test_copy_results() -> None:
    for name, info in (("copy-object-result.xml", fx.COPIED), ("copy-object-result-plain.xml", fx.COPIED_PLAIN)):
        assert xml.render(copy.render_copy_result(info.etag, info.last_modified_ms, info.checksum)) == golden(name)
        result = copy.parse_copy_result(parsed(name, "CopyObjectResult"))
        assert result == copy.Written(info.etag, info.last_modified_ms // 1000 * 1000, info.checksum)
    part = fx.COPIED_PART
    assert xml.render(copy.render_copy_part_result(part.etag, part.last_modified_ms, part.checksum)) \
        == golden("copy-part-result.xml")
    result = copy.parse_copy_result(parsed("copy-part-result.xml", "CopyPartResult"))
    assert (result.etag, result.checksum) == (part.etag, Checksum("CRC32", "jHNlIQ==", "FULL_OBJECT"))


def _parts(name: str, parts: list[multipart.PartInfo], *, checksums: bool, **kw: object) -> None:
    upload = fx.upload_info() if checksums else fx.upload_info(algorithm=None)
    args: dict[str, object] = dict(bucket=fx.BUCKET, key=fx.KEY, upload_id=upload.upload_id, owner=upload.owner_id,
                                   owner_name=name_of(upload.owner_id), storage_class=upload.storage_class,
                                   part_number_marker=0, next_part_number_marker=None, max_parts=1000,
                                   is_truncated=False, checksum_algorithm=upload.checksum_algorithm,
                                   checksum_type=upload.checksum_type, parts=parts)
    args.update(kw)
    assert xml.render(multipart.render_list_parts(**args)) == golden(name)  # type: ignore[arg-type]


def test_list_parts() -> None:
    _parts("list-parts.xml", fx.PARTS, checksums=True, next_part_number_marker=3, max_parts=3, is_truncated=True)
    _parts("list-parts-plain.xml", fx.PARTS[:1], checksums=False)
    doc = parsed("list-parts.xml", "ListPartsResult")
    found, truncated, marker = multipart.parse_parts(doc)
    assert (truncated, marker) == (True, 3)
    assert [p.checksum for p in found] == [p.checksum for p in fx.PARTS]
    assert [(p.part_number, p.size, p.etag) for p in found] == [(p.part_number, p.size, p.etag) for p in fx.PARTS]
    assert multipart.parse_upload_fields(doc) == multipart.UploadFields("STANDARD_IA", "CRC32", "COMPOSITE")
    _parts("list-parts.xml", found, checksums=True, next_part_number_marker=3, max_parts=3, is_truncated=True)


def test_list_uploads() -> None:
    def render(uploads: list[multipart.Upload]) -> bytes:
        return xml.render(multipart.render_list_uploads(
            bucket=fx.BUCKET, key_marker="k&", upload_id_marker="u0", next_key_marker=fx.KEY,
            next_upload_id_marker=fx.UPLOAD_ID, delimiter="/", prefix="a b", max_uploads=1000, is_truncated=True,
            encoding="url", enc=url, uploads=uploads, prefixes=["dir/"], display_name=name_of))

    uploads: list[multipart.Upload] = [fx.upload_info(), fx.upload_info(algorithm=None)]
    assert render(uploads) == golden("list-multipart-uploads.xml")
    assert xml.render(multipart.render_list_uploads(
        bucket=fx.BUCKET, key_marker="", upload_id_marker="", next_key_marker=None, next_upload_id_marker=None,
        delimiter="", prefix="", max_uploads=1000, is_truncated=False, encoding=None, enc=plain,
        uploads=uploads[1:], prefixes=[], display_name=name_of)) == golden("list-multipart-uploads-plain.xml")
    found = multipart.parse_list_uploads(parsed("list-multipart-uploads.xml", "ListMultipartUploadsResult"))
    assert (found.next_key_marker, found.next_upload_id_marker, found.common_prefixes) \
        == (fx.KEY, fx.UPLOAD_ID, ["dir/"])
    assert [(u.key, u.upload_id, u.owner_id, u.checksum_algorithm) for u in found.uploads] \
        == [(u.key, u.upload_id, u.owner_id, u.checksum_algorithm) for u in uploads]
    assert render(list(found.uploads)) == golden("list-multipart-uploads.xml")


# -- buckets, attributes, errors -----------------------------------------------------------------------
def test_location_and_buckets() -> None:
    for region in ("us-east-1", "eu-west-1"):
        name = f"location-{region}.xml"
        assert xml.render(buckets.render_location(region)) == golden(name)
        assert buckets.parse_location(parsed(name, "LocationConstraint")) == region
    listed = [buckets.ListedBucket(n, t, r) for n, r, t in fx.BUCKETS]
    assert xml.render(buckets.render_buckets(listed, fx.OWNER, name_of(fx.OWNER))) == golden("list-buckets.xml")
    assert xml.render(buckets.render_buckets(listed[:2], fx.OWNER, name_of(fx.OWNER),
                                             continuation_token=token("a&b-bucket"), prefix="a")) \
        == golden("list-buckets-paged.xml")
    found = buckets.parse_buckets(parsed("list-buckets.xml", "ListAllMyBucketsResult"))
    assert [(b.name, b.region) for b in found] == [(b.name, b.region) for b in listed]
    assert xml.render(buckets.render_buckets(found, fx.OWNER, name_of(fx.OWNER))) == golden("list-buckets.xml")


def test_object_attributes() -> None:
    mp = fx.object_info(fx.KEY, multipart=True)
    page = ObjectParts(3, fx.PARTS[1:3], True)
    assert xml.render(attributes.render_object_attributes(
        etag=mp.etag, checksum=mp.checksum, parts=page, part_number_marker=1, max_parts=2,
        storage_class=mp.storage_class, size=mp.size)) == golden("object-attributes.xml")
    assert xml.render(attributes.render_object_attributes(
        etag=mp.etag, checksum=mp.checksum, parts=ObjectParts(3, [fx.PARTS[0], fx.PARTS[3]], False),
        part_number_marker=1, max_parts=2, storage_class=mp.storage_class, size=mp.size)) \
        == golden("object-attributes-unlisted-parts.xml")
    small = fx.object_info("plain.txt")
    assert xml.render(attributes.render_object_attributes(etag=small.etag, storage_class=small.storage_class,
                                                          size=small.size)) == golden("object-attributes-plain.xml")
    found = attributes.parse_object_parts(parsed("object-attributes.xml", "GetObjectAttributesResponse"))
    assert found is not None and (found.total, found.is_truncated) == (3, True)
    assert [(p.part_number, p.size, p.checksum) for p in found.parts] \
        == [(p.part_number, p.size, p.checksum) for p in page.parts]
    assert attributes.parse_object_parts(parsed("object-attributes-plain.xml", "GetObjectAttributesResponse")) \
        is None


@pytest.mark.parametrize("name", sorted(fx.ERRORS))
def test_error_document(name: str) -> None:
    err = fx.ERRORS[name]
    assert xml.render(error.render_error(err, fx.RESOURCE, fx.REQUEST_ID)) == golden(name)
    doc = error.parse_error(parsed(name, "Error"))
    assert doc == error.ErrorDocument(err.code, err.message, dict(err.fields), fx.RESOURCE, fx.REQUEST_ID)
    again = S3Error(doc.code, doc.message, fields=doc.fields)
    assert xml.render(error.render_error(again, fx.RESOURCE, fx.REQUEST_ID)) == golden(name)


def test_client_passes_on_fields_in_order_without_the_upstreams_own() -> None:
    body = (b"<Error><Code>SignatureDoesNotMatch</Code><Message>m</Message><AWSAccessKeyId>AK</AWSAccessKeyId>"
            b"<B>2</B><StringToSign>s</StringToSign><A>1</A><RequestId>r</RequestId><HostId>h</HostId></Error>")
    err = client_errors.from_document(xml.parse(body, "Error"), 403)
    assert (err.code, err.message, err.status) == ("SignatureDoesNotMatch", "m", 403)
    assert list(err.fields.items()) == [("B", "2"), ("A", "1")]
