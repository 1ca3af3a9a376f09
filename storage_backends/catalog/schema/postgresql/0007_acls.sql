-- ACLs: the grants of each object version and of each upload (applied to the version it completes
-- into), JSON [[type, grantee, permission], ...]. NULL is the owner's FULL_CONTROL only.
ALTER TABLE objects ADD COLUMN acl TEXT COLLATE "C";
ALTER TABLE uploads ADD COLUMN acl TEXT COLLATE "C";
