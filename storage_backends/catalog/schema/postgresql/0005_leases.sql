-- Named leases for background jobs (maintenance: recovery, orphan sweeping, lifecycle passes).
-- A holder keeps its lease by renewing it before expires_ms; when it dies, another holder may
-- take the lease once it has expired. Times are wall-clock milliseconds (not the lifecycle clock).
CREATE TABLE leases (
    name        TEXT COLLATE "C" PRIMARY KEY,
    holder      TEXT COLLATE "C" NOT NULL,
    expires_ms  BIGINT NOT NULL
);
