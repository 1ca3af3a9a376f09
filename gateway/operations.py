"""The operation table: (method, level, sub-resource, conditions) -> one handler.

Rows are tried in order for the request's method and level (service, bucket or object), so
the most specific row of a group comes first. A row with a ``sub`` matches when that
sub-resource is in the query; a row without one matches only when the query names no S3
sub-resource at all, so ``GET /bucket?policy`` is never mistaken for ListObjects: it is
answered NotImplemented, as is every S3 sub-resource without a row. A request that names no
sub-resource and matches no row is MethodNotAllowed.

Each row also declares what authorization, logging and metrics read and never re-derive: its
IAM ``actions`` (AWS's names, which are not the operation names), its ``resource`` (the ARN's
shape) and its ``auth`` scheme.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from gateway import admin, cors
from gateway.access.resources import ENCRYPTION_KIND
from gateway.auth import bucket_arn, object_arn
from gateway.context import Context
from gateway.handlers import (
    acl,
    attributes,
    bucket_config,
    bucket_encryption,
    bucket_logging,
    bucket_policy,
    buckets,
    copy,
    lifecycle,
    listing,
    multipart,
    notification,
    object_lock,
    objects,
    post_object,
    restore,
    tagging,
    versioning,
    website,
)
from gateway.request import S3Request
from gateway.responses import Response
from gateway.wire.errors import Code, S3Error

Handler = Callable[[Context], Awaitable[Response]]

SERVICE, BUCKET, OBJECT = "service", "bucket", "object"
# The resource of a row whose action applies to each key its body names (DeleteObjects): the
# handler authorizes every key through ``ctx.authorize``; the pipeline's step checks the caller only.
EACH_OBJECT = "each-object"


class Auth(enum.Enum):
    """How a row's requests prove who is asking."""

    SIGNED = "signed"  # SigV4/SigV2 header or presigned query; no credentials at all -> the anonymous principal
    POST_FORM = "post-form"  # the form's signed policy, verified once the handler has read the fields
    ANONYMOUS = "anonymous"  # never authenticated (CORS preflight): browsers send no credentials


# Every query parameter that selects an S3 sub-resource (from botocore's S3 model).
SUBRESOURCES = frozenset({
    "abac", "accelerate", "acl", "analytics", "annotation", "attributes", "cors", "delete", "encryption",
    "intelligent-tiering", "inventory", "legal-hold", "lifecycle", "location", "logging",
    "metadataAnnotationTable", "metadataConfiguration", "metadataInventoryTable", "metadataJournalTable",
    "metadataTable", "metrics", "notification", "object-lock", "ownershipControls", "policy", "policyStatus",
    "publicAccessBlock", "renameObject", "replication", "requestPayment", "restore", "retention", "select",
    "session", "tagging", "torrent", "uploads", "versioning", "versions", "website",
})

# Server access logs' resource names where they are not the sub-resource's or the level's upper-cased.
_LOGGED_SUBS = {
    (BUCKET, "logging"): "LOGGING_STATUS", (BUCKET, "policy"): "BUCKETPOLICY", (BUCKET, "versions"): "BUCKETVERSIONS",
    (BUCKET, "delete"): "MULTI_OBJECT_DELETE", (BUCKET, "object-lock"): "OBJECT_LOCK_CONFIGURATION",
    (BUCKET, "publicAccessBlock"): "PUBLIC_ACCESS_BLOCK", (BUCKET, "ownershipControls"): "OWNERSHIP_CONTROLS",
    (BUCKET, "policyStatus"): "POLICY_STATUS", (BUCKET, "requestPayment"): "REQUEST_PAYMENT",
    (OBJECT, "tagging"): "OBJECT_TAGGING", (OBJECT, "retention"): "OBJECT_RETENTION",
    (OBJECT, "legal-hold"): "OBJECT_LEGAL_HOLD", (OBJECT, "attributes"): "OBJECT_ATTRIBUTES",
}


def resource_arn(resource: str, bucket: str | None, key: str | None) -> str:
    """The ARN a row's actions are asked about, for a request on ``bucket``/``key``."""
    if bucket is None or resource == SERVICE:
        return "*"  # service-level actions (ListAllMyBuckets, s3gate's own) name no resource
    if resource == OBJECT and key is not None:
        return object_arn(bucket, key)
    return bucket_arn(bucket)


