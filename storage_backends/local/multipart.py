"""Multipart uploads of the local backend: parts are blobs; completion makes them extents."""

from __future__ import annotations

import sqlite3

from gateway.wire import checksums
from storage_backends.base import Body as RequestBody
from storage_backends.base import (
    ByteRange,
    Checksum,
    CompletedPart,
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
from storage_backends.local.blobs import new_blob_id
from storage_backends.local.listing import paginate, successor
from storage_backends.local.objects import ObjectOps


class MultipartOps(ObjectOps):
    # -- multipart uploads ---------------------------------------------------------------------
    async def create_multipart_upload(self, bucket: str, key: str, new: NewObject, *,
                                      checksum_algorithm: str | None, checksum_type: str | None) -> UploadInfo:
        return await self._meta.writer.run(
            lambda c: uploads.tx_create(c, bucket, key, new, checksum_algorithm, checksum_type))

    async def get_multipart_upload(self, bucket: str, key: str, upload_id: str) -> UploadInfo:
        self._bucket(bucket)
        return uploads.upload_info(uploads.get_upload(self._meta.read, bucket, key, upload_id))

    async def _store_part(self, bucket: str, key: str, upload_id: str, part_number: int, blob_id: str | None,
                          size: int, inline: bytes | None, etag: str, checksum: Checksum | None,
                          volume: str) -> PartInfo:
        def commit(conn: sqlite3.Connection, garbage: list[str]) -> PartInfo:
            if blob_id is not None:
                md.tx_add_blob(conn, blob_id, size, inline, volume)
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
        upload = await self.get_multipart_upload(bucket, key, upload_id)  # fail fast, before reading the body
        volume = self.blobs.volume_for(upload.storage_class)
        spilled = await self.blobs.write(body, volume=volume)
        digests = body.digests()
        blob_id = spilled.blob_id
        if spilled.inline is not None and spilled.size > 0:
            blob_id = new_blob_id()
        checksum = Checksum(digests.checksum_algorithm, digests.checksum_value, "PART")
        return await self._store_part(bucket, key, upload_id, part_number, blob_id, spilled.size, spilled.inline,
                                      digests.md5_hex, checksum, volume)

    async def upload_part_copy(self, bucket: str, key: str, upload_id: str, part_number: int, src_bucket: str,
                               src_key: str, src_version_id: str | None, byte_range: ByteRange | None
                               ) -> PartInfo:
        upload = await self.get_multipart_upload(bucket, key, upload_id)
        stream = await self.get_object(src_bucket, src_key, version_id=src_version_id, byte_range=byte_range)
        algorithm = upload.checksum_algorithm or checksums.DEFAULT_ALGORITHM
        volume = self.blobs.volume_for(upload.storage_class)
        blob_id, size, md5_hex, value = await self._rewrite(stream, algorithm, volume)
        return await self._store_part(bucket, key, upload_id, part_number, blob_id, size, None, md5_hex,
                                      Checksum(algorithm, value, "PART"), volume)

    async def complete_multipart_upload(self, bucket: str, key: str, upload_id: str, parts: list[CompletedPart],
                                        conditions: WriteConditions | None = None) -> ObjectInfo:
        info = await self._write(lambda c, g: uploads.tx_complete(c, bucket, key, upload_id, parts, conditions, g))
        return self._with_expiration(info)

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
        self._bucket(bucket)
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
