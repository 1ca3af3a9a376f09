-- The identity store: IAM users, access keys, groups, memberships, inline and managed policies,
-- attachments, created through the IAM API (users-file identities are not stored). Names are
-- unique per account without regard to case, as IAM's are. Every write bumps the settings row
-- 'iam_generation', which each worker polls to know when to reload.
CREATE TABLE iam_users (
    account_id  TEXT NOT NULL,
    name        TEXT NOT NULL COLLATE NOCASE,
    user_id     TEXT NOT NULL UNIQUE,
    path        TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE iam_access_keys (
    access_key  TEXT PRIMARY KEY,
    secret_key  TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    user_name   TEXT NOT NULL COLLATE NOCASE,
    status      TEXT NOT NULL,            -- 'Active' or 'Inactive'
    created_ms  BIGINT NOT NULL
);
CREATE INDEX iam_access_keys_by_user ON iam_access_keys (account_id, user_name);

CREATE TABLE iam_groups (
    account_id  TEXT NOT NULL,
    name        TEXT NOT NULL COLLATE NOCASE,
    group_id    TEXT NOT NULL UNIQUE,
    path        TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE iam_group_members (
    account_id  TEXT NOT NULL,
    group_name  TEXT NOT NULL COLLATE NOCASE,
    user_name   TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (account_id, group_name, user_name)
);
CREATE INDEX iam_group_members_by_user ON iam_group_members (account_id, user_name);

-- Inline policies of users (kind 'user') and groups (kind 'group').
CREATE TABLE iam_inline_policies (
    account_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    owner       TEXT NOT NULL COLLATE NOCASE,
    name        TEXT NOT NULL COLLATE NOCASE,
    document    TEXT NOT NULL,
    PRIMARY KEY (account_id, kind, owner, name)
);

CREATE TABLE iam_policies (
    account_id       TEXT NOT NULL,
    name             TEXT NOT NULL COLLATE NOCASE,
    policy_id        TEXT NOT NULL UNIQUE,
    path             TEXT NOT NULL,
    description      TEXT NOT NULL,
    default_version  TEXT NOT NULL,
    created_ms       BIGINT NOT NULL,
    updated_ms       BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE iam_policy_versions (
    account_id   TEXT NOT NULL,
    policy_name  TEXT NOT NULL COLLATE NOCASE,
    version_id   TEXT NOT NULL,
    document     TEXT NOT NULL,
    created_ms   BIGINT NOT NULL,
    PRIMARY KEY (account_id, policy_name, version_id)
);

-- Managed policies attached to users and groups, by policy ARN.
CREATE TABLE iam_attachments (
    account_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    owner       TEXT NOT NULL COLLATE NOCASE,
    policy_arn  TEXT NOT NULL,
    PRIMARY KEY (account_id, kind, owner, policy_arn)
);
CREATE INDEX iam_attachments_by_policy ON iam_attachments (policy_arn);