@dataclass(frozen=True, slots=True)
class Operation:
    """One row: how a request line matches it, its handler, and what authorization reads from it."""

    name: str
    method: str
    level: str
    handler: Handler
    actions: tuple[str, ...]  # IAM actions asked for this request's resource (AWS's names)
    sub: str | None = None
    query: tuple[str, ...] = ()  # query parameters that must be present
    query_value: tuple[str, str] | None = None  # a parameter that must have this value
    header: str | None = None  # a header that must be present
    content_type: str | None = None  # the Content-Type must start with this
    auth: Auth = Auth.SIGNED
    resource: str = field(default="")  # SERVICE, BUCKET, OBJECT or EACH_OBJECT; "" -> the row's level
    # How S3's server access logs name it (REST.GET.OBJECT); "" -> REST.<method>.<sub-resource or level>
    log_name: str = ""

    def __post_init__(self) -> None:
        if not self.resource:
            object.__setattr__(self, "resource", self.level if self.level in (BUCKET, OBJECT) else SERVICE)
        if not self.log_name:
            thing = _LOGGED_SUBS.get((self.level, self.sub or ""), (self.sub or self.level).upper())
            object.__setattr__(self, "log_name", f"REST.{self.method}.{thing}")

    def matches(self, req: S3Request, subresources: frozenset[str]) -> bool:
        if self.sub is not None:
            if self.sub not in subresources:
                return False
        elif subresources:
            return False
        if any(q not in req.query for q in self.query):
            return False
        if self.query_value is not None and req.query.get(self.query_value[0]) != self.query_value[1]:
            return False
        if self.content_type is not None and not req.headers.get("content-type", "").startswith(self.content_type):
            return False
        return self.header is None or self.header in req.headers


def stored_config(name: str, sub: str, kind: str, missing: Code, put: Handler,
                  actions: tuple[str, str]) -> tuple[Operation, ...]:
    """Get/Put/Delete<name>: a bucket sub-resource kept as one document of ``kind`` (``missing`` if unset).

    ``actions`` are the (get, put) IAM actions; AWS authorizes Delete<name> with the put action.
    """
    get_action, put_action = actions
    return (Operation(f"Get{name}", "GET", BUCKET, bucket_config.stored_document(kind, missing), (get_action,),
                      sub=sub),
            Operation(f"Put{name}", "PUT", BUCKET, put, (put_action,), sub=sub),
            Operation(f"Delete{name}", "DELETE", BUCKET, bucket_config.delete_document(kind), (put_action,),
                      sub=sub))


