"""Every operation-table row declares IAM actions AWS defines, a resource, and an auth scheme."""

from __future__ import annotations

import pytest

from gateway.auth import VERSION_VARIANTS
from gateway.operations import ADMIN, BUCKET, EACH_OBJECT, OBJECT, OPERATIONS, SERVICE, Auth, resource_arn

# The actions of "Actions, resources, and condition keys for Amazon S3" (Service Authorization
# Reference, service prefix s3), spelled as AWS does: note s3:GetBucketCORS, s3:GetLifecycleConfiguration,
# s3:GetEncryptionConfiguration, s3:GetAccelerateConfiguration, which are not operation names.
AWS_S3_ACTIONS = frozenset({
    "s3:AbortMultipartUpload", "s3:AssociateAccessGrantsIdentityCenter", "s3:BypassGovernanceRetention",
    "s3:CreateAccessGrant", "s3:CreateAccessGrantsInstance", "s3:CreateAccessGrantsLocation",
    "s3:CreateAccessPoint", "s3:CreateAccessPointForObjectLambda", "s3:CreateBucket",
    "s3:CreateBucketMetadataTableConfiguration", "s3:CreateJob", "s3:CreateMultiRegionAccessPoint",
    "s3:CreateStorageLensGroup", "s3:DeleteAccessGrant", "s3:DeleteAccessGrantsInstance",
    "s3:DeleteAccessGrantsInstanceResourcePolicy", "s3:DeleteAccessGrantsLocation", "s3:DeleteAccessPoint",
    "s3:DeleteAccessPointForObjectLambda", "s3:DeleteAccessPointPolicy", "s3:DeleteAccessPointPolicyForObjectLambda",
    "s3:DeleteBucket", "s3:DeleteBucketMetadataTableConfiguration",
    "s3:DeleteBucketPolicy", "s3:DeleteBucketWebsite", "s3:DeleteJobTagging", "s3:DeleteMultiRegionAccessPoint",
    "s3:DeleteObject", "s3:DeleteObjectTagging", "s3:DeleteObjectVersion", "s3:DeleteObjectVersionTagging",
    "s3:DeleteStorageLensConfiguration", "s3:DeleteStorageLensConfigurationTagging", "s3:DeleteStorageLensGroup",
    "s3:DescribeJob", "s3:DescribeMultiRegionAccessPointOperation", "s3:DissociateAccessGrantsIdentityCenter",
    "s3:GetAccelerateConfiguration", "s3:GetAccessGrant", "s3:GetAccessGrantsInstance",
    "s3:GetAccessGrantsInstanceForPrefix", "s3:GetAccessGrantsInstanceResourcePolicy", "s3:GetAccessGrantsLocation",
    "s3:GetAccessPoint", "s3:GetAccessPointConfigurationForObjectLambda", "s3:GetAccessPointForObjectLambda",
    "s3:GetAccessPointPolicy", "s3:GetAccessPointPolicyForObjectLambda", "s3:GetAccessPointPolicyStatus",
    "s3:GetAccessPointPolicyStatusForObjectLambda", "s3:GetAccountPublicAccessBlock", "s3:GetAnalyticsConfiguration",
    "s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetBucketLocation", "s3:GetBucketLogging",
    "s3:GetBucketMetadataTableConfiguration", "s3:GetBucketNotification", "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketOwnershipControls", "s3:GetBucketPolicy", "s3:GetBucketPolicyStatus",
    "s3:GetBucketPublicAccessBlock", "s3:GetBucketRequestPayment", "s3:GetBucketTagging", "s3:GetBucketVersioning",
    "s3:GetBucketWebsite", "s3:GetDataAccess", "s3:GetEncryptionConfiguration",
    "s3:GetIntelligentTieringConfiguration", "s3:GetInventoryConfiguration", "s3:GetJobTagging",
    "s3:GetLifecycleConfiguration", "s3:GetMetricsConfiguration", "s3:GetMultiRegionAccessPoint",
    "s3:GetMultiRegionAccessPointPolicy", "s3:GetMultiRegionAccessPointPolicyStatus",
    "s3:GetMultiRegionAccessPointRoutes", "s3:GetObject", "s3:GetObjectAcl", "s3:GetObjectAttributes",
    "s3:GetObjectLegalHold", "s3:GetObjectRetention", "s3:GetObjectTagging", "s3:GetObjectTorrent",
    "s3:GetObjectVersion", "s3:GetObjectVersionAcl", "s3:GetObjectVersionAttributes",
    "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging", "s3:GetObjectVersionTorrent",
    "s3:GetReplicationConfiguration", "s3:GetStorageLensConfiguration", "s3:GetStorageLensConfigurationTagging",
    "s3:GetStorageLensDashboard", "s3:GetStorageLensGroup", "s3:InitiateReplication", "s3:ListAccessGrants",
    "s3:ListAccessGrantsInstances", "s3:ListAccessGrantsLocations", "s3:ListAccessPoints",
    "s3:ListAccessPointsForObjectLambda", "s3:ListAllMyBuckets", "s3:ListBucket", "s3:ListBucketMultipartUploads",
    "s3:ListBucketVersions", "s3:ListCallerAccessGrants", "s3:ListJobs", "s3:ListMultiRegionAccessPoints",
    "s3:ListMultipartUploadParts", "s3:ListStorageLensConfigurations", "s3:ListStorageLensGroups",
    "s3:ListTagsForResource", "s3:ObjectOwnerOverrideToBucketOwner", "s3:PauseReplication",
    "s3:PutAccelerateConfiguration", "s3:PutAccessGrantsInstanceResourcePolicy",
    "s3:PutAccessPointConfigurationForObjectLambda", "s3:PutAccessPointPolicy",
    "s3:PutAccessPointPolicyForObjectLambda", "s3:PutAccessPointPublicAccessBlock", "s3:PutAccountPublicAccessBlock",
    "s3:PutAnalyticsConfiguration", "s3:PutBucketAcl", "s3:PutBucketCORS", "s3:PutBucketLogging",
    "s3:PutBucketNotification", "s3:PutBucketObjectLockConfiguration", "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutBucketRequestPayment", "s3:PutBucketTagging",
    "s3:PutBucketVersioning", "s3:PutBucketWebsite", "s3:PutEncryptionConfiguration",
    "s3:PutIntelligentTieringConfiguration", "s3:PutInventoryConfiguration", "s3:PutJobTagging",
    "s3:PutLifecycleConfiguration", "s3:PutMetricsConfiguration", "s3:PutMultiRegionAccessPointPolicy",
    "s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectLegalHold", "s3:PutObjectRetention", "s3:PutObjectTagging",
    "s3:PutObjectVersionAcl", "s3:PutObjectVersionTagging", "s3:PutReplicationConfiguration",
    "s3:PutStorageLensConfiguration", "s3:PutStorageLensConfigurationTagging", "s3:ReplicateDelete",
    "s3:ReplicateObject", "s3:ReplicateTags", "s3:RestoreObject", "s3:SubmitMultiRegionAccessPointRoutes",
    "s3:TagResource", "s3:UntagResource", "s3:UpdateAccessGrantsLocation", "s3:UpdateJobPriority",
    "s3:UpdateJobStatus", "s3:UpdateStorageLensGroup",
})

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
    "GetBucketReplication": ("s3:GetReplicationConfiguration",),
    "GetBucketNotificationConfiguration": ("s3:GetBucketNotification",),
    "GetBucketAccelerateConfiguration": ("s3:GetAccelerateConfiguration",),
    "OptionsBucket": (), "OptionsObject": (),
}

ROWS = pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)


@ROWS
def test_actions_are_aws_s3_actions(op):  # type: ignore[no-untyped-def]
    assert set(op.actions) <= AWS_S3_ACTIONS
    assert op.actions == RENAMED.get(op.name, (f"s3:{op.name}",))


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
