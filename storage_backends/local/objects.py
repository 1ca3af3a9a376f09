"""Buckets, objects, listings, versions and tags of the local backend."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Mapping

from gateway.wire import checksums
from gateway.wire.documents.acl import Grants, grants_of
from gateway.wire.errors import Code, S3Error
from gateway.wire.lanes import Digester
from gateway.wire.lifecycle_rules import expiration_of
from storage_backends.base import Body as RequestBody
from storage_backends.base import (
    BucketInfo,
    ByteRange,
    Checksum,
    DeleteResult,
    ListPage,
    NewObject,
    ObjectAcl,
    ObjectInfo,
    ObjectParts,
    PartInfo,
    VersionsPage,
    WriteConditions,
)
from storage_backends.catalog import records as rec
from storage_backends.catalog.records import Extent, NewVersion, ObjectRecord, Placement
from storage_backends.catalog.sql import blobs as blob_rows
from storage_backends.catalog.sql import buckets as bucket_rows
from storage_backends.catalog.sql import objects as version_rows
from storage_backends.catalog.sql import uploads as upload_rows
from storage_backends.catalog.store import Tx
from storage_backends.local.blobs import read_fd
from storage_backends.local.core import LocalCore
from storage_backends.local.listing import paginate, successor


class LocalObjectStream:
    """An opened version: descriptors (or inline bytes) for just the extents the range needs."""

    def __init__(self, info: ObjectInfo, start: int, end: int, checksum: Checksum | None,
                 pieces: list[tuple[int | bytes, int, int]]) -> None:
        self.info = info
        self.start = start
        self.end = end
        self.checksum = checksum
        self._pieces = pieces  # (fd or inline bytes, offset in it, length)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for source, offset, length in self._pieces:
            if isinstance(source, bytes):
                yield source[offset: offset + length]
            else:
                async for chunk in read_fd(source, offset, length):
                    yield chunk

    async def aclose(self) -> None:
        for source, _, _ in self._pieces:
            if isinstance(source, int):
                os.close(source)
        self._pieces = []


def _part_range(info: ObjectInfo, extents: list[Extent], part_number: int
                ) -> tuple[int, int, Checksum | None]:
    """Byte range and checksum of part N (a single-part object is its own part 1).

    A COMPOSITE object has a checksum per part; a FULL_OBJECT one only for the whole, which is
    reported when the part is the whole object (S3 does the same, as for a whole-object range).
    """
    count = info.parts_count or 1
    if not 1 <= part_number <= count:
        raise S3Error(Code.InvalidPartNumber, PartNumberRequested=str(part_number), ActualPartCount=str(count))
    if not info.parts_count:
        return 0, info.size - 1, info.checksum
    offset = 0
    for extent in extents:
        if extent.part_number == part_number:
            checksum = rec.part_checksum(extent.checksum)
            if checksum is not None and info.checksum is not None and info.checksum.type == "COMPOSITE":
                checksum = Checksum(checksum.algorithm, checksum.value, "COMPOSITE")
            else:
                checksum = info.checksum if extent.size == info.size else None
            return extent.start, extent.start + extent.size - 1, checksum
        offset = extent.start + extent.size
    return offset, offset - 1, None  # an empty part


def _check_version_id(version_id: str | None) -> None:
    if version_id is not None and not rec.is_version_id(version_id):
        raise S3Error(Code.InvalidArgument, "Invalid version id specified", ArgumentName="versionId",
                      ArgumentValue=version_id)


class ObjectOps(LocalCore):
    # -- buckets --------------------------------------------------------------------------------
    async def list_buckets(self, owner_id: str | None, *, prefix: str = "", start_after: str = "",
                           limit: int = 10000) -> list[BucketInfo]:
        return await self._cat.buckets(owner_id, prefix, start_after, limit)

    async def create_bucket(self, name: str, *, region: str, owner_id: str,
                            configs: Mapping[str, str | None] | None = None, object_lock: bool = False) -> BucketInfo:
        self._admit()
        self._forget_bucket(name)
        return await self._cat.write(lambda tx: bucket_rows.create(tx, name, region, owner_id, configs, object_lock))

    async def get_bucket(self, name: str) -> BucketInfo:
        return await self._bucket(name)

    async def delete_bucket(self, name: str) -> None:
        def commit(tx: Tx) -> None:
            bucket_rows.delete(tx, name)
            upload_rows.abort_all(tx, name)  # uploads in progress die with their bucket

        self._forget_bucket(name)
        await self._cat.write(commit)
        self._forget_bucket(name)

    async def get_bucket_config(self, name: str, kind: str) -> str | None:
        await self._bucket(name)
        return await self._cat.config(name, kind)

    async def put_bucket_config(self, name: str, kind: str, document: str | None) -> None:
        if document is not None:  # removing a document always works
            self._admit()
        await self._cat.write(lambda tx: bucket_rows.put_config(tx, name, kind, document))
        self._forget_bucket(name)

    async def get_bucket_versioning(self, bucket: str) -> str | None:
        return (await self._bucket(bucket)).versioning

    async def put_bucket_versioning(self, bucket: str, status: str) -> None:
        self._admit()
        await self._cat.write(lambda tx: bucket_rows.set_versioning(tx, bucket, status))
        self._forget_bucket(bucket)

    # -- listing --------------------------------------------------------------------------------
    async def list_objects(self, bucket: str, *, prefix: str = "", delimiter: str = "", after: str = "",
                           limit: int = 1000) -> ListPage:
        await self._bucket(bucket)
        cat = self._cat
        upper = successor(prefix) if prefix else None
        start = (after, False) if after >= prefix else (prefix, True)
        page = await paginate(
            lambda cursor, n, fold: cat.list_latest(bucket, cursor, upper, n, fold),
            lambda row: row.key,
            lambda key: (key, True),
            start=start, marker=after, prefix=prefix, delimiter=delimiter, limit=limit,
        )
        last = page.last
        next_marker = (last if isinstance(last, str) else last.key) if page.is_truncated and last else None
        return ListPage(page.rows, page.common_prefixes, page.is_truncated,
                        next_marker)

    async def list_object_versions(self, bucket: str, *, prefix: str = "", delimiter: str = "", key_marker: str = "",
                                   version_id_marker: str = "", limit: int = 1000) -> VersionsPage:
        b = await self._bucket(bucket)
        cat = self._cat
        upper = successor(prefix) if prefix else None
        start: tuple[str, int, bool]
        if key_marker and version_id_marker:
            if not rec.is_version_id(version_id_marker):
                raise S3Error(Code.InvalidArgument, "Invalid version id specified", ArgumentName="version-id-marker",
                              ArgumentValue=version_id_marker)
            # a marker deleted since keeps its place in the order (a cleanup job pages while it deletes)
            position = await cat.version_position(bucket, key_marker, version_id_marker)
            start = (key_marker, position, False) if position is not None else (key_marker, 0, True)
        elif key_marker:
            start = (key_marker, -1, False)  # past every version of the marker key
        else:
            start = (prefix, 0, True)
        if start[0] < prefix:
            start = (prefix, 0, True)
        page = await paginate(
            lambda cursor, n, fold: cat.list_versions(bucket, cursor, upper, n, fold),
            lambda row: row.key,
            lambda k: (k, 0, True),
            start=start, marker=key_marker, prefix=prefix, delimiter=delimiter, limit=limit,
        )
        versions = []
        for row in page.rows:
            info = rec.listed_info(bucket, row)
            info.version_id = row.version_id if b.versioning else "null"
            info.is_latest, info.delete_marker = row.is_latest, row.delete_marker
            versions.append(info)
        next_key = next_version = None
        if page.is_truncated and page.last is not None:
            if isinstance(page.last, str):
                next_key = page.last
            else:
                next_key = page.last.key
                next_version = page.last.version_id if b.versioning else "null"
        return VersionsPage(versions, page.common_prefixes, page.is_truncated, next_key, next_version)

    # -- reading ----------------------------------------------------------------------------------
    async def _row(self, bucket: str, key: str, version_id: str | None) -> tuple[ObjectRecord, BucketInfo]:
        b = await self._bucket(bucket)
        _check_version_id(version_id)
        row = await self._cat.object_row(bucket, key, version_id)
        if row is None:
            if version_id is not None:
                raise S3Error(Code.NoSuchVersion, Key=key, VersionId=version_id)
            raise S3Error(Code.NoSuchKey, Key=key)
        if row.delete_marker:
            headers = {"x-amz-delete-marker": "true"}
            if b.versioning:
                headers["x-amz-version-id"] = row.version_id
            if version_id is not None:
                raise S3Error(Code.MethodNotAllowed, "The specified method is not allowed against this resource.",
                              headers={**headers, "allow": "DELETE"}, Method="GET", ResourceType="DeleteMarker")
            raise S3Error(Code.NoSuchKey, headers=headers, Key=key)
        return row, b

    async def head_object(self, bucket: str, key: str, *, version_id: str | None = None) -> ObjectInfo:
        row, b = await self._row(bucket, key, version_id)
        return await self._describe(row, b)

    async def get_object_parts(self, bucket: str, key: str, *, version_id: str | None = None, marker: int = 0,
                               limit: int = 1000) -> tuple[ObjectInfo, ObjectParts | None]:
        row, b = await self._row(bucket, key, version_id)
        info = await self._describe(row, b)
        if not info.parts_count:
            return info, None
        after = [e for e in await self._extents(row) if e.part_number > marker]
        parts = [PartInfo(e.part_number, e.size, e.etag, info.last_modified_ms, rec.part_checksum(e.checksum))
                 for e in after[:limit]]
        return info, ObjectParts(info.parts_count, parts, len(after) > limit)

    async def get_object(self, bucket: str, key: str, *, version_id: str | None = None,
                         byte_range: ByteRange | None = None, part_number: int | None = None,
                         precondition: Callable[[ObjectInfo], None] | None = None) -> LocalObjectStream:
        for attempt in range(3):
            row, b = await self._row(bucket, key, version_id)
            info = await self._describe(row, b)
            if precondition is not None:
                precondition(info)
            extents = await self._extents(row)
            inline = await self._cat.inline(row.id) if not extents and info.size else None
            checksum = info.checksum
            if part_number is not None:
                start, end, checksum = _part_range(info, extents, part_number)
            elif byte_range is not None:
                start, end = byte_range.resolve(info.size)
                checksum = None if (start, end) != (0, info.size - 1) else checksum
            else:
                start, end = 0, info.size - 1
            try:
                pieces: list[tuple[int | bytes, int, int]] = \
                    [(inline, start, end - start + 1)] if inline is not None and end >= start else \
                    await self._open_pieces(extents, start, end)
                return LocalObjectStream(info, start, end, checksum, pieces)
            except FileNotFoundError:  # replaced, deleted or moved between lookup and open: look again
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _extents(self, row: ObjectRecord) -> list[Extent]:
        if row.blob_id is not None:
            return [Extent(1, row.blob_id, 0, row.size, row.etag, None)]
        if row.parts_count:
            return await self._cat.extents(row.id)
        return []

    async def _open_pieces(self, extents: list[Extent], start: int, end: int
                           ) -> list[tuple[int | bytes, int, int]]:
        if end < start:
            return []
        pieces: list[tuple[int | bytes, int, int]] = []
        try:
            for extent in extents:
                lo = max(start, extent.start)
                hi = min(end, extent.start + extent.size - 1)
                if lo > hi:
                    continue
                blob = await self._cat.blob(extent.blob_id)
                if blob is None:
                    raise FileNotFoundError(extent.blob_id)
                source: int | bytes = blob.data if blob.data is not None else \
                    self.blobs.open_fd(extent.blob_id, blob.volume)
                pieces.append((source, lo - extent.start, hi - lo + 1))
        except BaseException:
            for source, _, _ in pieces:
                if isinstance(source, int):
                    os.close(source)
            raise
        return pieces

    # -- writing ----------------------------------------------------------------------------------
    async def _with_expiration(self, info: ObjectInfo) -> ObjectInfo:
        config = await self._lifecycle(info.bucket)
        if config is not None:
            info.expiration = expiration_of(config, info.key, info.size, info.tags, info.last_modified_ms,
                                            await self.clock())
        return info

    async def put_object(self, bucket: str, key: str, body: RequestBody, new: NewObject,
                         conditions: WriteConditions | None = None) -> ObjectInfo:
        await self._bucket(bucket)  # fail fast, before reading the body
        if conditions is not None:
            version_rows.check_write_conditions(await self._cat.object_row(bucket, key, None), conditions)
        volume = self.blobs.volume_for(new.storage_class)
        self._admit(volume, body.size or 0)
        spilled = await self.blobs.write(body, volume=volume)
        digests = body.digests()
        blob_id = spilled.blob_id
        checksum = Checksum(digests.checksum_algorithm, digests.checksum_value)
        version = NewVersion(spilled.size, digests.md5_hex, checksum,
                             Placement(blob_id, None, spilled.inline if spilled.size else None))

        def commit(tx: Tx) -> ObjectInfo:
            if blob_id is not None:
                blob_rows.add(tx, blob_id, spilled.size, None, volume)
            return version_rows.put_version(tx, bucket, key, new, version, conditions, self.day_ms)

        try:
            info = await self._cat.write(commit)
        except BaseException:
            if spilled.blob_id is not None:  # published but never referenced
                await self.blobs.delete([spilled.blob_id])
            raise
        return await self._with_expiration(info)

    async def copy_object(self, src_bucket: str, src_key: str, src_version_id: str | None, bucket: str,
                          key: str, new: NewObject, *, checksum_algorithm: str | None = None,
                          conditions: WriteConditions | None = None) -> ObjectInfo:
        """Share the source's blobs (no bytes copied) unless a different checksum must be computed."""
        _check_version_id(src_version_id)
        if checksum_algorithm is not None:
            src_info = await self.head_object(src_bucket, src_key, version_id=src_version_id)
            if src_info.checksum is None or src_info.checksum.algorithm != checksum_algorithm \
                    or src_info.checksum.type != "FULL_OBJECT":
                return await self._copy_rewrite(src_bucket, src_key, src_version_id, bucket, key, new,
                                                checksum_algorithm, conditions)

        def commit(tx: Tx) -> ObjectInfo:
            src = version_rows.source(tx, src_bucket, src_key, src_version_id)
            placement, extents = version_rows.copy_refs(tx, src)
            version = NewVersion(src.size, src.etag, rec.checksum_of(src.checksum), placement, extents)
            return version_rows.put_version(tx, bucket, key, new, version, conditions, self.day_ms,
                                            event="ObjectCreated:Copy")

        self._admit()
        return await self._with_expiration(await self._cat.write(commit))

    async def _copy_rewrite(self, src_bucket: str, src_key: str, src_version_id: str | None, bucket: str,
                            key: str, new: NewObject, algorithm: str,
                            conditions: WriteConditions | None) -> ObjectInfo:
        """A copy that must compute another checksum re-reads the source into a new blob."""
        stream = await self.get_object(src_bucket, src_key, version_id=src_version_id)
        volume = self.blobs.volume_for(new.storage_class)
        kept, size, _, value = await self._rewrite(stream, algorithm, volume)
        version = NewVersion(size, stream.info.etag, Checksum(algorithm, value), Placement(kept, None))

        def commit(tx: Tx) -> ObjectInfo:
            if kept is not None:
                blob_rows.add(tx, kept, size, None, volume)
            return version_rows.put_version(tx, bucket, key, new, version, conditions, self.day_ms,
                                            event="ObjectCreated:Copy")

        return await self._with_expiration(await self._cat.write(commit))

    async def _rewrite(self, stream: LocalObjectStream, algorithm: str, volume: str
                       ) -> tuple[str | None, int, str, str]:
        """Copy a stream's bytes into a new blob: (blob id or None if empty, size, MD5 hex, checksum).

        The stream is closed whatever happens; nothing refers to the new blob yet.
        """
        digester = Digester(False, {algorithm})  # MD5 beside the loop, not on it: a part copy can be 5 GiB

        async def hashed() -> AsyncIterator[bytes]:
            try:
                async for chunk in stream:
                    await digester.feed(chunk)
                    yield chunk
            finally:
                await digester.drain()

        try:
            self._admit(volume, stream.end - stream.start + 1)
            blob_id, size = await self.blobs.publish(hashed(), volume=volume)
        finally:
            await stream.aclose()
        if size == 0:
            await self.blobs.delete([blob_id])
        return (blob_id if size else None), size, digester.md5.hexdigest(), \
            checksums.b64(digester.checksums[algorithm].digest())

    async def delete_object(self, bucket: str, key: str, *, version_id: str | None = None,
                            bypass_governance: bool = False) -> DeleteResult:
        _check_version_id(version_id)
        deleted = await self._cat.write(
            lambda tx: version_rows.delete(tx, bucket, key, version_id, bypass=bypass_governance))
        return DeleteResult(key, deleted.version_id, deleted.delete_marker)

    async def delete_objects(self, bucket: str, items: list[tuple[str, str | None]], *,
                             bypass_governance: bool = False) -> list[DeleteResult]:
        await self._bucket(bucket)

        async def one(key: str, version_id: str | None) -> DeleteResult:
            try:
                return await self.delete_object(bucket, key, version_id=version_id,
                                                bypass_governance=bypass_governance)
            except S3Error as exc:
                return DeleteResult(key, version_id, error=exc)

        # Concurrent deletes share group commits: 1,000 keys cost a handful of fsyncs, not 1,000.
        return list(await asyncio.gather(*(one(k, v) for k, v in items)))

    # -- tags -------------------------------------------------------------------------------------
    async def get_object_tagging(self, bucket: str, key: str, *, version_id: str | None = None
                                 ) -> tuple[str | None, dict[str, str]]:
        info = await self.head_object(bucket, key, version_id=version_id)
        return info.version_id, info.tags

    async def get_object_acl(self, bucket: str, key: str, *, version_id: str | None = None) -> ObjectAcl:
        row, b = await self._row(bucket, key, version_id)
        return ObjectAcl(row.owner_id, grants_of(row.acl), row.version_id if b.versioning else None)

    async def put_object_acl(self, bucket: str, key: str, grants: Grants | None, *,
                             version_id: str | None = None) -> str | None:
        _check_version_id(version_id)
        self._admit()
        return await self._cat.write(lambda tx: version_rows.set_acl(tx, bucket, key, version_id, grants))

    async def put_object_tagging(self, bucket: str, key: str, tags: dict[str, str], *,
                                 version_id: str | None = None) -> str | None:
        _check_version_id(version_id)
        if tags:  # DeleteObjectTagging (no tags) always works
            self._admit()
        return await self._cat.write(lambda tx: version_rows.put_tags(tx, bucket, key, version_id, tags))
