"""Every operation-table row declares IAM actions AWS defines, a resource, and an auth scheme."""

from __future__ import annotations

import pytest

from gateway.access.s3_actions import BUCKET_ACTIONS, OBJECT_ACTIONS, OTHER_ACTIONS
from gateway.auth import VERSION_VARIANTS
from gateway.operations import ADMIN, BUCKET, EACH_OBJECT, OBJECT, OPERATIONS, SERVICE, Auth, resource_arn

# The actions of "Actions, resources, and condition keys for Amazon S3" (Service Authorization
# Reference, service prefix s3), as gateway.access has them from the reference's machine-readable
# form: note s3:GetBucketCORS, s3:GetLifecycleConfiguration, s3:GetEncryptionConfiguration,
# s3:GetAccelerateConfiguration, which are not operation names.
AWS_S3_ACTIONS = frozenset(f"s3:{name}" for name in BUCKET_ACTIONS | OBJECT_ACTIONS | OTHER_ACTIONS)

# Where AWS's action is not s3:<OperationName> (the rest must be exactly that).
RENAMED = {
    "HeadObject": ("s3:GetObject",), "HeadBucket": ("s3:ListBucket",), "ListObjects": ("s3:ListBucket",),
    "ListObjectsV2": ("s3:ListBucket",), "ListObjectVersions": ("s3:ListBucketVersions",),
    "ListBuckets": ("s3:ListAllMyBuckets",), "CreateMultipartUpload": ("s3:PutObject",),
    "UploadPart": ("s3:PutObject",), "UploadPartCopy": ("s3:PutObject",),
    "CompleteMultipartUpload": ("s3:PutObject",), "CopyObject": ("s3:PutObject",), "PostObject": ("s3:PutObject",),
    "ListParts": ("s3:ListMultipartUploadParts",), "ListMultipartUploads": ("s3:ListBucketMultipartUploads",),
    "DeleteObjects": ("s3:DeleteObject",), "GetObjectAttributes": ("s3:GetObject", "s3:GetObjectAttributes"),
    "GetBucketCors": ("s3:GetBucketCORS",), "PutBucketCors": ("s3:PutBucketCORS",),
    "DeleteBucketCors": ("s3:PutBucketCORS",),
    "GetBucketLifecycleConfiguration": ("s3:GetLifecycleConfiguration",),
    "PutBucketLifecycleConfiguration": ("s3:PutLifecycleConfiguration",),
    "DeleteBucketLifecycle": ("s3:PutLifecycleConfiguration",),
    "DeleteBucketTagging": ("s3:PutBucketTagging",),
    "GetBucketEncryption": ("s3:GetEncryptionConfiguration",),
    "PutBucketEncryption": ("s3:PutEncryptionConfiguration",),
    "DeleteBucketEncryption": ("s3:PutEncryptionConfiguration",),
    "DeleteBucketOwnershipControls": ("s3:PutBucketOwnershipControls",),
    "GetPublicAccessBlock": ("s3:GetBucketPublicAccessBlock",),
    "PutPublicAccessBlock": ("s3:PutBucketPublicAccessBlock",),
    "DeletePublicAccessBlock": ("s3:PutBucketPublicAccessBlock",),
    "GetObjectLockConfiguration": ("s3:GetBucketObjectLockConfiguration",),
    "PutObjectLockConfiguration": ("s3:PutBucketObjectLockConfiguration",),
    "GetBucketReplication": ("s3:GetReplicationConfiguration",),
    "GetBucketNotificationConfiguration": ("s3:GetBucketNotification",),
    "PutBucketNotificationConfiguration": ("s3:PutBucketNotification",),
    "GetBucketAccelerateConfiguration": ("s3:GetAccelerateConfiguration",),
    "OptionsBucket": (), "OptionsObject": (),
}

ROWS = pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)


@ROWS
def test_actions_are_aws_s3_actions(op):  # type: ignore[no-untyped-def]
    assert set(op.actions) <= AWS_S3_ACTIONS
    assert op.actions == RENAMED.get(op.name, (f"s3:{op.name}",))


@ROWS
def test_each_action_applies_to_the_rows_resource(op):  # type: ignore[no-untyped-def]
    """AWS's reference says which resource type each action takes: a bucket row asks bucket actions."""
    applies = {SERVICE: OTHER_ACTIONS, BUCKET: BUCKET_ACTIONS, OBJECT: OBJECT_ACTIONS, EACH_OBJECT: OBJECT_ACTIONS}
    assert {a.removeprefix("s3:") for a in op.actions} <= applies[op.resource]


@ROWS
def test_every_row_but_a_preflight_asks_an_action(op):  # type: ignore[no-untyped-def]
    assert (op.auth is Auth.ANONYMOUS) == (not op.actions)
    assert op.auth is Auth.ANONYMOUS or op.method != "OPTIONS"


@ROWS
def test_resource_fits_the_level(op):  # type: ignore[no-untyped-def]
    expected = {"ListBuckets": SERVICE, "DeleteObjects": EACH_OBJECT, "PostObject": OBJECT}.get(op.name, op.level)
    assert op.resource == expected
    assert op.resource in (SERVICE, BUCKET, OBJECT, EACH_OBJECT)


def test_auth_schemes():
    by_scheme = {scheme: {op.name for op in OPERATIONS if op.auth is scheme} for scheme in Auth}
    assert by_scheme[Auth.POST_FORM] == {"PostObject"}
    assert by_scheme[Auth.ANONYMOUS] == {"OptionsBucket", "OptionsObject"}


def test_version_variants_are_aws_actions():
    assert set(VERSION_VARIANTS) | set(VERSION_VARIANTS.values()) <= AWS_S3_ACTIONS


def test_admin_rows_use_the_s3gate_namespace():
    for op in ADMIN:
        assert op.actions and all(a.startswith("s3gate:") for a in op.actions)
        assert op.auth is Auth.SIGNED and op.resource == SERVICE


@pytest.mark.parametrize("resource,bucket,key,arn", [
    (SERVICE, None, None, "*"),
    (BUCKET, "b", None, "arn:aws:s3:::b"),
    (OBJECT, "b", "a/k", "arn:aws:s3:::b/a/k"),
    (EACH_OBJECT, "b", None, "arn:aws:s3:::b"),
])
def test_resource_arn(resource, bucket, key, arn):  # type: ignore[no-untyped-def]
    assert resource_arn(resource, bucket, key) == arn
