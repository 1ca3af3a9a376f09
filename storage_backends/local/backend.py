"""LocalBackend: object bodies as blob files (or inline rows), metadata in SQLite.

The write path for every object: stream the verified body to a temp file (or keep it in
memory if it is small), fsync, rename into ``blobs/``, then commit the metadata in one
transaction. Until that commit nothing is visible; after it, the bytes and metadata survive a
crash or power loss. Freed blob files are deleted after the commit that freed them.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TypeVar

from gateway import checksums
from gateway.errors import Code, S3Error
from storage_backends.base import (
    Body as RequestBody,
)
from storage_backends.base import (
    BucketInfo,
    ByteRange,
    Checksum,
    CompletedPart,
    DeleteResult,
    ListPage,
    NewObject,
    ObjectInfo,
    PartInfo,
    PartsPage,
    UploadInfo,
    UploadsPage,
    WriteConditions,
)
from storage_backends.local import metadata as md
from storage_backends.local import uploads
from storage_backends.local.blobs import BlobStore, new_blob_id, read_fd
from storage_backends.local.listing import paginate, successor

log = logging.getLogger("s3gate.local")
T = TypeVar("T")

INLINE_MAX = 64 * 1024
ORPHAN_AGE_S = 3600.0  # a blob file this old that no metadata names is a crash leftover


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


def _part_range(info: ObjectInfo, extents: list[md.Extent], part_number: int
                ) -> tuple[int, int, Checksum | None]:
    """Byte range and checksum of part N (a single-part object is its own part 1)."""
    count = info.parts_count or 1
    if not 1 <= part_number <= count:
        raise S3Error(Code.InvalidPartNumber, PartNumberRequested=str(part_number), ActualPartCount=str(count))
    if not info.parts_count:
        return 0, info.size - 1, info.checksum
    offset = 0
    for extent in extents:
        if extent.part_number == part_number:
            checksum = uploads.part_checksum(extent.checksum)
            if checksum is not None and info.checksum is not None and info.checksum.type == "COMPOSITE":
                checksum = Checksum(checksum.algorithm, checksum.value, "COMPOSITE")
            else:
                checksum = None
            return extent.start, extent.start + extent.size - 1, checksum
        offset = extent.start + extent.size
    return offset, offset - 1, None  # an empty part


class LocalBackend:
    def __init__(self, data_dir: str | Path, *, inline_max: int = INLINE_MAX) -> None:
        self.root = Path(data_dir)
        self.blobs = BlobStore(self.root, inline_max)
        self.meta: md.Metadata | None = None
        self._maintenance_fd: int | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- life cycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.blobs.open()
        self.meta = md.Metadata(str(self.root / "metadata.db"))
        if self._claim_maintenance():
            task = asyncio.create_task(self._recover())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self.meta is not None:
            self.meta.close()
        self.blobs.close()
        if self._maintenance_fd is not None:
            os.close(self._maintenance_fd)

    def _claim_maintenance(self) -> bool:
        """One process per data directory does recovery and sweeping (workers share the directory)."""
        fd = os.open(self.root / "maintenance.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._maintenance_fd = fd
        return True

    async def _recover(self) -> None:
        """Finish deletions a crash interrupted, then remove blob files no metadata names."""
        m = self._meta
        pending = await m.writer.run(md.tx_pending_garbage)
        if pending:
            await self._collect(pending)
        removed = await asyncio.to_thread(self.blobs.sweep_orphans, m.file_blob_ids(), ORPHAN_AGE_S)
        if removed:
            log.info("removed %d orphaned blob files", removed)

    @property
    def _meta(self) -> md.Metadata:
        assert self.meta is not None, "LocalBackend.start() first"
        return self.meta

    async def _write(self, fn: Callable[[sqlite3.Connection, list[str]], T]) -> T:
        """Run a write transaction; afterwards delete the blob files it freed."""
        garbage: list[str] = []
        result = await self._meta.writer.run(lambda conn: fn(conn, garbage))
        if garbage:
            await self._collect(garbage)
        return result

    async def _collect(self, blob_ids: list[str]) -> None:
        await self.blobs.delete(blob_ids)
        await self._meta.writer.run(lambda conn: md.tx_forget_garbage(conn, blob_ids))

    # -- buckets --------------------------------------------------------------------------------
    async def list_buckets(self, owner_id: str | None, *, prefix: str = "", start_after: str = "",
                           limit: int = 10000) -> list[BucketInfo]:
        return self._meta.buckets(owner_id, prefix, start_after, limit)

    async def create_bucket(self, name: str, *, region: str, owner_id: str) -> BucketInfo:
        return await self._meta.writer.run(lambda c: md.tx_create_bucket(c, name, region, owner_id))

    async def get_bucket(self, name: str) -> BucketInfo:
        info = self._meta.bucket(name)
        if info is None:
            raise S3Error(Code.NoSuchBucket, BucketName=name)
        return info

    async def delete_bucket(self, name: str) -> None:
        def commit(conn: sqlite3.Connection, garbage: list[str]) -> None:
            md.tx_delete_bucket(conn, name)
            uploads.tx_abort_all(conn, name, garbage)  # uploads in progress die with their bucket

        await self._write(commit)

    async def get_bucket_config(self, name: str, kind: str) -> str | None:
        await self.get_bucket(name)
        return self._meta.config(name, kind)

    async def put_bucket_config(self, name: str, kind: str, document: str | None) -> None:
        await self._meta.writer.run(lambda c: md.tx_put_config(c, name, kind, document))

    # -- listing --------------------------------------------------------------------------------
    async def list_objects(self, bucket: str, *, prefix: str = "", delimiter: str = "", after: str = "",
                           limit: int = 1000) -> ListPage:
        await self.get_bucket(bucket)
        m = self._meta
        upper = successor(prefix) if prefix else None
        start = (after, False) if after >= prefix else (prefix, True)
        page = paginate(
            lambda cursor, n: m.list_latest(bucket, cursor, upper, n),
            lambda row: row["key"],
            lambda row: (row["key"], False),
            lambda key: (key, True),
            start=start, marker=after, prefix=prefix, delimiter=delimiter, limit=limit,
        )
        last = page.last
        next_marker = (last if isinstance(last, str) else last["key"]) if page.is_truncated and last else None
        return ListPage([md.listed_info(bucket, r) for r in page.rows], page.common_prefixes, page.is_truncated,
                        next_marker)

    # -- objects --------------------------------------------------------------------------------
    def _row(self, bucket: str, key: str, version_id: str | None) -> tuple[sqlite3.Row, BucketInfo]:
        b = self._meta.bucket(bucket)
        if b is None:
            raise S3Error(Code.NoSuchBucket, BucketName=bucket)
        if version_id is not None and not md.is_version_id(version_id):
            raise S3Error(Code.InvalidArgument, "Invalid version id specified", ArgumentName="versionId",
                          ArgumentValue=version_id)
        row = self._meta.object_row(bucket, key, version_id)
        if row is None:
            if version_id is not None:
                raise S3Error(Code.NoSuchVersion, Key=key, VersionId=version_id)
            raise S3Error(Code.NoSuchKey, Key=key)
        if row["delete_marker"]:
            headers = {"x-amz-delete-marker": "true"}
            if b.versioning:
                headers["x-amz-version-id"] = row["version_id"]
            if version_id is not None:
                raise S3Error(Code.MethodNotAllowed, headers={**headers, "allow": "DELETE"}, Method="GET",
                              ResourceType="DeleteMarker")
            raise S3Error(Code.NoSuchKey, headers=headers, Key=key)
        return row, b

    async def head_object(self, bucket: str, key: str, *, version_id: str | None = None) -> ObjectInfo:
        row, b = self._row(bucket, key, version_id)
        return md.object_info(row, b.versioning)

    async def get_object(self, bucket: str, key: str, *, version_id: str | None = None,
                         byte_range: ByteRange | None = None, part_number: int | None = None,
                         precondition: Callable[[ObjectInfo], None] | None = None) -> LocalObjectStream:
        for attempt in range(3):
            row, b = self._row(bucket, key, version_id)
            info = md.object_info(row, b.versioning)
            if precondition is not None:
                precondition(info)
            extents = self._extents(row)
            checksum = info.checksum
            if part_number is not None:
                start, end, checksum = _part_range(info, extents, part_number)
            elif byte_range is not None:
                start, end = byte_range.resolve(info.size)
                checksum = None if (start, end) != (0, info.size - 1) else checksum
            else:
                start, end = 0, info.size - 1
            try:
                return LocalObjectStream(info, start, end, checksum, self._open_pieces(extents, start, end))
            except FileNotFoundError:  # replaced or deleted between lookup and open: look again
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _extents(self, row: sqlite3.Row) -> list[md.Extent]:
        if row["blob_id"] is not None:
            return [md.Extent(1, row["blob_id"], 0, row["size"], row["etag"], None)]
        if row["parts_count"]:
            return self._meta.extents(row["id"])
        return []

    def _open_pieces(self, extents: list[md.Extent], start: int, end: int) -> list[tuple[int | bytes, int, int]]:
        if end < start:
            return []
        pieces: list[tuple[int | bytes, int, int]] = []
        try:
            for extent in extents:
                lo = max(start, extent.start)
                hi = min(end, extent.start + extent.size - 1)
                if lo > hi:
                    continue
                blob = self._meta.blob(extent.blob_id)
                if blob is None:
                    raise FileNotFoundError(extent.blob_id)
                source: int | bytes = blob["data"] if blob["data"] is not None else self.blobs.open_fd(extent.blob_id)
                pieces.append((source, lo - extent.start, hi - lo + 1))
        except BaseException:
            for source, _, _ in pieces:
                if isinstance(source, int):
                    os.close(source)
            raise
        return pieces

    async def put_object(self, bucket: str, key: str, body: RequestBody, new: NewObject,
                         conditions: WriteConditions | None = None) -> ObjectInfo:
        await self.get_bucket(bucket)  # fail fast, before reading the body
        if conditions is not None:
            current = self._meta.object_row(bucket, key, None)
            md.check_write_conditions(current, conditions)
        spilled = await self.blobs.write(body)
        digests = body.digests()
        blob_id = spilled.blob_id
        if spilled.inline is not None and spilled.size > 0:
            blob_id = new_blob_id()
        checksum = Checksum(digests.checksum_algorithm, digests.checksum_value)
        version = md.NewVersion(spilled.size, digests.md5_hex, checksum, md.Body(blob_id, None))

        def commit(conn: sqlite3.Connection, garbage: list[str]) -> ObjectInfo:
            if blob_id is not None:
                md.tx_add_blob(conn, blob_id, spilled.size, spilled.inline)
            return md.tx_put_version(conn, bucket, key, new, version, conditions, garbage)

        try:
            return await self._write(commit)
        except BaseException:
            if spilled.blob_id is not None:  # published but never referenced
                await self.blobs.delete([spilled.blob_id])
            raise

    async def copy_object(self, src_bucket: str, src_key: str, src_version_id: str | None, bucket: str,
                          key: str, new: NewObject, *, checksum_algorithm: str | None = None,
                          conditions: WriteConditions | None = None) -> ObjectInfo:
        """Share the source's blobs (no bytes copied) unless a different checksum must be computed."""
        if src_version_id is not None and not md.is_version_id(src_version_id):
            raise S3Error(Code.InvalidArgument, "Invalid version id specified", ArgumentName="versionId")
        if checksum_algorithm is not None:
            src_info = await self.head_object(src_bucket, src_key, version_id=src_version_id)
            if src_info.checksum is None or src_info.checksum.algorithm != checksum_algorithm \
                    or src_info.checksum.type != "FULL_OBJECT":
                return await self._copy_rewrite(src_bucket, src_key, src_version_id, bucket, key, new,
                                                checksum_algorithm, conditions)

        def commit(conn: sqlite3.Connection, garbage: list[str]) -> ObjectInfo:
            src = md.tx_source_row(conn, src_bucket, src_key, src_version_id)
            body, extents = md.tx_copy_refs(conn, src)
            version = md.NewVersion(src["size"], src["etag"], md.checksum_of(src["checksum"]), body, extents)
            return md.tx_put_version(conn, bucket, key, new, version, conditions, garbage)

        return await self._write(commit)

    async def _copy_rewrite(self, src_bucket: str, src_key: str, src_version_id: str | None, bucket: str,
                            key: str, new: NewObject, algorithm: str,
                            conditions: WriteConditions | None) -> ObjectInfo:
        """A copy that must compute another checksum re-reads the source into a new blob."""
        stream = await self.get_object(src_bucket, src_key, version_id=src_version_id)
        hasher = checksums.new_hasher(algorithm)

        async def hashed() -> AsyncIterator[bytes]:
            async for chunk in stream:
                hasher.update(chunk)
                yield chunk

        try:
            blob_id, size = await self.blobs.publish(b"", hashed())
        finally:
            await stream.aclose()
        if size == 0:
            await self.blobs.delete([blob_id])
        kept = blob_id if size else None
        version = md.NewVersion(size, stream.info.etag, Checksum(algorithm, checksums.b64(hasher.digest())),
                                md.Body(kept, None))

        def commit(conn: sqlite3.Connection, garbage: list[str]) -> ObjectInfo:
            if kept is not None:
                md.tx_add_blob(conn, kept, size, None)
            return md.tx_put_version(conn, bucket, key, new, version, conditions, garbage)

        return await self._write(commit)

    async def delete_object(self, bucket: str, key: str, *, version_id: str | None = None) -> DeleteResult:
        if version_id is not None and not md.is_version_id(version_id):
            raise S3Error(Code.InvalidArgument, "Invalid version id specified", ArgumentName="versionId",
                          ArgumentValue=version_id)
        deleted = await self._write(lambda c, g: md.tx_delete(c, bucket, key, version_id, g))
        return DeleteResult(key, deleted.version_id, deleted.delete_marker)

    async def delete_objects(self, bucket: str, items: list[tuple[str, str | None]]) -> list[DeleteResult]:
        await self.get_bucket(bucket)

        async def one(key: str, version_id: str | None) -> DeleteResult:
            try:
                return await self.delete_object(bucket, key, version_id=version_id)
            except S3Error as exc:
                return DeleteResult(key, version_id, error=exc)

        # Concurrent deletes share group commits: 1,000 keys cost a handful of fsyncs, not 1,000.
        return list(await asyncio.gather(*(one(k, v) for k, v in items)))

    # -- multipart uploads ---------------------------------------------------------------------
    async def create_multipart_upload(self, bucket: str, key: str, new: NewObject, *,
                                      checksum_algorithm: str | None, checksum_type: str | None) -> UploadInfo:
        return await self._meta.writer.run(
            lambda c: uploads.tx_create(c, bucket, key, new, checksum_algorithm, checksum_type))

    async def get_multipart_upload(self, bucket: str, key: str, upload_id: str) -> UploadInfo:
        await self.get_bucket(bucket)
        return uploads.upload_info(uploads.get_upload(self._meta.read, bucket, key, upload_id))

    async def _store_part(self, bucket: str, key: str, upload_id: str, part_number: int, blob_id: str | None,
                          size: int, inline: bytes | None, etag: str, checksum: Checksum | None) -> PartInfo:
        def commit(conn: sqlite3.Connection, garbage: list[str]) -> PartInfo:
            if blob_id is not None:
                md.tx_add_blob(conn, blob_id, size, inline)
            return uploads.tx_put_part(conn, bucket, key, upload_id, part_number, blob_id, size, etag, checksum,
                                       garbage)

        try:
            return await self._write(commit)
        except BaseException:
            if blob_id is not None and inline is None:
                await self.blobs.delete([blob_id])
            raise

    async def upload_part(self, bucket: str, key: str, upload_id: str, part_number: int,
                          body: RequestBody) -> PartInfo:
        await self.get_multipart_upload(bucket, key, upload_id)  # fail fast, before reading the body
        spilled = await self.blobs.write(body)
        digests = body.digests()
        blob_id = spilled.blob_id
        if spilled.inline is not None and spilled.size > 0:
            blob_id = new_blob_id()
        checksum = Checksum(digests.checksum_algorithm, digests.checksum_value, "PART")
        return await self._store_part(bucket, key, upload_id, part_number, blob_id, spilled.size, spilled.inline,
                                      digests.md5_hex, checksum)

    async def upload_part_copy(self, bucket: str, key: str, upload_id: str, part_number: int, src_bucket: str,
                               src_key: str, src_version_id: str | None, byte_range: ByteRange | None
                               ) -> PartInfo:
        upload = await self.get_multipart_upload(bucket, key, upload_id)
        stream = await self.get_object(src_bucket, src_key, version_id=src_version_id, byte_range=byte_range)
        md5 = hashlib.md5()
        algorithm = upload.checksum_algorithm or checksums.DEFAULT_ALGORITHM
        hasher = checksums.new_hasher(algorithm)

        async def hashed() -> AsyncIterator[bytes]:
            async for chunk in stream:
                md5.update(chunk)
                hasher.update(chunk)
                yield chunk

        try:
            blob_id, size = await self.blobs.publish(b"", hashed())
        finally:
            await stream.aclose()
        if size == 0:
            await self.blobs.delete([blob_id])
        checksum = Checksum(algorithm, checksums.b64(hasher.digest()), "PART")
        return await self._store_part(bucket, key, upload_id, part_number, blob_id if size else None, size, None,
                                      md5.hexdigest(), checksum)

    async def complete_multipart_upload(self, bucket: str, key: str, upload_id: str, parts: list[CompletedPart],
                                        conditions: WriteConditions | None = None) -> ObjectInfo:
        return await self._write(lambda c, g: uploads.tx_complete(c, bucket, key, upload_id, parts, conditions, g))

    async def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        await self._write(lambda c, g: uploads.tx_abort(c, bucket, key, upload_id, g))

    async def list_parts(self, bucket: str, key: str, upload_id: str, *, marker: int = 0,
                         limit: int = 1000) -> PartsPage:
        upload = await self.get_multipart_upload(bucket, key, upload_id)
        rows = uploads.list_parts(self._meta.read, upload_id, marker, limit + 1)
        parts = [uploads.part_info(r) for r in rows[:limit]]
        truncated = len(rows) > limit
        return PartsPage(upload, parts, truncated, parts[-1].part_number if truncated and parts else None)

    async def list_multipart_uploads(self, bucket: str, *, prefix: str = "", delimiter: str = "",
                                     key_marker: str = "", upload_id_marker: str = "",
                                     limit: int = 1000) -> UploadsPage:
        await self.get_bucket(bucket)
        read = self._meta.read
        upper = successor(prefix) if prefix else None
        start: tuple[str, int, str, bool]
        if key_marker and upload_id_marker:
            marker_row = read.execute("SELECT initiated FROM uploads WHERE upload_id = ?",
                                      (upload_id_marker,)).fetchall()
            initiated = marker_row[0][0] if marker_row else 2**62
            start = (key_marker, initiated, upload_id_marker, False)
        elif key_marker:
            start = (key_marker, 2**62, "", False)  # past every upload of the marker key
        else:
            start = (prefix, 0, "", True)
        if start[0] < prefix:
            start = (prefix, 0, "", True)
        page = paginate(
            lambda cursor, n: uploads.list_uploads(read, bucket, cursor, upper, n),
            lambda row: row["key"],
            lambda row: (row["key"], row["initiated"], row["upload_id"], False),
            lambda k: (k, 0, "", True),
            start=start, marker=key_marker, prefix=prefix, delimiter=delimiter, limit=limit,
        )
        infos = [uploads.upload_info(r) for r in page.rows]
        next_key = next_id = None
        if page.is_truncated and page.last is not None:
            if isinstance(page.last, str):
                next_key = page.last
            else:
                next_key, next_id = page.last["key"], page.last["upload_id"]
        return UploadsPage(infos, page.common_prefixes, page.is_truncated, next_key, next_id)
