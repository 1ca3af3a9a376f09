"""UpstreamBackend: the Backend protocol as requests to another S3 endpoint.

The upstream holds every byte and every piece of S3 metadata; the gateway keeps only a bounded
cache of multipart uploads it has seen, and its identity store (IAM users, keys, policies) in a
catalog in ``data_dir``. What the upstream's account owns the gateway reports as owned by
``owner_id`` (the default account): all the gateway's users share that one upstream account.

GET preconditions are evaluated by the gateway on the headers of the very answer it will stream
(so they always hold for the bytes served); conditional writes are forwarded for the upstream to
check atomically.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping

import httpx

from gateway.wire import headers as codec
from gateway.wire import xml
from gateway.wire.documents import attributes as attributes_doc
from gateway.wire.documents import buckets as buckets_doc
from gateway.wire.documents import copy as copy_doc
from gateway.wire.documents import delete as delete_doc
from gateway.wire.documents import multipart as multipart_doc
from gateway.wire.errors import Code, S3Error
from gateway.wire.sse_headers import customer_key_headers, parse_encryption
from storage_backends.base import (
    Body,
    BucketInfo,
    ByteRange,
    Checksum,
    CompletedPart,
    CompletionChecks,
    CustomerKey,
    DeleteResult,
    ListPage,
    NewObject,
    ObjectInfo,
    ObjectParts,
    PartInfo,
    PartsPage,
    StoredTotal,
    UploadInfo,
    UploadsPage,
    VolumeSpace,
    WriteConditions,
)
from storage_backends.catalog.dialects import MetadataLocation
from storage_backends.catalog.identities import CatalogIdentities
from storage_backends.s3client import errors
from storage_backends.s3client.client import (
    UpstreamClient,
    UpstreamConfig,
    credential_source,
    object_path,
    response_headers,
)
from storage_backends.upstream import documents
from storage_backends.upstream import metadata_headers as meta
from storage_backends.upstream.acls import UpstreamAcls
from storage_backends.upstream.bodies import Outgoing, outgoing
from storage_backends.upstream.locks import UpstreamLocks, bypass_header
from storage_backends.upstream.subresources import UpstreamSubresources, content_md5_header, version_query
from storage_backends.usage import UsageCounter, UsageReport

UPLOAD_CACHE = 4096


def _now_ms() -> int:
    return int(time.time() * 1000)


def _copy_source(bucket: str, key: str, version_id: str | None) -> str:
    source = f"/{bucket}/{object_path(key)}"
    return source + (f"?versionId={version_id}" if version_id is not None else "")


def _group(after: str, prefix: str, delimiter: str) -> str | None:
    """``after`` if it is a whole common prefix (a page ended on one): every key under it is done."""
    if not delimiter or not after.startswith(prefix):
        return None
    rest = after[len(prefix):]
    at = rest.find(delimiter)
    return after if at >= 0 and at + len(delimiter) == len(rest) else None


class UpstreamObjectStream:
    """An open upstream GET: its info from the answer's headers, its body streamed as it arrives."""

    def __init__(self, info: ObjectInfo, start: int, end: int, checksum: Checksum | None,
                 response: httpx.Response, endpoint: str) -> None:
        self.info = info
        self.start = start
        self.end = end
        self.checksum = checksum
        self._response = response
        self._endpoint = endpoint

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_raw():
                yield chunk
        except httpx.TransportError as exc:
            raise errors.unreachable(self._endpoint, exc) from None

    async def aclose(self) -> None:
        await self._response.aclose()


