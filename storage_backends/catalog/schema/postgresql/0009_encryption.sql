-- Encryption at rest. A version's (and an upload's, for the version it completes into) encryption as
-- JSON: {"algorithm", "customer", "kms_key_id", "context", "bucket_key", "key_md5", "verifier"}; NULL:
-- stored as plaintext. Its blobs are sealed (storage_backends/local/sealed.py): each blob's wrapped data
-- key is in the blob's own header, inline rows included, so copies and transitions carry it along.
-- "verifier" is a salted HMAC of an SSE-C key, never the key.
ALTER TABLE objects ADD COLUMN encryption TEXT COLLATE "C";
ALTER TABLE uploads ADD COLUMN encryption TEXT COLLATE "C";
