-- s3gate metadata, schema 1 (SQLite dialect: a PostgreSQL dialect will bring its own schema directory).
-- Times are milliseconds since the Unix epoch. Keys compare in binary (UTF-8 byte) order.

CREATE TABLE buckets (
    name        TEXT PRIMARY KEY,
    region      TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    versioning  TEXT                      -- NULL (never enabled), 'Enabled' or 'Suspended'
);

-- Bucket sub-resources kept as documents (cors, lifecycle, tagging, policy, ...).
CREATE TABLE bucket_configs (
    bucket    TEXT NOT NULL,
    kind      TEXT NOT NULL,
    document  TEXT NOT NULL,
    PRIMARY KEY (bucket, kind)
);

-- Immutable object bodies: a file named by id under blobs/, or inline bytes for small ones.
-- refs counts the object versions and upload parts that use the blob; copies share blobs.
CREATE TABLE blobs (
    id      TEXT PRIMARY KEY,
    size    BIGINT NOT NULL,
    refs    INTEGER NOT NULL,
    volume  TEXT NOT NULL DEFAULT '',     -- '' is the default blob directory
    data    BLOB                          -- inline body; NULL when the body is a file
);

-- Blob files no longer referenced; deleted from disk after the transaction that freed them.
CREATE TABLE garbage (
    blob_id  TEXT PRIMARY KEY,
    volume   TEXT NOT NULL
);

-- One row per object version (unversioned buckets hold only the 'null' version of each key).
CREATE TABLE objects (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,   -- larger = newer version
    bucket          TEXT NOT NULL,
    key             TEXT NOT NULL,
    version_id      TEXT NOT NULL,
    is_latest       SMALLINT NOT NULL,
    delete_marker   SMALLINT NOT NULL DEFAULT 0,
    size            BIGINT NOT NULL,
    etag            TEXT NOT NULL,
    last_modified   BIGINT NOT NULL,
    storage_class   TEXT NOT NULL,
    owner_id        TEXT NOT NULL,
    content         TEXT NOT NULL,        -- JSON object: Content-Type and the other content headers
    metadata        TEXT NOT NULL,        -- JSON object: x-amz-meta-* without the prefix
    tags            TEXT NOT NULL DEFAULT '{}',
    checksum        TEXT,                 -- JSON [algorithm, base64 value, FULL_OBJECT|COMPOSITE]
    blob_id         TEXT,                 -- single-extent body (NULL for empty and multipart bodies)
    parts_count     INTEGER               -- multipart objects: their extents are in object_parts
);
CREATE UNIQUE INDEX objects_latest ON objects (bucket, key) WHERE is_latest = 1;
CREATE INDEX objects_versions ON objects (bucket, key, id);

-- The extents of multipart objects: completed parts become the object's body without a copy.
CREATE TABLE object_parts (
    object_id    INTEGER NOT NULL,
    part_number  INTEGER NOT NULL,
    blob_id      TEXT NOT NULL,
    start_offset BIGINT NOT NULL,
    size         BIGINT NOT NULL,
    etag         TEXT NOT NULL,
    checksum     TEXT,
    PRIMARY KEY (object_id, part_number)
);
