-- The identity store: IAM users, access keys, groups, memberships, inline and managed policies,
-- attachments, created through the IAM API (users-file identities are not stored). Names are
-- unique per account without regard to case, as IAM's are. Every write bumps the settings row
-- 'iam_generation', which each worker polls to know when to reload. Case-insensitive names use an ICU
-- nondeterministic collation (SQLite: NOCASE), so the SQL stays the same text on both dialects.
CREATE COLLATION s3gate_nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE iam_users (
    account_id  TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE s3gate_nocase NOT NULL,
    user_id     TEXT COLLATE "C" NOT NULL UNIQUE,
    path        TEXT COLLATE "C" NOT NULL,
    created_ms  BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE iam_access_keys (
    access_key  TEXT COLLATE "C" PRIMARY KEY,
    secret_key  TEXT COLLATE "C" NOT NULL,
    account_id  TEXT COLLATE "C" NOT NULL,
    user_name   TEXT COLLATE s3gate_nocase NOT NULL,
    status      TEXT COLLATE "C" NOT NULL,            -- 'Active' or 'Inactive'
    created_ms  BIGINT NOT NULL
);
CREATE INDEX iam_access_keys_by_user ON iam_access_keys (account_id, user_name);

CREATE TABLE iam_groups (
    account_id  TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE s3gate_nocase NOT NULL,
    group_id    TEXT COLLATE "C" NOT NULL UNIQUE,
    path        TEXT COLLATE "C" NOT NULL,
    created_ms  BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE iam_group_members (
    account_id  TEXT COLLATE "C" NOT NULL,
    group_name  TEXT COLLATE s3gate_nocase NOT NULL,
    user_name   TEXT COLLATE s3gate_nocase NOT NULL,
    PRIMARY KEY (account_id, group_name, user_name)
);
CREATE INDEX iam_group_members_by_user ON iam_group_members (account_id, user_name);

-- Inline policies of users (kind 'user') and groups (kind 'group').
CREATE TABLE iam_inline_policies (
    account_id  TEXT COLLATE "C" NOT NULL,
    kind        TEXT COLLATE "C" NOT NULL,
    owner       TEXT COLLATE s3gate_nocase NOT NULL,
    name        TEXT COLLATE s3gate_nocase NOT NULL,
    document    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (account_id, kind, owner, name)
);

CREATE TABLE iam_policies (
    account_id       TEXT COLLATE "C" NOT NULL,
    name             TEXT COLLATE s3gate_nocase NOT NULL,
    policy_id        TEXT COLLATE "C" NOT NULL UNIQUE,
    path             TEXT COLLATE "C" NOT NULL,
    description      TEXT COLLATE "C" NOT NULL,
    default_version  TEXT COLLATE "C" NOT NULL,
    created_ms       BIGINT NOT NULL,
    updated_ms       BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE iam_policy_versions (
    account_id   TEXT COLLATE "C" NOT NULL,
    policy_name  TEXT COLLATE s3gate_nocase NOT NULL,
    version_id   TEXT COLLATE "C" NOT NULL,
    document     TEXT COLLATE "C" NOT NULL,
    created_ms   BIGINT NOT NULL,
    PRIMARY KEY (account_id, policy_name, version_id)
);

-- Managed policies attached to users and groups, by policy ARN.
CREATE TABLE iam_attachments (
    account_id  TEXT COLLATE "C" NOT NULL,
    kind        TEXT COLLATE "C" NOT NULL,
    owner       TEXT COLLATE s3gate_nocase NOT NULL,
    policy_arn  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (account_id, kind, owner, policy_arn)
);
CREATE INDEX iam_attachments_by_policy ON iam_attachments (policy_arn);
