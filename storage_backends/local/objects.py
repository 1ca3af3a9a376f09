"""Buckets, objects, listings, versions and tags of the local backend (copies: ``copies``)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping

from gateway.wire.documents.acl import Grants, grants_of
from gateway.wire.errors import Code, S3Error
from gateway.wire.lifecycle_rules import expiration_of
from storage_backends.base import Body as RequestBody
from storage_backends.base import (
    BucketInfo,
    ByteRange,
    Checksum,
    CustomerKey,
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
from storage_backends.local import encryption as enc
from storage_backends.local import sealed
from storage_backends.local.core import LocalCore
from storage_backends.local.listing import paginate, successor
from storage_backends.local.stream import LocalObjectStream, Piece, close_pieces, part_range


def check_version_id(version_id: str | None) -> None:
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
        return await self._cat.write(lambda tx: bucket_rows.create(tx, name, region, owner_id, configs, object_lock))

    async def get_bucket(self, name: str) -> BucketInfo:
        return await self._bucket(name)

    async def delete_bucket(self, name: str) -> None:
        def commit(tx: Tx) -> None:
            bucket_rows.delete(tx, name)
            upload_rows.abort_all(tx, name)  # uploads in progress die with their bucket

        await self._cat.write(commit)

    async def get_bucket_config(self, name: str, kind: str) -> str | None:
        await self._bucket(name)
        return await self._cat.config(name, kind)

    async def put_bucket_config(self, name: str, kind: str, document: str | None) -> None:
        if document is not None:  # removing a document always works
            self._admit()
        await self._cat.write(lambda tx: bucket_rows.put_config(tx, name, kind, document))

    async def get_bucket_versioning(self, bucket: str) -> str | None:
        return (await self._bucket(bucket)).versioning

    async def put_bucket_versioning(self, bucket: str, status: str) -> None:
        self._admit()
        await self._cat.write(lambda tx: bucket_rows.set_versioning(tx, bucket, status))

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
        check_version_id(version_id)
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

    def _check_read_key(self, row: ObjectRecord, customer_key: CustomerKey | None) -> None:
        enc.check_read_key(row.encryption, customer_key)

    async def head_object(self, bucket: str, key: str, *, version_id: str | None = None,
                          customer_key: CustomerKey | None = None) -> ObjectInfo:
        row, b = await self._row(bucket, key, version_id)
        self._check_read_key(row, customer_key)
        return await self._describe(row, b)

    async def get_object_parts(self, bucket: str, key: str, *, version_id: str | None = None, marker: int = 0,
                               limit: int = 1000, customer_key: CustomerKey | None = None
                               ) -> tuple[ObjectInfo, ObjectParts | None]:
        row, b = await self._row(bucket, key, version_id)
        self._check_read_key(row, customer_key)
        info = await self._describe(row, b)
        if not info.parts_count:
            return info, None
        after = [e for e in await self._extents(row) if e.part_number > marker]
        parts = [PartInfo(e.part_number, e.size, e.etag, info.last_modified_ms, rec.part_checksum(e.checksum))
                 for e in after[:limit]]
        return info, ObjectParts(info.parts_count, parts, len(after) > limit)

    async def get_object(self, bucket: str, key: str, *, version_id: str | None = None,
                         byte_range: ByteRange | None = None, part_number: int | None = None,
                         precondition: Callable[[ObjectInfo], None] | None = None,
                         customer_key: CustomerKey | None = None) -> LocalObjectStream:
        for attempt in range(3):
            row, b = await self._row(bucket, key, version_id)
            self._check_read_key(row, customer_key)
            info = await self._describe(row, b)
            if precondition is not None:
                precondition(info)
            extents = await self._extents(row)
            inline = await self._cat.inline(row.id) if not extents and info.size else None
            checksum = info.checksum
            if part_number is not None:
                start, end, checksum = part_range(info, extents, part_number)
            elif byte_range is not None:
                start, end = byte_range.resolve(info.size)
                checksum = None if (start, end) != (0, info.size - 1) else checksum
            else:
                start, end = 0, info.size - 1
            try:
                if inline is not None and end >= start:
                    plain = self._unseal(row.encryption, customer_key, inline, row.size, f"inline:{row.id}")
                    pieces = [Piece(plain, start, end - start + 1)]
                else:
                    pieces = await self._open_pieces(extents, start, end, row.encryption, customer_key)
                self._note_retrieval(info, end - start + 1)
                return LocalObjectStream(info, start, end, checksum, pieces)
            except FileNotFoundError:  # replaced, deleted or moved between lookup and open: look again
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _unseal(self, column: str | None, customer_key: CustomerKey | None, data: bytes, size: int,
                name: str) -> bytes:
        """Bytes kept in the catalog (small bodies), decrypted if the version is encrypted."""
        return data if column is None else enc.unseal_bytes(self.keyring, column, customer_key, data, size, name)

    async def _extents(self, row: ObjectRecord) -> list[Extent]:
        if row.blob_id is not None:
            return [Extent(1, row.blob_id, 0, row.size, row.etag, None)]
        if row.parts_count:
            return await self._cat.extents(row.id)
        return []

    async def _open_pieces(self, extents: list[Extent], start: int, end: int, column: str | None,
                           customer_key: CustomerKey | None) -> list[Piece]:
        if end < start:
            return []
        pieces: list[Piece] = []
        try:
            for extent in extents:
                lo = max(start, extent.start)
                hi = min(end, extent.start + extent.size - 1)
                if lo > hi:
                    continue
                blob = await self._cat.blob(extent.blob_id)
                if blob is None:
                    raise FileNotFoundError(extent.blob_id)
                if blob.data is not None:
                    data = self._unseal(column, customer_key, blob.data, extent.size, extent.blob_id)
                    pieces.append(Piece(data, lo - extent.start, hi - lo + 1))
                    continue
                fd = self.blobs.open_fd(extent.blob_id, blob.volume)
                pieces.append(Piece(fd, lo - extent.start, hi - lo + 1))
                if column is not None:
                    opened = enc.open_blob(self.keyring, column, customer_key, os.pread(fd, sealed.HEADER_SIZE, 0),
                                           extent.size, extent.blob_id)
                    pieces[-1] = Piece(fd, lo - extent.start, hi - lo + 1, opened)
        except BaseException:
            close_pieces(pieces)
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
        to = enc.target(self.keyring, new.encryption, new.customer_key)
        seal = to.seal(self.keyring) if to is not None else None
        volume = self.blobs.volume_for(new.storage_class)
        self._admit(volume, body.size or 0)
        spilled = await self.blobs.write(body, volume=volume, seal=seal)
        digests = body.digests()
        blob_id = spilled.blob_id
        checksum = Checksum(digests.checksum_algorithm, digests.checksum_value)
        version = NewVersion(spilled.size, enc.etag_of(to, seal, digests.md5_hex), checksum,
                             Placement(blob_id, None, spilled.inline if spilled.size else None),
                             encryption=to.column if to is not None else None)

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

    async def delete_object(self, bucket: str, key: str, *, version_id: str | None = None,
                            bypass_governance: bool = False) -> DeleteResult:
        check_version_id(version_id)
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
        info = await self._describe(*await self._row(bucket, key, version_id))  # SSE-C needs no key for tags
        return info.version_id, info.tags

    async def get_object_acl(self, bucket: str, key: str, *, version_id: str | None = None) -> ObjectAcl:
        row, b = await self._row(bucket, key, version_id)
        return ObjectAcl(row.owner_id, grants_of(row.acl), row.version_id if b.versioning else None)

    async def put_object_acl(self, bucket: str, key: str, grants: Grants | None, *,
                             version_id: str | None = None) -> str | None:
        check_version_id(version_id)
        self._admit()
        return await self._cat.write(lambda tx: version_rows.set_acl(tx, bucket, key, version_id, grants))

    async def put_object_tagging(self, bucket: str, key: str, tags: dict[str, str], *,
                                 version_id: str | None = None) -> str | None:
        check_version_id(version_id)
        if tags:  # DeleteObjectTagging (no tags) always works
            self._admit()
        return await self._cat.write(lambda tx: version_rows.put_tags(tx, bucket, key, version_id, tags))
