"""Fill an s3gate bucket with a million keys straight in its SQLite metadata.

Through the API that would take many minutes; the issue allows writing the rows directly for
s3gate. The bucket itself is created through the API (so owner and region are s3gate's own),
then the object rows are inserted exactly as s3gate writes an empty PUT: the latest 'null'
version, size 0, no blob, the MD5 of nothing as ETag and the CRC64NVME of nothing as checksum
(so a page lists the same XML as for keys put through the API). WAL lets the running server
keep serving while the rows go in; its next read transaction sees them.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
EMPTY_CRC64NVME = '["CRC64NVME", "AAAAAAAAAAA=", "FULL_OBJECT"]'
BATCH = 50_000


def key_name(i: int) -> str:
    return f"k/{i:07d}"


def fill(db_path: Path, bucket: str, count: int) -> None:
    conn = sqlite3.connect(db_path, timeout=60, isolation_level=None)
    try:
        owner = conn.execute("SELECT owner_id FROM buckets WHERE name = ?", (bucket,)).fetchone()
        if owner is None:
            raise RuntimeError(f"bucket {bucket} is not in {db_path}")
        now = time.time_ns() // 1_000_000
        sql = ("INSERT INTO objects (bucket, key, version_id, is_latest, delete_marker, size, etag, "
               "last_modified, storage_class, owner_id, content, metadata, tags, checksum, blob_id, parts_count) "
               "VALUES (?, ?, 'null', 1, 0, 0, ?, ?, 'STANDARD', ?, '{}', '{}', '{}', ?, NULL, NULL)")
        for start in range(0, count, BATCH):
            rows = ((bucket, key_name(i), EMPTY_MD5, now, owner[0], EMPTY_CRC64NVME)
                    for i in range(start, min(count, start + BATCH)))
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, rows)
            conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
