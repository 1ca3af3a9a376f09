-- Small bodies live in their version's own row (one insert per PUT, one lookup per GET);
-- the blobs table keeps files and multipart parts.
ALTER TABLE objects ADD COLUMN inline BYTEA;