OPERATIONS: tuple[Operation, ...] = (
    Operation("ListBuckets", "GET", SERVICE, buckets.list_buckets, ("s3:ListAllMyBuckets",)),
    # bucket level
    Operation("GetBucketLocation", "GET", BUCKET, buckets.get_bucket_location, ("s3:GetBucketLocation",),
              sub="location"),
    Operation("GetBucketAcl", "GET", BUCKET, acl.get_bucket_acl, ("s3:GetBucketAcl",), sub="acl"),
    Operation("PutBucketAcl", "PUT", BUCKET, acl.put_bucket_acl, ("s3:PutBucketAcl",), sub="acl"),
    Operation("GetBucketVersioning", "GET", BUCKET, versioning.get_bucket_versioning, ("s3:GetBucketVersioning",),
              sub="versioning"),
    Operation("PutBucketVersioning", "PUT", BUCKET, versioning.put_bucket_versioning, ("s3:PutBucketVersioning",),
              sub="versioning"),
    Operation("ListObjectVersions", "GET", BUCKET, versioning.list_object_versions, ("s3:ListBucketVersions",),
              sub="versions"),
    Operation("GetBucketPolicy", "GET", BUCKET, bucket_policy.get_bucket_policy, ("s3:GetBucketPolicy",),
              sub="policy"),
    Operation("PutBucketPolicy", "PUT", BUCKET, bucket_policy.put_bucket_policy, ("s3:PutBucketPolicy",),
              sub="policy"),
    Operation("DeleteBucketPolicy", "DELETE", BUCKET, bucket_policy.delete_bucket_policy,
              ("s3:DeleteBucketPolicy",), sub="policy"),
    Operation("GetBucketPolicyStatus", "GET", BUCKET, bucket_policy.get_bucket_policy_status,
              ("s3:GetBucketPolicyStatus",), sub="policyStatus"),
    *stored_config("BucketCors", "cors", cors.CONFIG_KIND, Code.NoSuchCORSConfiguration, cors.put_bucket_cors,
                   ("s3:GetBucketCORS", "s3:PutBucketCORS")),
    Operation("GetBucketLifecycleConfiguration", "GET", BUCKET, lifecycle.get_bucket_lifecycle,
              ("s3:GetLifecycleConfiguration",), sub="lifecycle"),
    Operation("PutBucketLifecycleConfiguration", "PUT", BUCKET, lifecycle.put_bucket_lifecycle,
              ("s3:PutLifecycleConfiguration",), sub="lifecycle"),
    Operation("DeleteBucketLifecycle", "DELETE", BUCKET, lifecycle.delete_bucket_lifecycle,
              ("s3:PutLifecycleConfiguration",), sub="lifecycle"),
    *stored_config("BucketTagging", "tagging", tagging.TAGGING_KIND, Code.NoSuchTagSet,
                   tagging.put_bucket_tagging, ("s3:GetBucketTagging", "s3:PutBucketTagging")),
    Operation("GetBucketEncryption", "GET", BUCKET,
              bucket_config.stored_document(ENCRYPTION_KIND, Code.ServerSideEncryptionConfigurationNotFoundError),
              ("s3:GetEncryptionConfiguration",), sub="encryption"),
    Operation("PutBucketEncryption", "PUT", BUCKET, bucket_encryption.put_bucket_encryption,
              ("s3:PutEncryptionConfiguration",), sub="encryption"),
    Operation("DeleteBucketEncryption", "DELETE", BUCKET, bucket_encryption.delete_bucket_encryption,
              ("s3:PutEncryptionConfiguration",), sub="encryption"),
    Operation("GetBucketWebsite", "GET", BUCKET,
              bucket_config.stored_document(website.WEBSITE_KIND, Code.NoSuchWebsiteConfiguration),
              ("s3:GetBucketWebsite",), sub="website"),
    Operation("PutBucketWebsite", "PUT", BUCKET, website.put_bucket_website, ("s3:PutBucketWebsite",), sub="website"),
    Operation("DeleteBucketWebsite", "DELETE", BUCKET, bucket_config.delete_document(website.WEBSITE_KIND),
              ("s3:DeleteBucketWebsite",), sub="website"),
    Operation("GetObjectLockConfiguration", "GET", BUCKET, object_lock.get_configuration,
              ("s3:GetBucketObjectLockConfiguration",), sub="object-lock"),
    Operation("PutObjectLockConfiguration", "PUT", BUCKET, object_lock.put_configuration,
              ("s3:PutBucketObjectLockConfiguration",), sub="object-lock"),
    *stored_config("BucketOwnershipControls", "ownershipControls", bucket_config.OWNERSHIP_CONTROLS_KIND,
                   Code.OwnershipControlsNotFoundError, bucket_config.put_ownership_controls,
                   ("s3:GetBucketOwnershipControls", "s3:PutBucketOwnershipControls")),
    *stored_config("PublicAccessBlock", "publicAccessBlock", bucket_config.PUBLIC_ACCESS_BLOCK_KIND,
                   Code.NoSuchPublicAccessBlockConfiguration, bucket_config.put_public_access_block,
                   ("s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock")),
    Operation("GetBucketReplication", "GET", BUCKET,
              bucket_config.not_configured(Code.ReplicationConfigurationNotFoundError),
              ("s3:GetReplicationConfiguration",), sub="replication"),
    Operation("GetBucketLogging", "GET", BUCKET, bucket_logging.get_bucket_logging, ("s3:GetBucketLogging",),
              sub="logging"),
    Operation("PutBucketLogging", "PUT", BUCKET, bucket_logging.put_bucket_logging, ("s3:PutBucketLogging",),
              sub="logging"),
    Operation("GetBucketNotificationConfiguration", "GET", BUCKET, notification.get_bucket_notification,
              ("s3:GetBucketNotification",), sub="notification"),
    Operation("PutBucketNotificationConfiguration", "PUT", BUCKET, notification.put_bucket_notification,
              ("s3:PutBucketNotification",), sub="notification"),
    Operation("GetBucketRequestPayment", "GET", BUCKET,
              bucket_config.empty_document("RequestPaymentConfiguration", ("Payer", "BucketOwner")),
              ("s3:GetBucketRequestPayment",), sub="requestPayment"),
    Operation("GetBucketAccelerateConfiguration", "GET", BUCKET,
              bucket_config.empty_document("AccelerateConfiguration"), ("s3:GetAccelerateConfiguration",),
              sub="accelerate"),
    Operation("DeleteObjects", "POST", BUCKET, objects.delete_objects, ("s3:DeleteObject",), sub="delete",
              resource=EACH_OBJECT),
    Operation("ListMultipartUploads", "GET", BUCKET, multipart.list_multipart_uploads,
              ("s3:ListBucketMultipartUploads",), sub="uploads"),
    Operation("ListObjectsV2", "GET", BUCKET, listing.list_objects_v2, ("s3:ListBucket",),
              query_value=("list-type", "2")),
    Operation("ListObjects", "GET", BUCKET, listing.list_objects, ("s3:ListBucket",)),
    # The form names the key: the object ARN is known once the handler has read the fields.
    Operation("PostObject", "POST", BUCKET, post_object.post_object, ("s3:PutObject",),
              content_type="multipart/form-data", auth=Auth.POST_FORM, resource=OBJECT, log_name="REST.POST.OBJECT"),
    Operation("OptionsBucket", "OPTIONS", BUCKET, cors.preflight, (), auth=Auth.ANONYMOUS,
              log_name="REST.OPTIONS.PREFLIGHT"),
    Operation("HeadBucket", "HEAD", BUCKET, buckets.head_bucket, ("s3:ListBucket",)),
    Operation("CreateBucket", "PUT", BUCKET, buckets.create_bucket, ("s3:CreateBucket",)),
    Operation("DeleteBucket", "DELETE", BUCKET, buckets.delete_bucket, ("s3:DeleteBucket",)),
    # object level (a versionId turns an action into its VERSION_VARIANTS name)
    Operation("GetObjectAcl", "GET", OBJECT, acl.get_object_acl, ("s3:GetObjectAcl",), sub="acl"),
    Operation("GetObjectTagging", "GET", OBJECT, tagging.get_object_tagging, ("s3:GetObjectTagging",),
              sub="tagging"),
    Operation("PutObjectTagging", "PUT", OBJECT, tagging.put_object_tagging, ("s3:PutObjectTagging",),
              sub="tagging"),
    Operation("DeleteObjectTagging", "DELETE", OBJECT, tagging.delete_object_tagging, ("s3:DeleteObjectTagging",),
              sub="tagging"),
    Operation("RestoreObject", "POST", OBJECT, restore.restore_object, ("s3:RestoreObject",), sub="restore"),
    Operation("GetObjectRetention", "GET", OBJECT, object_lock.get_retention, ("s3:GetObjectRetention",),
              sub="retention"),
    Operation("PutObjectRetention", "PUT", OBJECT, object_lock.put_retention, ("s3:PutObjectRetention",),
              sub="retention"),
    Operation("GetObjectLegalHold", "GET", OBJECT, object_lock.get_legal_hold, ("s3:GetObjectLegalHold",),
              sub="legal-hold"),
    Operation("PutObjectLegalHold", "PUT", OBJECT, object_lock.put_legal_hold, ("s3:PutObjectLegalHold",),
              sub="legal-hold"),
    Operation("PutObjectAcl", "PUT", OBJECT, acl.put_object_acl, ("s3:PutObjectAcl",), sub="acl"),
    Operation("CreateMultipartUpload", "POST", OBJECT, multipart.create_multipart_upload, ("s3:PutObject",),
              sub="uploads"),
    Operation("CompleteMultipartUpload", "POST", OBJECT, multipart.complete_multipart_upload, ("s3:PutObject",),
              query=("uploadId",), log_name="REST.POST.UPLOAD"),
    # Copies also ask s3:GetObject on the source (a secondary resource): the handler calls ctx.authorize.
    Operation("UploadPartCopy", "PUT", OBJECT, multipart.upload_part_copy, ("s3:PutObject",),
              query=("partNumber", "uploadId"), header="x-amz-copy-source", log_name="REST.COPY.PART"),
    Operation("UploadPart", "PUT", OBJECT, multipart.upload_part, ("s3:PutObject",),
              query=("partNumber", "uploadId"), log_name="REST.PUT.PART"),
    Operation("ListParts", "GET", OBJECT, multipart.list_parts, ("s3:ListMultipartUploadParts",),
              query=("uploadId",), log_name="REST.GET.UPLOAD"),
    Operation("AbortMultipartUpload", "DELETE", OBJECT, multipart.abort_multipart_upload,
              ("s3:AbortMultipartUpload",), query=("uploadId",), log_name="REST.DELETE.UPLOAD"),
    Operation("OptionsObject", "OPTIONS", OBJECT, cors.preflight, (), auth=Auth.ANONYMOUS,
              log_name="REST.OPTIONS.PREFLIGHT"),
    Operation("GetObjectAttributes", "GET", OBJECT, attributes.get_object_attributes,
              ("s3:GetObject", "s3:GetObjectAttributes"), sub="attributes"),
    Operation("GetObject", "GET", OBJECT, objects.get_object, ("s3:GetObject",)),
    Operation("HeadObject", "HEAD", OBJECT, objects.head_object, ("s3:GetObject",)),
    Operation("CopyObject", "PUT", OBJECT, copy.copy_object, ("s3:PutObject",), header="x-amz-copy-source",
              log_name="REST.COPY.OBJECT"),
    Operation("PutObject", "PUT", OBJECT, objects.put_object, ("s3:PutObject",)),
    Operation("DeleteObject", "DELETE", OBJECT, objects.delete_object, ("s3:DeleteObject",)),
)

