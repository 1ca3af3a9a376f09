-- Event notifications (issue 14): the outbox, its dead letters, and the runtime (SNS API) topics.
-- An outbox row is written in the same transaction as the change it reports, one per matching
-- destination rule; the dispatcher deletes it once the target's broker confirmed it. ``seq`` is
-- the id of the first row written for the same change (NULL: this row's own id): the event's
-- sequencer, the same for every target, ordered as the catalog's commits are.
CREATE TABLE notify_outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    seq          INTEGER,
    target       TEXT NOT NULL,
    config_id    TEXT NOT NULL,
    event_name   TEXT NOT NULL,
    event_ms     BIGINT NOT NULL,
    bucket       TEXT NOT NULL,
    bucket_owner TEXT NOT NULL,
    key          TEXT NOT NULL,
    version_id   TEXT,
    size         BIGINT,
    etag         TEXT,
    origin       TEXT NOT NULL,
    extra        TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
);
CREATE INDEX notify_outbox_by_target ON notify_outbox (target, id);

-- Events given up on: older than --notify-max-age, or pushed out past --notify-max-queue.
CREATE TABLE notify_dead (
    id           INTEGER PRIMARY KEY,
    seq          INTEGER,
    target       TEXT NOT NULL,
    config_id    TEXT NOT NULL,
    event_name   TEXT NOT NULL,
    event_ms     BIGINT NOT NULL,
    bucket       TEXT NOT NULL,
    bucket_owner TEXT NOT NULL,
    key          TEXT NOT NULL,
    version_id   TEXT,
    size         BIGINT,
    etag         TEXT,
    origin       TEXT NOT NULL,
    extra        TEXT,
    attempts     INTEGER NOT NULL,
    last_error   TEXT,
    reason       TEXT NOT NULL,
    moved_ms     BIGINT NOT NULL
);
CREATE INDEX notify_dead_by_target ON notify_dead (target, id);

CREATE TABLE notify_topics (
    name        TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    created_ms  BIGINT NOT NULL
);
