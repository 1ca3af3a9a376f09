"""Golden files of the server's answers, produced by driving the handlers themselves (no server, no storage).

Why: the golden files in ``golden/`` pin the bytes the server sends; they were first written by this
script from the handlers as they were before the documents moved to ``gateway.wire.documents``.
``python -m tests.unit.capture_golden`` rewrites them; ``--check`` only compares (exit 1 on a difference),
which proves the handlers still send exactly those bytes. The fixtures are shared with the unit tests
(``document_fixtures``), which check the wire renders and parses against the same files.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gateway.handlers import attributes, buckets, copy, listing, multipart, versioning
from gateway.request import S3Request
from gateway.responses import Response, error_document
from gateway.wire import xml
from storage_backends.base import BucketInfo, ListPage, ObjectParts, PartsPage, UploadsPage, VersionsPage
from tests.unit import document_fixtures as fx

GOLDEN = Path(__file__).parent / "golden"


class _Users:
    def display_name(self, canonical_id: str) -> str:
        return fx.NAMES.get(canonical_id, canonical_id[:16])


class _Backend:
    """Answers every call with the fixtures."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            return self.answers[name]
        return call


class _Ctx:
    def __init__(self, backend: _Backend, *, bucket: str | None = fx.BUCKET, key: str | None = None,
                 query: dict[str, str] | None = None, headers: dict[str, str] | None = None,
                 scheme: str = "http") -> None:
        self.req = S3Request({"scheme": scheme}, "GET", "/", "", query or {}, headers or {}, fx.HOST, bucket, key,
                             False, "REQ1")
        self.backend = backend
        self.users = _Users()
        self.user = type("U", (), {"canonical_id": fx.OWNER})()
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    @property
    def bucket(self) -> str:
        assert self.req.bucket is not None
        return self.req.bucket

    @property
    def key(self) -> str:
        assert self.req.key is not None
        return self.req.key

    def header(self, name: str) -> str | None:
        return self.req.headers.get(name)

    async def read_xml(self, root: str) -> xml.Element:  # CompleteMultipartUpload's request body
        return xml.parse(fx.COMPLETE_BODY, root)


def _run(handler: Callable[[Any], Coroutine[Any, Any, Response]], ctx: _Ctx) -> bytes:
    return asyncio.run(handler(ctx)).body


