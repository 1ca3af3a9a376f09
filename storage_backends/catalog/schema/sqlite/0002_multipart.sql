-- Multipart uploads in progress. Parts are blobs like any other; completing an upload turns
-- its parts into the object's extents (object_parts) without copying a byte.

CREATE TABLE uploads (
    upload_id           TEXT PRIMARY KEY,
    bucket              TEXT NOT NULL,
    key                 TEXT NOT NULL,
    initiated           BIGINT NOT NULL,
    owner_id            TEXT NOT NULL,
    storage_class       TEXT NOT NULL,
    content             TEXT NOT NULL,
    metadata            TEXT NOT NULL,
    tags                TEXT NOT NULL,
    checksum_algorithm  TEXT,
    checksum_type       TEXT
);
CREATE INDEX uploads_by_key ON uploads (bucket, key, initiated, upload_id);

CREATE TABLE upload_parts (
    upload_id      TEXT NOT NULL,
    part_number    INTEGER NOT NULL,
    blob_id        TEXT,
    size           BIGINT NOT NULL,
    etag           TEXT NOT NULL,
    checksum       TEXT,                -- JSON [algorithm, base64 value]
    last_modified  BIGINT NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);

-- Which upload produced a version: a retried CompleteMultipartUpload answers from it.
ALTER TABLE objects ADD COLUMN upload_id TEXT;
