"""Multipart uploads of the local backend: parts are blobs; completion makes them extents."""

from __future__ import annotations

from gateway.wire import checksums
from storage_backends.base import Body as RequestBody
from storage_backends.base import (
    ByteRange,
    Checksum,
    CompletedPart,
    CompletionChecks,
    CustomerKey,
    NewObject,
    ObjectInfo,
    PartInfo,
    PartsPage,
    UploadInfo,
    UploadsPage,
    WriteConditions,
)
from storage_backends.catalog import records as rec
from storage_backends.catalog.records import UploadRecord
from storage_backends.catalog.sql import blobs as blob_rows
from storage_backends.catalog.sql import uploads as upload_rows
from storage_backends.catalog.store import Tx
from storage_backends.local import encryption as enc
from storage_backends.local import uploads
from storage_backends.local.blobs import new_blob_id
from storage_backends.local.copies import CopyOps
from storage_backends.local.listing import paginate, successor


class MultipartOps(CopyOps):
    # -- multipart uploads ---------------------------------------------------------------------
    async def create_multipart_upload(self, bucket: str, key: str, new: NewObject, *,
                                      checksum_algorithm: str | None, checksum_type: str | None) -> UploadInfo:
        to = enc.target(self.keyring, new.encryption, new.customer_key)
        self._admit()
        return await self._cat.write(
            lambda tx: upload_rows.create(tx, bucket, key, new, checksum_algorithm, checksum_type,
                                          to.column if to is not None else None))

    async def get_multipart_upload(self, bucket: str, key: str, upload_id: str) -> UploadInfo:
        await self._bucket(bucket)
        return rec.upload_info(await self._cat.upload(bucket, key, upload_id))

    async def _part_target(self, bucket: str, key: str, upload_id: str, customer_key: CustomerKey | None
                           ) -> tuple[UploadRecord, enc.Target | None]:
        """The upload a part goes to, and how the part is sealed (an SSE-C upload's key checked)."""
        await self._bucket(bucket)
        upload = await self._cat.upload(bucket, key, upload_id)
        enc.check_part_key(upload.encryption, customer_key)
        return upload, enc.stored_target(upload.encryption, customer_key)

    async def _store_part(self, bucket: str, key: str, upload_id: str, part_number: int, blob_id: str | None,
                          size: int, inline: bytes | None, etag: str, checksum: Checksum | None,
                          volume: str) -> PartInfo:
        def commit(tx: Tx) -> PartInfo:
            if blob_id is not None:
                blob_rows.add(tx, blob_id, size, inline, volume)
            return upload_rows.put_part(tx, bucket, key, upload_id, part_number, blob_id, size, etag, checksum)

        try:
            return await self._cat.write(commit)
        except BaseException:
            if blob_id is not None and inline is None:
                await self.blobs.delete([blob_id])
            raise

    async def upload_part(self, bucket: str, key: str, upload_id: str, part_number: int,
                          body: RequestBody, *, customer_key: CustomerKey | None = None) -> PartInfo:
        upload, to = await self._part_target(bucket, key, upload_id, customer_key)  # before reading the body
        seal = to.seal(self.keyring) if to is not None else None
        volume = self.blobs.volume_for(upload.storage_class)
        self._admit(volume, body.size or 0)
        spilled = await self.blobs.write(body, volume=volume, seal=seal)
        digests = body.digests()
        blob_id = spilled.blob_id
        if spilled.inline is not None and spilled.size > 0:
            blob_id = new_blob_id()
        checksum = Checksum(digests.checksum_algorithm, digests.checksum_value, "PART")
        return await self._store_part(bucket, key, upload_id, part_number, blob_id, spilled.size, spilled.inline,
                                      enc.etag_of(to, seal, digests.md5_hex), checksum, volume)

    async def upload_part_copy(self, bucket: str, key: str, upload_id: str, part_number: int, src_bucket: str,
                               src_key: str, src_version_id: str | None, byte_range: ByteRange | None, *,
                               customer_key: CustomerKey | None = None,
                               src_customer_key: CustomerKey | None = None) -> PartInfo:
        upload, to = await self._part_target(bucket, key, upload_id, customer_key)
        seal = to.seal(self.keyring) if to is not None else None
        stream = await self.get_object(src_bucket, src_key, version_id=src_version_id, byte_range=byte_range,
                                       customer_key=src_customer_key)
        algorithm = upload.checksum_algorithm or checksums.DEFAULT_ALGORITHM
        volume = self.blobs.volume_for(upload.storage_class)
        blob_id, size, md5_hex, value = await self._rewrite(stream, algorithm, volume, seal)
        return await self._store_part(bucket, key, upload_id, part_number, blob_id, size, None,
                                      enc.etag_of(to, seal, md5_hex), Checksum(algorithm, value, "PART"), volume)

    async def complete_multipart_upload(self, bucket: str, key: str, upload_id: str, parts: list[CompletedPart],
                                        conditions: WriteConditions | None = None,
                                        checks: CompletionChecks | None = None, *,
                                        customer_key: CustomerKey | None = None) -> ObjectInfo:
        if customer_key is not None:  # AWS asks SSE-C completions for no key; one given must be the upload's
            await self._part_target(bucket, key, upload_id, customer_key)
        self._admit()  # no bytes move, but the new version's rows need room
        info = await self._cat.write(
            lambda tx: uploads.complete(tx, bucket, key, upload_id, parts, conditions, checks, self.day_ms))
        return await self._with_expiration(info)

    async def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        await self._cat.write(lambda tx: upload_rows.abort(tx, bucket, key, upload_id))

    async def list_parts(self, bucket: str, key: str, upload_id: str, *, marker: int = 0,
                         limit: int = 1000) -> PartsPage:
        upload = await self.get_multipart_upload(bucket, key, upload_id)
        rows = await self._cat.parts(upload_id, marker, limit + 1)
        parts = [rec.part_info(r) for r in rows[:limit]]
        truncated = len(rows) > limit
        return PartsPage(upload, parts, truncated, parts[-1].part_number if truncated and parts else None)

    async def list_multipart_uploads(self, bucket: str, *, prefix: str = "", delimiter: str = "",
                                     key_marker: str = "", upload_id_marker: str = "",
                                     limit: int = 1000) -> UploadsPage:
        await self._bucket(bucket)
        cat = self._cat
        upper = successor(prefix) if prefix else None
        start: tuple[str, int, str, bool]
        if key_marker and upload_id_marker:
            initiated = await cat.upload_initiated(upload_id_marker)
            if initiated is None:
                initiated = 2**62
            start = (key_marker, initiated, upload_id_marker, False)
        elif key_marker:
            start = (key_marker, 2**62, "", False)  # past every upload of the marker key
        else:
            start = (prefix, 0, "", True)
        if start[0] < prefix:
            start = (prefix, 0, "", True)
        page = await paginate(
            lambda cursor, n, fold: cat.uploads(bucket, cursor, upper, n, fold),
            lambda row: row.key,
            lambda k: (k, 0, "", True),
            start=start, marker=key_marker, prefix=prefix, delimiter=delimiter, limit=limit,
        )
        infos = [rec.upload_info(r) for r in page.rows]
        next_key = next_id = None
        if page.is_truncated and page.last is not None:
            if isinstance(page.last, str):
                next_key = page.last
            else:
                next_key, next_id = page.last.key, page.last.upload_id
        return UploadsPage(infos, page.common_prefixes, page.is_truncated, next_key, next_id)
