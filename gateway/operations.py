"""The operation table: (method, level, sub-resource, conditions) -> one handler.

Rows are tried in order for the request's method and level (service, bucket or object), so
the most specific row of a group comes first. A row with a ``sub`` matches when that
sub-resource is in the query; a row without one matches only when the query names no S3
sub-resource at all, so ``GET /bucket?policy`` is never mistaken for ListObjects: it is
answered NotImplemented, as is every S3 sub-resource without a row. A request that names no
sub-resource and matches no row is MethodNotAllowed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from gateway import admin, cors
from gateway.context import Context
from gateway.handlers import (
    attributes,
    bucket_config,
    buckets,
    copy,
    lifecycle,
    listing,
    multipart,
    objects,
    post_object,
    restore,
    tagging,
    versioning,
)
from gateway.request import S3Request
from gateway.responses import Response
from gateway.wire.errors import Code, S3Error

Handler = Callable[[Context], Awaitable[Response]]

SERVICE, BUCKET, OBJECT = "service", "bucket", "object"

# Every query parameter that selects an S3 sub-resource (from botocore's S3 model).
SUBRESOURCES = frozenset({
    "abac", "accelerate", "acl", "analytics", "annotation", "attributes", "cors", "delete", "encryption",
    "intelligent-tiering", "inventory", "legal-hold", "lifecycle", "location", "logging",
    "metadataAnnotationTable", "metadataConfiguration", "metadataInventoryTable", "metadataJournalTable",
    "metadataTable", "metrics", "notification", "object-lock", "ownershipControls", "policy", "policyStatus",
    "publicAccessBlock", "renameObject", "replication", "requestPayment", "restore", "retention", "select",
    "session", "tagging", "torrent", "uploads", "versioning", "versions", "website",
})


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    method: str
    level: str
    handler: Handler
    sub: str | None = None
    query: tuple[str, ...] = ()  # query parameters that must be present
    query_value: tuple[str, str] | None = None  # a parameter that must have this value
    header: str | None = None  # a header that must be present
    content_type: str | None = None  # the Content-Type must start with this
    auth: bool = True  # False: the request carries no header/query signature (preflight, POST form)

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


def stored_config(name: str, sub: str, kind: str, missing: Code, put: Handler) -> tuple[Operation, ...]:
    """Get/Put/Delete<name>: a bucket sub-resource kept as one document of ``kind`` (``missing`` if unset)."""
    return (Operation(f"Get{name}", "GET", BUCKET, bucket_config.stored_document(kind, missing), sub=sub),
            Operation(f"Put{name}", "PUT", BUCKET, put, sub=sub),
            Operation(f"Delete{name}", "DELETE", BUCKET, bucket_config.delete_document(kind), sub=sub))


OPERATIONS: tuple[Operation, ...] = (
    Operation("ListBuckets", "GET", SERVICE, buckets.list_buckets),
    # bucket level
    Operation("GetBucketLocation", "GET", BUCKET, buckets.get_bucket_location, sub="location"),
    Operation("GetBucketAcl", "GET", BUCKET, bucket_config.get_bucket_acl, sub="acl"),
    Operation("PutBucketAcl", "PUT", BUCKET, bucket_config.put_bucket_acl, sub="acl"),
    Operation("GetBucketVersioning", "GET", BUCKET, versioning.get_bucket_versioning, sub="versioning"),
    Operation("PutBucketVersioning", "PUT", BUCKET, versioning.put_bucket_versioning, sub="versioning"),
    Operation("ListObjectVersions", "GET", BUCKET, versioning.list_object_versions, sub="versions"),
    Operation("GetBucketPolicy", "GET", BUCKET, bucket_config.not_configured(Code.NoSuchBucketPolicy), sub="policy"),
    *stored_config("BucketCors", "cors", cors.CONFIG_KIND, Code.NoSuchCORSConfiguration, cors.put_bucket_cors),
    Operation("GetBucketLifecycleConfiguration", "GET", BUCKET, lifecycle.get_bucket_lifecycle, sub="lifecycle"),
    Operation("PutBucketLifecycleConfiguration", "PUT", BUCKET, lifecycle.put_bucket_lifecycle, sub="lifecycle"),
    Operation("DeleteBucketLifecycle", "DELETE", BUCKET, lifecycle.delete_bucket_lifecycle, sub="lifecycle"),
    *stored_config("BucketTagging", "tagging", tagging.TAGGING_KIND, Code.NoSuchTagSet,
                   tagging.put_bucket_tagging),
    *stored_config("BucketEncryption", "encryption", bucket_config.ENCRYPTION_KIND,
                   Code.ServerSideEncryptionConfigurationNotFoundError, bucket_config.put_bucket_encryption),
    Operation("GetBucketWebsite", "GET", BUCKET, bucket_config.not_configured(Code.NoSuchWebsiteConfiguration),
              sub="website"),
    Operation("GetObjectLockConfiguration", "GET", BUCKET,
              bucket_config.not_configured(Code.ObjectLockConfigurationNotFoundError), sub="object-lock"),
    *stored_config("BucketOwnershipControls", "ownershipControls", bucket_config.OWNERSHIP_CONTROLS_KIND,
                   Code.OwnershipControlsNotFoundError, bucket_config.put_ownership_controls),
    *stored_config("PublicAccessBlock", "publicAccessBlock", bucket_config.PUBLIC_ACCESS_BLOCK_KIND,
                   Code.NoSuchPublicAccessBlockConfiguration, bucket_config.put_public_access_block),
    Operation("GetBucketReplication", "GET", BUCKET,
              bucket_config.not_configured(Code.ReplicationConfigurationNotFoundError), sub="replication"),
    Operation("GetBucketLogging", "GET", BUCKET, bucket_config.empty_document("BucketLoggingStatus"), sub="logging"),
    Operation("GetBucketNotificationConfiguration", "GET", BUCKET,
              bucket_config.empty_document("NotificationConfiguration"), sub="notification"),
    Operation("GetBucketRequestPayment", "GET", BUCKET,
              bucket_config.empty_document("RequestPaymentConfiguration", ("Payer", "BucketOwner")),
              sub="requestPayment"),
    Operation("GetBucketAccelerateConfiguration", "GET", BUCKET,
              bucket_config.empty_document("AccelerateConfiguration"), sub="accelerate"),
    Operation("DeleteObjects", "POST", BUCKET, objects.delete_objects, sub="delete"),
    Operation("ListMultipartUploads", "GET", BUCKET, multipart.list_multipart_uploads, sub="uploads"),
    Operation("ListObjectsV2", "GET", BUCKET, listing.list_objects_v2, query_value=("list-type", "2")),
    Operation("ListObjects", "GET", BUCKET, listing.list_objects),
    Operation("PostObject", "POST", BUCKET, post_object.post_object, content_type="multipart/form-data",
              auth=False),
    Operation("OptionsBucket", "OPTIONS", BUCKET, cors.preflight, auth=False),
    Operation("HeadBucket", "HEAD", BUCKET, buckets.head_bucket),
    Operation("CreateBucket", "PUT", BUCKET, buckets.create_bucket),
    Operation("DeleteBucket", "DELETE", BUCKET, buckets.delete_bucket),
    # object level
    Operation("GetObjectAcl", "GET", OBJECT, bucket_config.get_object_acl, sub="acl"),
    Operation("GetObjectTagging", "GET", OBJECT, tagging.get_object_tagging, sub="tagging"),
    Operation("PutObjectTagging", "PUT", OBJECT, tagging.put_object_tagging, sub="tagging"),
    Operation("DeleteObjectTagging", "DELETE", OBJECT, tagging.delete_object_tagging, sub="tagging"),
    Operation("RestoreObject", "POST", OBJECT, restore.restore_object, sub="restore"),
    Operation("PutObjectAcl", "PUT", OBJECT, bucket_config.put_object_acl, sub="acl"),
    Operation("CreateMultipartUpload", "POST", OBJECT, multipart.create_multipart_upload, sub="uploads"),
    Operation("CompleteMultipartUpload", "POST", OBJECT, multipart.complete_multipart_upload, query=("uploadId",)),
    Operation("UploadPartCopy", "PUT", OBJECT, multipart.upload_part_copy, query=("partNumber", "uploadId"),
              header="x-amz-copy-source"),
    Operation("UploadPart", "PUT", OBJECT, multipart.upload_part, query=("partNumber", "uploadId")),
    Operation("ListParts", "GET", OBJECT, multipart.list_parts, query=("uploadId",)),
    Operation("AbortMultipartUpload", "DELETE", OBJECT, multipart.abort_multipart_upload, query=("uploadId",)),
    Operation("OptionsObject", "OPTIONS", OBJECT, cors.preflight, auth=False),
    Operation("GetObjectAttributes", "GET", OBJECT, attributes.get_object_attributes, sub="attributes"),
    Operation("GetObject", "GET", OBJECT, objects.get_object),
    Operation("HeadObject", "HEAD", OBJECT, objects.head_object),
    Operation("CopyObject", "PUT", OBJECT, copy.copy_object, header="x-amz-copy-source"),
    Operation("PutObject", "PUT", OBJECT, objects.put_object),
    Operation("DeleteObject", "DELETE", OBJECT, objects.delete_object),
)

_BY_ROUTE: dict[tuple[str, str], list[Operation]] = {}
for _op in OPERATIONS:
    _BY_ROUTE.setdefault((_op.method, _op.level), []).append(_op)

_RESOURCE_TYPES = {SERVICE: "SERVICE", BUCKET: "BUCKET", OBJECT: "OBJECT"}


# s3gate's own endpoints live under /_s3gate/ (no bucket can be named that: underscores are invalid).
ADMIN_BUCKET = "_s3gate"
ADMIN: tuple[Operation, ...] = (
    Operation("AdminRunLifecycle", "POST", "admin/lifecycle", admin.run_lifecycle),
)


def resolve(req: S3Request) -> Operation:
    if req.bucket == ADMIN_BUCKET:
        for op in ADMIN:
            if (op.method, op.level) == (req.method, req.key):
                return op
        raise S3Error(Code.MethodNotAllowed, Method=req.method, ResourceType="ADMIN")
    subresources = SUBRESOURCES.intersection(req.query)
    for op in _BY_ROUTE.get((req.method, req.level), ()):
        if op.matches(req, subresources):
            return op
    if not subresources:
        raise S3Error(Code.MethodNotAllowed, Method=req.method, ResourceType=_RESOURCE_TYPES[req.level])
    named = ", ".join(sorted(subresources))
    raise S3Error(Code.NotImplemented, f"s3gate does not implement this operation ({req.method} {named}).")
