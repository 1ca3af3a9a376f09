-- Versioning listings, lifecycle enforcement and archive restores. Every lifecycle query reads
-- an index ordered by the time that makes work due, so a pass touches due rows only.

ALTER TABLE objects ADD COLUMN noncurrent_since BIGINT;   -- when a newer version replaced this one
ALTER TABLE objects ADD COLUMN restore_ready BIGINT;      -- archived object: restored copy available at
ALTER TABLE objects ADD COLUMN restore_expiry BIGINT;     -- archived object: restored copy removed at

DROP INDEX objects_versions;
CREATE INDEX objects_versions ON objects (bucket, key, id DESC);
CREATE INDEX objects_current_by_age ON objects (bucket, storage_class, last_modified)
    WHERE is_latest = 1 AND delete_marker = 0;
CREATE INDEX objects_noncurrent_by_age ON objects (bucket, noncurrent_since) WHERE is_latest = 0;
CREATE INDEX objects_latest_markers ON objects (bucket, key) WHERE is_latest = 1 AND delete_marker = 1;
CREATE INDEX objects_restores ON objects (restore_expiry) WHERE restore_expiry IS NOT NULL;
CREATE INDEX uploads_by_age ON uploads (bucket, initiated);

-- Small persistent settings (the lifecycle clock's offset).
CREATE TABLE settings (
    name   TEXT COLLATE "C" PRIMARY KEY,
    value  TEXT COLLATE "C" NOT NULL
);
