-- Multipart uploads in progress. Parts are blobs like any other; completing an upload turns
-- its parts into the object's extents (object_parts) without copying a byte.

CREATE TABLE uploads (
    upload_id           TEXT COLLATE "C" PRIMARY KEY,
    bucket              TEXT COLLATE "C" NOT NULL,
    key                 TEXT COLLATE "C" NOT NULL,
    initiated           BIGINT NOT NULL,
    owner_id            TEXT COLLATE "C" NOT NULL,
    storage_class       TEXT COLLATE "C" NOT NULL,
    content             TEXT COLLATE "C" NOT NULL,
    metadata            TEXT COLLATE "C" NOT NULL,
    tags                TEXT COLLATE "C" NOT NULL,
    checksum_algorithm  TEXT COLLATE "C",
    checksum_type       TEXT COLLATE "C"
);
CREATE INDEX uploads_by_key ON uploads (bucket, key, initiated, upload_id);

CREATE TABLE upload_parts (
    upload_id      TEXT COLLATE "C" NOT NULL,
    part_number    BIGINT NOT NULL,
    blob_id        TEXT COLLATE "C",
    size           BIGINT NOT NULL,
    etag           TEXT COLLATE "C" NOT NULL,
    checksum       TEXT COLLATE "C",                -- JSON [algorithm, base64 value]
    last_modified  BIGINT NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);

-- Which upload produced a version: a retried CompleteMultipartUpload answers from it.
ALTER TABLE objects ADD COLUMN upload_id TEXT COLLATE "C";
