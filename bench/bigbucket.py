"""Fill an s3gate bucket with a million keys straight in its metadata catalog.

Through the API that would take many minutes; the issue allows writing the rows directly for
s3gate. The bucket itself is created through the API (so owner and region are s3gate's own),
then the object rows are inserted exactly as s3gate writes an empty PUT: the latest 'null'
version, size 0, no blob, the MD5 of nothing as ETag and the CRC64NVME of nothing as checksum
(so a page lists the same XML as for keys put through the API). The rows go in through the
catalog's own write path (``catalog.sql.objects.bulk_insert``), so the running server keeps
serving while they go in; its next read sees them. ``fill_uploads`` does the same for multipart
uploads in progress (no parts).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from functools import partial

from storage_backends.catalog.dialects import MetadataLocation, open_metadata
from storage_backends.catalog.sql import objects, uploads
from storage_backends.catalog.store import Tx

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
EMPTY_CRC64NVME = '["CRC64NVME", "AAAAAAAAAAA=", "FULL_OBJECT"]'
BATCH = 50_000
Name = Callable[[int], str]


def key_name(i: int) -> str:
    return f"k/{i:07d}"


def folder_key(per_folder: int) -> Name:
    """Keys ``users/<id>/<photo>.jpg``: ``per_folder`` photos in each user's folder, as a photo app keeps them."""
    return lambda i: f"users/{i // per_folder:04d}/{i % per_folder:04d}.jpg"


def fill(where: MetadataLocation, bucket: str, count: int, name: Name = key_name) -> None:
    def rows(owner: str, now: int, start: int, end: int) -> Callable[[Tx], None]:
        return partial(objects.bulk_insert, rows=[(bucket, name(i), "null", 1, 0, EMPTY_MD5, now, "STANDARD", owner,
                                                   EMPTY_CRC64NVME, None) for i in range(start, end)])
    asyncio.run(_fill(where, bucket, count, rows))


def fill_uploads(where: MetadataLocation, bucket: str, count: int, name: Name) -> None:
    def rows(owner: str, now: int, start: int, end: int) -> Callable[[Tx], None]:
        return partial(uploads.bulk_insert, rows=[(f"bench{i:010d}", bucket, name(i), now, owner)
                                                  for i in range(start, end)])
    asyncio.run(_fill(where, bucket, count, rows))


async def _fill(where: MetadataLocation, bucket: str, count: int,
                rows: Callable[[str, int, int, int], Callable[[Tx], None]]) -> None:
    catalog = open_metadata(where)
    try:
        info = await catalog.bucket(bucket)
        if info is None:
            raise RuntimeError(f"bucket {bucket} is not in the metadata of {where.data_dir}")
        now = time.time_ns() // 1_000_000
        for start in range(0, count, BATCH):
            await catalog.write(rows(info.owner_id, now, start, min(count, start + BATCH)))
    finally:
        await catalog.aclose()