_BY_ROUTE: dict[tuple[str, str], list[Operation]] = {}
for _op in OPERATIONS:
    _BY_ROUTE.setdefault((_op.method, _op.level), []).append(_op)

_RESOURCE_TYPES = {SERVICE: "SERVICE", BUCKET: "BUCKET", OBJECT: "OBJECT"}


# s3gate's own endpoints live under /_s3gate/ (no bucket can be named that: underscores are invalid).
ADMIN_BUCKET = "_s3gate"
ADMIN: tuple[Operation, ...] = (
    Operation("AdminRunLifecycle", "POST", "admin/lifecycle", admin.run_lifecycle, ("s3gate:RunLifecycle",),
              resource=SERVICE),
    Operation("AdminNotifications", "GET", "admin/notifications", admin.notifications, ("s3gate:Notifications",),
              resource=SERVICE),
    Operation("AdminUsage", "GET", "admin/usage", admin.usage, ("s3gate:Usage",), resource=SERVICE),
)


def resolve_admin(req: S3Request) -> Operation:
    """The admin door's rows: any other request under /_s3gate/ is MethodNotAllowed."""
    for op in ADMIN:
        if (op.method, op.level) == (req.method, req.key):
            return op
    raise S3Error(Code.MethodNotAllowed, Method=req.method, ResourceType="ADMIN")


def resolve(req: S3Request) -> Operation:
    if req.bucket == ADMIN_BUCKET:  # /_s3gate/ spelled virtual-host style (_s3gate.<domain>) comes in the S3 door
        return resolve_admin(req)
    subresources = SUBRESOURCES.intersection(req.query)
    for op in _BY_ROUTE.get((req.method, req.level), ()):
        if op.matches(req, subresources):
            return op
    if not subresources:
        raise S3Error(Code.MethodNotAllowed, Method=req.method, ResourceType=_RESOURCE_TYPES[req.level])
    named = ", ".join(sorted(subresources))
    raise S3Error(Code.NotImplemented, f"s3gate does not implement this operation ({req.method} {named}).")
