-- Lifecycle indexes that listings cannot use. A listing's condition (bucket, is_latest = 1,
-- delete_marker = 0) implied objects_current_by_age's predicate, so on a table without statistics
-- PostgreSQL's planner read that index and sorted the whole bucket at every step of a delimiter walk.
-- "IS NOT NULL" on the time column (NOT NULL anyway) is implied only by a condition on that column,
-- which every lifecycle query has (last_modified <= ?, initiated <= ?) and no listing has.
DROP INDEX objects_current_by_age;
CREATE INDEX objects_current_by_age ON objects (bucket, storage_class, last_modified)
    WHERE is_latest = 1 AND delete_marker = 0 AND last_modified IS NOT NULL;
DROP INDEX uploads_by_age;
CREATE INDEX uploads_by_age ON uploads (bucket, initiated) WHERE initiated IS NOT NULL;
