-- Object Lock. A bucket's configuration: NULL when Object Lock is not enabled, else JSON (its default
-- retention: {"mode": ..., "days": ...} or {"mode": ..., "years": ...}; {} for none). Each version's
-- retention (mode, until in milliseconds on the server's clock) and legal hold (NULL: never set,
-- 0: OFF, 1: ON); an upload keeps what its completed version will get.
ALTER TABLE buckets ADD COLUMN object_lock TEXT COLLATE "C";
ALTER TABLE objects ADD COLUMN lock_mode TEXT COLLATE "C";
ALTER TABLE objects ADD COLUMN lock_until BIGINT;
ALTER TABLE objects ADD COLUMN legal_hold SMALLINT;
ALTER TABLE uploads ADD COLUMN lock_mode TEXT COLLATE "C";
ALTER TABLE uploads ADD COLUMN lock_until BIGINT;
ALTER TABLE uploads ADD COLUMN legal_hold SMALLINT;
