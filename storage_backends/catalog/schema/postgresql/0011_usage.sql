-- Usage accounting (issue 16): what each bucket stores per storage class, and what it was asked for.
-- Kept with each write, never by scanning objects. Rows are sharded by the writing process (``shard``):
-- every total is the sum over a key's shards, so concurrent writers (PostgreSQL) need not share a row.
-- Times are the catalog's clock (real time plus the lifecycle test clock's offset), in milliseconds.

-- When a transition moved a version into its storage class (NULL: it has been there since last_modified).
ALTER TABLE objects ADD COLUMN class_since BIGINT;

-- Stored now, and accrued: each change first adds (amount x time since the shard's last change), so
-- the *_ms columns integrate objects and bytes over time. "small" counts versions under 128 KiB (the
-- minimum billable size of the IA and Glacier Instant Retrieval classes). Accruals are floating point:
-- a terabyte kept for a year is 3e22 byte-milliseconds, past a 64-bit integer.
CREATE TABLE usage_stored (
    bucket           TEXT COLLATE "C" NOT NULL,
    storage_class    TEXT COLLATE "C" NOT NULL,
    shard            BIGINT NOT NULL,
    objects          BIGINT NOT NULL,
    bytes            BIGINT NOT NULL,
    small_objects    BIGINT NOT NULL,
    small_bytes      BIGINT NOT NULL,
    object_ms        DOUBLE PRECISION NOT NULL,
    byte_ms          DOUBLE PRECISION NOT NULL,
    small_object_ms  DOUBLE PRECISION NOT NULL,
    small_byte_ms    DOUBLE PRECISION NOT NULL,
    changed_ms       BIGINT NOT NULL,
    PRIMARY KEY (bucket, storage_class, shard)
);

-- Counted events: requests by pricing tier (tier1, tier2), bytes sent (out), bytes retrieved from the
-- IA classes (retrieval), archive restores (restore), lifecycle transitions into a class (transition).
CREATE TABLE usage_counters (
    bucket         TEXT COLLATE "C" NOT NULL,
    storage_class  TEXT COLLATE "C" NOT NULL,
    kind           TEXT COLLATE "C" NOT NULL,
    shard          BIGINT NOT NULL,
    count          BIGINT NOT NULL,
    bytes          BIGINT NOT NULL,
    PRIMARY KEY (bucket, storage_class, kind, shard)
);

-- Versions that left a storage class (deleted, or transitioned out) within a year of entering it, by
-- whole days of age: a price table's minimum storage duration (any whole number of days up to 365)
-- then finds the ones removed early. age_byte_ms: bytes x age, summed.
CREATE TABLE usage_early (
    bucket         TEXT COLLATE "C" NOT NULL,
    storage_class  TEXT COLLATE "C" NOT NULL,
    age_days       BIGINT NOT NULL,
    shard          BIGINT NOT NULL,
    count          BIGINT NOT NULL,
    bytes          BIGINT NOT NULL,
    age_byte_ms    DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (bucket, storage_class, age_days, shard)
);

-- What the catalog already held when accounting began: the one scan, made by this migration. Its
-- clock is the catalog's: the lifecycle offset included.
INSERT INTO settings (name, value) SELECT 'usage_since_ms',
    CAST(CAST(extract(epoch FROM now()) * 1000 AS BIGINT)
         + COALESCE((SELECT CAST(value AS BIGINT) FROM settings WHERE name = 'lifecycle_offset_ms'), 0) AS TEXT);
INSERT INTO usage_stored (bucket, storage_class, shard, objects, bytes, small_objects, small_bytes, object_ms,
                          byte_ms, small_object_ms, small_byte_ms, changed_ms)
    SELECT bucket, storage_class, 0, COUNT(*), SUM(size), SUM(CASE WHEN size < 131072 THEN 1 ELSE 0 END),
           SUM(CASE WHEN size < 131072 THEN size ELSE 0 END), 0, 0, 0, 0,
           (SELECT CAST(value AS BIGINT) FROM settings WHERE name = 'usage_since_ms')
    FROM objects WHERE delete_marker = 0 GROUP BY bucket, storage_class;