class UpstreamBackend(UpstreamSubresources, UpstreamAcls, UpstreamLocks):
    def __init__(self, config: UpstreamConfig, owner_id: str, data_dir: str = "./s3gate-data",
                 metadata: MetadataLocation | None = None) -> None:
        self.config = config
        self.owner_id = owner_id
        self.data_dir = data_dir
        self.metadata = metadata or MetadataLocation(data_dir)  # only the identity store lives there
        self._identities: CatalogIdentities | None = None
        self._client: UpstreamClient | None = None
        self._uploads: OrderedDict[tuple[str, str, str], UploadInfo] = OrderedDict()

    # -- life cycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        self._client = UpstreamClient(self.config, credential_source(self.config))
        self._identities = CatalogIdentities.open(self.metadata)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        if self._identities is not None:
            await self._identities.catalog.aclose()

    @property
    def identities(self) -> CatalogIdentities:
        assert self._identities is not None, "UpstreamBackend.start() first"
        return self._identities

    def disk_space(self) -> list[VolumeSpace]:
        return []  # the objects are the upstream's; the data dir keeps only the identity store

    async def stored_totals(self) -> list[StoredTotal]:
        return []  # the upstream keeps the objects (and bills for them)

    async def record_usage(self, counters: list[UsageCounter]) -> None:
        return None  # the upstream counts (and bills) its own requests

    async def usage(self) -> UsageReport:
        raise S3Error(Code.NotImplemented, "Usage accounting needs --backend local: the upstream keeps the "
                      "objects and bills for them.")

    @property
    def lifecycle_actions(self) -> Mapping[str, int]:
        return {}  # the upstream applies its own rules

    @property
    def outbox(self) -> None:
        """No notifications: the upstream's writes happen elsewhere, so no event could be written in the
        same transaction as its change (the guarantee notifications promise)."""
        return None

    @property
    def up(self) -> UpstreamClient:
        assert self._client is not None, "UpstreamBackend.start() first"
        return self._client

    # -- buckets --------------------------------------------------------------------------------
    async def list_buckets(self, owner_id: str | None, *, prefix: str = "", start_after: str = "",
                           limit: int = 10000) -> list[BucketInfo]:
        """Every bucket the upstream credentials see, filtered and paged here (not every upstream
        pages ListBuckets)."""
        _, body = await self.up.request("GET")
        listed = sorted(buckets_doc.parse_buckets(self.up.document(body, "ListAllMyBucketsResult")),
                        key=lambda b: b.name)
        chosen = [b for b in listed if b.name.startswith(prefix) and b.name > start_after][:limit]
        return [BucketInfo(b.name, b.region or self.config.region, self.owner_id, b.created_ms) for b in chosen]

    async def create_bucket(self, name: str, *, region: str, owner_id: str,
                            configs: Mapping[str, str | None] | None = None, object_lock: bool = False) -> BucketInfo:
        """The upstream's CreateBucket, then the initial documents (None deletes the upstream's default)."""
        content = xml.render(buckets_doc.render_create_bucket(region)) if region != "us-east-1" else b""
        headers = {"x-amz-bucket-object-lock-enabled": "true"} if object_lock else None
        await self.up.request("PUT", name, content=content, headers=headers, missing=Code.NoSuchBucket)
        for kind, document in (configs or {}).items():
            await self.put_bucket_config(name, kind, document)
        return BucketInfo(name, region, owner_id, _now_ms())

    async def get_bucket(self, name: str) -> BucketInfo:
        headers, _ = await self.up.request("HEAD", name, missing=Code.NoSuchBucket)
        region = headers.get("x-amz-bucket-region")
        if not region:
            _, body = await self.up.request("GET", name, query={"location": ""}, missing=Code.NoSuchBucket)
            region = buckets_doc.parse_location(self.up.document(body, "LocationConstraint"))
        return BucketInfo(name, region, self.owner_id, 0)

    async def delete_bucket(self, name: str) -> None:
        await self.up.request("DELETE", name, missing=Code.NoSuchBucket)

    async def get_bucket_config(self, name: str, kind: str) -> str | None:
        """The upstream's ``?<kind>`` document; None where it answers "not configured"."""
        if kind == "acl":
            return await self.get_bucket_acl_document(name)
        try:
            _, body = await self.up.request("GET", name, query={kind: ""}, missing=Code.NoSuchBucket)
        except S3Error as exc:
            if exc.status == 404 and exc.code != Code.NoSuchBucket.name:
                return None
            raise
        return body.decode("utf-8")

    async def put_bucket_config(self, name: str, kind: str, document: str | None) -> None:
        if kind == "acl":
            return await self.put_bucket_acl_document(name, document)
        if document is None:
            await self.up.request("DELETE", name, query={kind: ""}, missing=Code.NoSuchBucket)
            return
        content = document.encode("utf-8")
        await self.up.request("PUT", name, query={kind: ""}, content=content, headers=content_md5_header(content),
                              missing=Code.NoSuchBucket)

    # -- listing --------------------------------------------------------------------------------
    async def list_objects(self, bucket: str, *, prefix: str = "", delimiter: str = "", after: str = "",
                           limit: int = 1000) -> ListPage:
        """ListObjectsV2 with ``start-after``; page boundaries stay the gateway's own.

        A page that ended on a common prefix resumes after it: one entry more is asked for, and the
        prefix (which an upstream may list again) is dropped.
        """
        group = _group(after, prefix, delimiter)
        query = {"list-type": "2", "encoding-type": "url", "max-keys": str(limit + (1 if group else 0))}
        for name, value in (("prefix", prefix), ("delimiter", delimiter), ("start-after", after)):
            if value:
                query[name] = value
        _, body = await self.up.request("GET", bucket, query=query, missing=Code.NoSuchBucket)
        listing = documents.objects(self.up.document(body, "ListBucketResult"), bucket, self.owner_id)
        entries: list[tuple[str, ObjectInfo | None]] = [(o.key, o) for o in listing.objects]
        entries += [(p, None) for p in listing.common_prefixes]
        entries.sort(key=lambda e: e[0])
        if group is not None:
            entries = [e for e in entries if not e[0].startswith(group)]
        truncated = listing.is_truncated or len(entries) > limit
        entries = entries[:limit]
        return ListPage([o for _, o in entries if o is not None], [name for name, o in entries if o is None],
                        truncated, entries[-1][0] if truncated and entries else None)

    # -- objects --------------------------------------------------------------------------------
    async def head_object(self, bucket: str, key: str, *, version_id: str | None = None,
                          customer_key: CustomerKey | None = None) -> ObjectInfo:
        try:
            headers, _ = await self.up.request("HEAD", bucket, key, query=version_query(version_id),
                                               headers={"x-amz-checksum-mode": "ENABLED",
                                                        **customer_key_headers(customer_key)},
                                               missing=Code.NoSuchVersion if version_id else Code.NoSuchKey)
        except S3Error as exc:
            raise await self._not_found(exc, bucket, key) from None
        return meta.object_info(bucket, key, headers, self.owner_id, int(headers.get("content-length", "0")))

    async def get_object_parts(self, bucket: str, key: str, *, version_id: str | None = None, marker: int = 0,
                               limit: int = 1000, customer_key: CustomerKey | None = None
                               ) -> tuple[ObjectInfo, ObjectParts | None]:
        """HeadObject, then the upstream's GetObjectAttributes for the parts of that same version."""
        info = await self.head_object(bucket, key, version_id=version_id, customer_key=customer_key)
        headers = {"x-amz-object-attributes": "ObjectParts", "x-amz-max-parts": str(limit),
                   **customer_key_headers(customer_key)}
        if marker:
            headers["x-amz-part-number-marker"] = str(marker)
        _, body = await self.up.request("GET", bucket, key, query={"attributes": "", **version_query(info.version_id)},
                                        headers=headers, missing=Code.NoSuchKey)
        return info, attributes_doc.parse_object_parts(self.up.document(body, "GetObjectAttributesResponse"))

    async def _not_found(self, exc: S3Error, bucket: str, key: str) -> S3Error:
        """A HEAD 404 has no body to say whether the key or the bucket is missing: ask."""
        if exc.status != 404 or exc.code not in (Code.NoSuchKey.name, Code.NoSuchVersion.name):
            return exc
        await self.get_bucket(bucket)  # raises NoSuchBucket
        if exc.code == Code.NoSuchKey.name:
            return S3Error(Code.NoSuchKey, headers=exc.headers, Key=key)
        return exc

    async def get_object(self, bucket: str, key: str, *, version_id: str | None = None,
                         byte_range: ByteRange | None = None, part_number: int | None = None,
                         precondition: Callable[[ObjectInfo], None] | None = None,
                         customer_key: CustomerKey | None = None) -> UpstreamObjectStream:
        query = version_query(version_id)
        if part_number is not None:
            query["partNumber"] = str(part_number)
        headers = {"x-amz-checksum-mode": "ENABLED", **customer_key_headers(customer_key)}
        if byte_range is not None:
            headers["range"] = str(byte_range)
        response = await self.up.send("GET", bucket, key, query=query, headers=headers)
        try:
            answer = response_headers(response)
            length = int(answer.get("content-length", "0"))
            span = codec.parse_content_range(answer.get("content-range")) if response.status_code == 206 else None
            start, end, size = span if span is not None else (0, length - 1, length)
            info = meta.object_info(bucket, key, answer, self.owner_id, size)
            if precondition is not None:
                precondition(info)
            checksum = None if byte_range is not None else info.checksum
            return UpstreamObjectStream(info, start, end, checksum, response, self.up.endpoint)
        except BaseException:
            await response.aclose()
            raise

    async def put_object(self, bucket: str, key: str, body: Body, new: NewObject,
                         conditions: WriteConditions | None = None) -> ObjectInfo:
        out = await outgoing(body)
        headers = {**meta.new_object_headers(new), **meta.condition_headers(conditions),
                   **await self.grant_headers(bucket, new.acl)}
        _merge_body_headers(headers, out.headers)
        answer = await self._send_body(bucket, key, headers, out)
        digests = body.digests()
        given = Checksum(digests.checksum_algorithm, digests.checksum_value) if digests.checksum_given else None
        return ObjectInfo(bucket, key, digests.size, codec.unquote_etag(answer.get("etag")), _now_ms(),
                          new.owner_id, answer.get("x-amz-version-id"), new.storage_class, dict(new.content),
                          dict(new.metadata), codec.parse_checksum(answer) or given,
                          encryption=parse_encryption(answer))

    async def _send_body(self, bucket: str, key: str, headers: dict[str, str], out: Outgoing,
                         upload_id: str | None = None, part_number: int = 0) -> dict[str, str]:
        """PUT a streamed body (an object, or a part of ``upload_id``); the answer's headers.

        An upstream that refuses a request early (no such bucket or upload) answers and closes the
        connection while the body is still going out, so the transport fails before the answer can
        be read: the bucket and upload are then asked after, to report the real cause.
        """
        query = {"partNumber": str(part_number), "uploadId": upload_id} if upload_id is not None else None
        try:
            response = await self.up.send("PUT", bucket, key, query=query, headers=headers, content=out.content,
                                          length=out.length, payload_hash=out.payload_hash)
        except S3Error as exc:
            if exc.code != Code.ServiceUnavailable.name:
                raise
            await self.get_bucket(bucket)
            if upload_id is not None:
                await self.list_parts(bucket, key, upload_id, limit=1)
            raise
        await response.aclose()
        return response_headers(response)

    async def copy_object(self, src_bucket: str, src_key: str, src_version_id: str | None, bucket: str,
                          key: str, new: NewObject, *, checksum_algorithm: str | None = None,
                          conditions: WriteConditions | None = None,
                          src_customer_key: CustomerKey | None = None) -> ObjectInfo:
        """Always ``REPLACE``: the gateway has already resolved the metadata the copy gets."""
        headers = {**meta.new_object_headers(new), **meta.condition_headers(conditions),
                   **await self.grant_headers(bucket, new.acl),
                   "x-amz-copy-source": _copy_source(src_bucket, src_key, src_version_id),
                   "x-amz-metadata-directive": "REPLACE", **customer_key_headers(src_customer_key, copy_source=True)}
        headers["x-amz-tagging-directive"] = "REPLACE" if new.tags else "COPY"
        if checksum_algorithm is not None:
            headers["x-amz-checksum-algorithm"] = checksum_algorithm
        answer, body = await self.up.request("PUT", bucket, key, headers=headers)
        result = copy_doc.parse_copy_result(self.up.document(body, "CopyObjectResult"))
        # CopyObject does not report the size; nothing the gateway answers needs it.
        return ObjectInfo(bucket, key, 0, result.etag, result.last_modified_ms or _now_ms(),
                          new.owner_id, answer.get("x-amz-version-id"), new.storage_class, dict(new.content),
                          dict(new.metadata), result.checksum, encryption=parse_encryption(answer))

    async def delete_object(self, bucket: str, key: str, *, version_id: str | None = None,
                            bypass_governance: bool = False) -> DeleteResult:
        answer, _ = await self.up.request("DELETE", bucket, key, query=version_query(version_id),
                                          headers=bypass_header(bypass_governance), missing=Code.NoSuchBucket)
        return DeleteResult(key, answer.get("x-amz-version-id"), answer.get("x-amz-delete-marker") == "true")

    async def delete_objects(self, bucket: str, items: list[tuple[str, str | None]], *,
                             bypass_governance: bool = False) -> list[DeleteResult]:
        if not items:
            return []
        content = xml.render(delete_doc.render_delete(delete_doc.DeleteRequest(items)))
        _, body = await self.up.request("POST", bucket, query={"delete": ""}, content=content,
                                        headers={**content_md5_header(content), **bypass_header(bypass_governance)},
                                        missing=Code.NoSuchBucket)
        results = documents.delete_results(self.up.document(body, "DeleteResult"))
        # An item the upstream does not mention was deleted (S3 leaves them out in quiet mode); an error
        # that names no version is the key's (moto leaves out the VersionId of a refused version).
        answered = []
        for key, version_id in items:
            found = results.get((key, version_id))
            unversioned = results.get((key, None))
            if found is None and unversioned is not None and unversioned.error is not None:
                found = DeleteResult(key, version_id, error=unversioned.error)
            answered.append(found or DeleteResult(key, version_id))
        return answered

    # -- multipart uploads ---------------------------------------------------------------------
    def _remember(self, upload: UploadInfo) -> UploadInfo:
        self._uploads[(upload.bucket, upload.key, upload.upload_id)] = upload
        while len(self._uploads) > UPLOAD_CACHE:
            self._uploads.popitem(last=False)
        return upload

    def _forget(self, bucket: str, key: str, upload_id: str) -> None:
        self._uploads.pop((bucket, key, upload_id), None)

    async def create_multipart_upload(self, bucket: str, key: str, new: NewObject, *,
                                      checksum_algorithm: str | None, checksum_type: str | None) -> UploadInfo:
        headers = {**meta.new_object_headers(new), **await self.grant_headers(bucket, new.acl)}
        if checksum_algorithm is not None:
            headers["x-amz-checksum-algorithm"] = checksum_algorithm
        if checksum_type is not None:
            headers["x-amz-checksum-type"] = checksum_type
        answer, body = await self.up.request("POST", bucket, key, query={"uploads": ""}, headers=headers,
                                             missing=Code.NoSuchBucket)
        upload_id = multipart_doc.parse_upload_id(self.up.document(body, "InitiateMultipartUploadResult"))
        return self._remember(UploadInfo(upload_id, bucket, key, _now_ms(), new.owner_id, new.storage_class,
                                         checksum_algorithm, checksum_type, new.lock, parse_encryption(answer)))

    async def get_multipart_upload(self, bucket: str, key: str, upload_id: str) -> UploadInfo:
        cached = self._uploads.get((bucket, key, upload_id))
        if cached is not None:
            return cached
        return (await self.list_parts(bucket, key, upload_id, limit=1)).upload

    async def upload_part(self, bucket: str, key: str, upload_id: str, part_number: int, body: Body, *,
                          customer_key: CustomerKey | None = None) -> PartInfo:
        out = await outgoing(body)
        headers = customer_key_headers(customer_key)
        _merge_body_headers(headers, out.headers)
        answer = await self._send_body(bucket, key, headers, out, upload_id, part_number)
        digests = body.digests()
        checksum = codec.parse_checksum(answer) or Checksum(digests.checksum_algorithm, digests.checksum_value)
        return PartInfo(part_number, digests.size, codec.unquote_etag(answer.get("etag")), _now_ms(),
                        Checksum(checksum.algorithm, checksum.value, "PART"))

    async def upload_part_copy(self, bucket: str, key: str, upload_id: str, part_number: int, src_bucket: str,
                               src_key: str, src_version_id: str | None, byte_range: ByteRange | None, *,
                               customer_key: CustomerKey | None = None,
                               src_customer_key: CustomerKey | None = None) -> PartInfo:
        headers = {"x-amz-copy-source": _copy_source(src_bucket, src_key, src_version_id),
                   **customer_key_headers(customer_key), **customer_key_headers(src_customer_key, copy_source=True)}
        if byte_range is not None:
            headers["x-amz-copy-source-range"] = str(byte_range)
        _, body = await self.up.request("PUT", bucket, key, query={"partNumber": str(part_number),
                                                                   "uploadId": upload_id}, headers=headers)
        result = copy_doc.parse_copy_result(self.up.document(body, "CopyPartResult"))
        size = byte_range.last - byte_range.first + 1 if byte_range is not None and byte_range.first is not None \
            and byte_range.last is not None else 0
        checksum = Checksum(result.checksum.algorithm, result.checksum.value, "PART") if result.checksum else None
        return PartInfo(part_number, size, result.etag, result.last_modified_ms or _now_ms(), checksum)

    async def complete_multipart_upload(self, bucket: str, key: str, upload_id: str, parts: list[CompletedPart],
                                        conditions: WriteConditions | None = None,
                                        checks: CompletionChecks | None = None, *,
                                        customer_key: CustomerKey | None = None) -> ObjectInfo:
        """The upstream checks what the request asserts (its checksum, type and size headers go along)."""
        headers = {**meta.condition_headers(conditions), **(checks.headers() if checks is not None else {}),
                   **customer_key_headers(customer_key)}
        answer, body = await self.up.request("POST", bucket, key, query={"uploadId": upload_id},
                                             content=xml.render(multipart_doc.render_complete(parts)),
                                             headers=headers)
        result = multipart_doc.parse_complete_result(self.up.document(body, "CompleteMultipartUploadResult"))
        self._forget(bucket, key, upload_id)
        return ObjectInfo(bucket, key, 0, result.etag, _now_ms(), self.owner_id, answer.get("x-amz-version-id"),
                          checksum=result.checksum, parts_count=len(parts), encryption=parse_encryption(answer))

    async def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        await self.up.request("DELETE", bucket, key, query={"uploadId": upload_id}, missing=Code.NoSuchUpload)
        self._forget(bucket, key, upload_id)

    async def list_parts(self, bucket: str, key: str, upload_id: str, *, marker: int = 0,
                         limit: int = 1000) -> PartsPage:
        query = {"uploadId": upload_id, "max-parts": str(limit)}
        if marker:
            query["part-number-marker"] = str(marker)
        _, body = await self.up.request("GET", bucket, key, query=query, missing=Code.NoSuchUpload)
        doc = self.up.document(body, "ListPartsResult")
        fields = multipart_doc.parse_upload_fields(doc)
        upload = self._remember(UploadInfo(upload_id, bucket, key, 0, self.owner_id, fields.storage_class,
                                           fields.checksum_algorithm, fields.checksum_type))
        found, truncated, next_marker = multipart_doc.parse_parts(doc)
        return PartsPage(upload, found, truncated, next_marker)

    async def list_multipart_uploads(self, bucket: str, *, prefix: str = "", delimiter: str = "",
                                     key_marker: str = "", upload_id_marker: str = "",
                                     limit: int = 1000) -> UploadsPage:
        query = {"uploads": "", "encoding-type": "url", "max-uploads": str(limit)}
        for name, value in (("prefix", prefix), ("delimiter", delimiter), ("key-marker", key_marker),
                            ("upload-id-marker", upload_id_marker)):
            if value:
                query[name] = value
        _, body = await self.up.request("GET", bucket, query=query, missing=Code.NoSuchBucket)
        return documents.uploads(self.up.document(body, "ListMultipartUploadsResult"), bucket, self.owner_id)


def _merge_body_headers(headers: dict[str, str], body_headers: dict[str, str]) -> None:
    """Add a body's framing/checksum headers; ``aws-chunked`` goes in front of a stored Content-Encoding."""
    for name, value in body_headers.items():
        if name == "content-encoding" and headers.get(name):
            value = f"{value},{headers[name]}"
        headers[name] = value

