"""CopyObject of the local backend, and the re-read that copies and UploadPartCopy share.

A copy shares the source's blobs (no byte is copied) when they serve the target as they are: the
same checksum, and the same encryption (algorithm, KMS key and context, SSE-C key: the sealed blobs
open with the same keys). Otherwise the source is read, decrypted, and written again: digested
beside the loop, and sealed for the target, so copies between encryption settings re-encrypt.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from gateway.wire import checksums
from gateway.wire.errors import Code, S3Error
from gateway.wire.lanes import Digester
from storage_backends.base import Checksum, CustomerKey, NewObject, ObjectInfo, WriteConditions
from storage_backends.catalog import records as rec
from storage_backends.catalog.records import NewVersion, Placement
from storage_backends.catalog.sql import blobs as blob_rows
from storage_backends.catalog.sql import objects as version_rows
from storage_backends.catalog.store import Tx
from storage_backends.local import encryption as enc
from storage_backends.local.objects import ObjectOps, check_version_id
from storage_backends.local.sealed import Seal
from storage_backends.local.stream import LocalObjectStream


class CopyOps(ObjectOps):
    async def copy_object(self, src_bucket: str, src_key: str, src_version_id: str | None, bucket: str,
                          key: str, new: NewObject, *, checksum_algorithm: str | None = None,
                          conditions: WriteConditions | None = None,
                          src_customer_key: CustomerKey | None = None) -> ObjectInfo:
        check_version_id(src_version_id)
        await self._bucket(src_bucket)
        src = await self._cat.object_row(src_bucket, src_key, src_version_id)
        if src is None or src.delete_marker:
            raise S3Error(Code.NoSuchKey if src_version_id is None else Code.NoSuchVersion, Key=src_key)
        self._check_read_key(src, src_customer_key)
        to = enc.target(self.keyring, new.encryption, new.customer_key)
        shared = to.same_as(src.encryption) if to is not None else src.encryption is None
        src_checksum = rec.checksum_of(src.checksum)
        if checksum_algorithm is not None and (src_checksum is None or src_checksum.algorithm != checksum_algorithm
                                               or src_checksum.type != "FULL_OBJECT"):
            shared = False
        if not shared:
            algorithm = checksum_algorithm or (src_checksum.algorithm if src_checksum is not None
                                               and src_checksum.type == "FULL_OBJECT" else checksums.DEFAULT_ALGORITHM)
            return await self._copy_rewrite(src_bucket, src_key, src_version_id, bucket, key, new, algorithm,
                                            conditions, src_customer_key)
        column = to.column if to is not None else None

        def commit(tx: Tx) -> ObjectInfo:
            row = version_rows.source(tx, src_bucket, src_key, src_version_id)
            if row.encryption != src.encryption:  # replaced meanwhile by a version sealed otherwise
                raise S3Error(Code.ConditionalRequestConflict)
            placement, extents = version_rows.copy_refs(tx, row)
            version = NewVersion(row.size, row.etag, rec.checksum_of(row.checksum), placement, extents,
                                 encryption=column)
            return version_rows.put_version(tx, bucket, key, new, version, conditions, self.day_ms,
                                            event="ObjectCreated:Copy")

        self._admit()
        return await self._with_expiration(await self._cat.write(commit))

    async def _copy_rewrite(self, src_bucket: str, src_key: str, src_version_id: str | None, bucket: str,
                            key: str, new: NewObject, algorithm: str, conditions: WriteConditions | None,
                            src_customer_key: CustomerKey | None) -> ObjectInfo:
        """Re-read the source into one new blob, with another checksum or sealed for the target."""
        to = enc.target(self.keyring, new.encryption, new.customer_key)
        seal = to.seal(self.keyring) if to is not None else None
        stream = await self.get_object(src_bucket, src_key, version_id=src_version_id, customer_key=src_customer_key)
        volume = self.blobs.volume_for(new.storage_class)
        kept, size, md5_hex, value = await self._rewrite(stream, algorithm, volume, seal)
        src_enc = stream.info.encryption
        plain_tagged = src_enc is None or (src_enc.algorithm == "AES256" and not src_enc.customer)
        etag = enc.etag_of(to, seal, md5_hex)
        if etag == md5_hex and plain_tagged:
            etag = stream.info.etag  # a copy keeps its source's ETag, a multipart one's "-N" too
        version = NewVersion(size, etag, Checksum(algorithm, value), Placement(kept, None),
                             encryption=to.column if to is not None else None)

        def commit(tx: Tx) -> ObjectInfo:
            if kept is not None:
                blob_rows.add(tx, kept, size, None, volume)
            return version_rows.put_version(tx, bucket, key, new, version, conditions, self.day_ms,
                                            event="ObjectCreated:Copy")

        return await self._with_expiration(await self._cat.write(commit))

    async def _rewrite(self, stream: LocalObjectStream, algorithm: str, volume: str, seal: Seal | None = None
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
            blob_id, size = await self.blobs.publish(hashed(), volume=volume, seal=seal)
        finally:
            await stream.aclose()
        if size == 0:
            await self.blobs.delete([blob_id])
        return (blob_id if size else None), size, digester.md5.hexdigest(), \
            checksums.b64(digester.checksums[algorithm].digest())