def documents() -> dict[str, bytes]:
    """Golden file name -> the bytes the handler answers with."""
    out: dict[str, bytes] = {}
    b = _Backend
    for name, status in (("versioning-enabled.xml", "Enabled"), ("versioning-suspended.xml", "Suspended"),
                         ("versioning-never.xml", None)):
        out[name] = _run(versioning.get_bucket_versioning, _Ctx(b(get_bucket_versioning=status)))
    for name, region in (("location-us-east-1.xml", "us-east-1"), ("location-eu-west-1.xml", "eu-west-1")):
        bucket = BucketInfo(fx.BUCKET, region, fx.OWNER, fx.T1)
        out[name] = _run(buckets.get_bucket_location, _Ctx(b(get_bucket=bucket)))
    listed = [BucketInfo(n, r, fx.OWNER, t) for n, r, t in fx.BUCKETS]
    out["list-buckets.xml"] = _run(buckets.list_buckets, _Ctx(b(list_buckets=listed), bucket=None))
    out["list-buckets-paged.xml"] = _run(buckets.list_buckets, _Ctx(
        b(list_buckets=listed), bucket=None, query={"max-buckets": "2", "prefix": "a"}))
    src = fx.object_info("src.txt")
    headers = {"x-amz-copy-source": f"/{fx.BUCKET}/src.txt"}
    for name, info in (("copy-object-result.xml", fx.COPIED), ("copy-object-result-plain.xml", fx.COPIED_PLAIN)):
        out[name] = _run(copy.copy_object, _Ctx(b(head_object=src, copy_object=info), key="dst.txt",
                                                headers=headers))
    upload = fx.upload_info()
    out["copy-part-result.xml"] = _run(multipart.upload_part_copy, _Ctx(
        b(get_multipart_upload=upload, head_object=src, upload_part_copy=fx.COPIED_PART), key=fx.KEY,
        query={"partNumber": "2", "uploadId": fx.UPLOAD_ID}, headers=headers))
    out["initiate-multipart-upload.xml"] = _run(multipart.create_multipart_upload, _Ctx(
        b(create_multipart_upload=upload), key=fx.KEY, headers={"x-amz-checksum-algorithm": "crc32"}))
    out["complete-multipart-upload-result.xml"] = _run(multipart.complete_multipart_upload, _Ctx(
        b(complete_multipart_upload=fx.COMPLETED), key=fx.KEY, scheme="https", query={"uploadId": fx.UPLOAD_ID},
        headers={"content-length": "1"}))
    page = PartsPage(upload, fx.PARTS, True, 3)
    out["list-parts.xml"] = _run(multipart.list_parts, _Ctx(
        b(list_parts=page), key=fx.KEY, query={"uploadId": fx.UPLOAD_ID, "max-parts": "3", "part-number-marker": "0"}))
    plain = fx.upload_info(algorithm=None)
    out["list-parts-plain.xml"] = _run(multipart.list_parts, _Ctx(
        b(list_parts=PartsPage(plain, fx.PARTS[:1], False, None)), key=fx.KEY, query={"uploadId": fx.UPLOAD_ID}))
    uploads = UploadsPage([fx.upload_info(), plain], ["dir/"], True, fx.KEY, fx.UPLOAD_ID)
    out["list-multipart-uploads.xml"] = _run(multipart.list_multipart_uploads, _Ctx(
        b(list_multipart_uploads=uploads), query={"encoding-type": "url", "delimiter": "/", "prefix": "a b",
                                                  "key-marker": "k&", "upload-id-marker": "u0"}))
    out["list-multipart-uploads-plain.xml"] = _run(multipart.list_multipart_uploads, _Ctx(
        b(list_multipart_uploads=UploadsPage([plain], [], False, None, None))))
    attrs = {"x-amz-object-attributes": "ETag,Checksum,ObjectParts,StorageClass,ObjectSize",
             "x-amz-max-parts": "2", "x-amz-part-number-marker": "1"}
    mp = fx.object_info(fx.KEY, multipart=True)
    out["object-attributes.xml"] = _run(attributes.get_object_attributes, _Ctx(
        b(get_object_parts=(mp, ObjectParts(3, fx.PARTS[1:3], True))), key=fx.KEY, headers=attrs))
    out["object-attributes-unlisted-parts.xml"] = _run(attributes.get_object_attributes, _Ctx(
        b(get_object_parts=(mp, ObjectParts(3, [fx.PARTS[0], fx.PARTS[3]], False))), key=fx.KEY, headers=attrs))
    out["object-attributes-plain.xml"] = _run(attributes.get_object_attributes, _Ctx(
        b(head_object=fx.object_info("plain.txt")), key="plain.txt",
        headers={"x-amz-object-attributes": "ETag,StorageClass,ObjectSize"}))
    objects = fx.objects()
    v1 = ListPage(objects, ["dir/", "a&b/"], True, "dir/")
    out["list-objects.xml"] = _run(listing.list_objects, _Ctx(
        b(list_objects=v1), query={"delimiter": "/", "marker": "a b", "encoding-type": "url", "max-keys": "9"}))
    out["list-objects-plain.xml"] = _run(listing.list_objects, _Ctx(b(list_objects=ListPage(objects, [], False,
                                                                                            None))))
    token = "YSBi"  # base64 of "a b"
    out["list-objects-v2.xml"] = _run(listing.list_objects_v2, _Ctx(
        b(list_objects=ListPage(objects, ["dir/"], True, "k9")),
        query={"list-type": "2", "continuation-token": token, "delimiter": "/", "fetch-owner": "true",
               "encoding-type": "url"}))
    out["list-objects-v2-plain.xml"] = _run(listing.list_objects_v2, _Ctx(
        b(list_objects=ListPage(objects, [], False, None)), query={"list-type": "2", "start-after": "a&b"}))
    versions = VersionsPage(fx.versions(), ["dir/"], True, "k&1", "v9")
    out["list-versions.xml"] = _run(versioning.list_object_versions, _Ctx(
        b(list_object_versions=versions), query={"versions": "", "encoding-type": "url", "delimiter": "/",
                                                 "key-marker": "a b", "version-id-marker": "v0"}))
    out["list-versions-plain.xml"] = _run(versioning.list_object_versions, _Ctx(
        b(list_object_versions=VersionsPage(fx.versions(), [], False, None, None)), query={"versions": ""}))
    for name, err in fx.ERRORS.items():
        out[name] = error_document(err, fx.RESOURCE, fx.REQUEST_ID)
    return out


def main(argv: list[str]) -> int:
    found = documents()
    differ = []
    for name, body in found.items():
        path = GOLDEN / name
        if "--check" in argv:
            if not path.exists() or path.read_bytes() != body:
                differ.append(name)
        else:
            path.write_bytes(body)
    for name in differ:
        print(f"differs: {name}")
    print(f"{len(found)} documents, {len(differ)} differ" if "--check" in argv else f"wrote {len(found)} documents")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
