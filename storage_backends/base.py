"""The narrow, async, streaming seam between the S3 protocol layer and storage.

``gateway`` calls a :class:`Backend`; backends know nothing of HTTP or XML. They raise
``gateway.wire.errors.S3Error`` (pure data, no HTTP code) for S3-visible failures such as
``NoSuchKey``. Bodies stream both ways: writes take a :class:`Body` (an async iterator that
verifies itself and then reports its :class:`Digests`), reads return an :class:`ObjectStream`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from gateway.wire.checksums import Checksum as Checksum  # re-exported: storage speaks these wire types too
from gateway.wire.completion import CompletionChecks as CompletionChecks
from gateway.wire.documents.acl import Grants as Grants
from gateway.wire.documents.attributes import ObjectParts as ObjectParts
from gateway.wire.documents.multipart import CompletedPart as CompletedPart
from gateway.wire.documents.multipart import PartInfo as PartInfo
from gateway.wire.errors import Code, S3Error
from gateway.wire.lifecycle_rules import ARCHIVE_CLASSES, Configuration
from gateway.wire.lock_rules import LockConfiguration as LockConfiguration
from gateway.wire.lock_rules import ObjectLock as ObjectLock
from gateway.wire.lock_rules import Retention as Retention
from gateway.wire.sse_headers import CustomerKey as CustomerKey
from gateway.wire.sse_headers import Encryption as Encryption

if TYPE_CHECKING:
    from storage_backends.identity import IdentityStore
    from storage_backends.outbox import Outbox
    from storage_backends.usage import UsageCounter, UsageReport

# Content headers S3 stores with an object and returns on GET/HEAD (lower-case names).
# Set (for one request's task) when the gateway serves an anonymous caller: a backend that forwards to
# another S3 sends that request's calls unsigned, so the upstream decides as for any anonymous reader.
UNSIGNED_CALLER: ContextVar[bool] = ContextVar("s3gate_unsigned_caller", default=False)

CONTENT_HEADERS = ("content-type", "content-encoding", "content-disposition", "content-language",
                   "cache-control", "expires", "x-amz-website-redirect-location")


@dataclass(frozen=True, slots=True)
class Digests:
    """What a body's digests came to, known once it has been read to its end."""

    md5_hex: str
    size: int
    checksum_algorithm: str
    checksum_value: str
    checksum_given: bool = False  # the client sent this checksum (vs. one we computed by default)


class Body(Protocol):
    """An incoming body, verified while it streams.

    Iteration raises ``S3Error`` instead of yielding its last block if anything fails
    verification (a consumer never receives a complete body that is not valid), and
    ``digests()`` is valid once iteration has finished. ``size`` is the announced length.
    """

    @property
    def size(self) -> int | None: ...
    @property
    def announced_checksum(self) -> tuple[str, str | None] | None:
        """The checksum the client announced before the body: (algorithm, value) from a header, or
        (algorithm, None) when the value comes in a trailer; None if the client sent none. A
        backend that forwards the body (upstream) passes it on; ``digests()`` has the verified value."""
        ...
    @property
    def content_md5(self) -> str | None:
        """The Content-MD5 the client sent (verified as the body streams), for a forwarder to pass on."""
        ...
    def __aiter__(self) -> AsyncIterator[bytes]: ...
    def digests(self) -> Digests: ...


@dataclass(slots=True)
class BucketInfo:
    name: str
    region: str
    owner_id: str
    created_ms: int
    versioning: str | None = None  # None (never enabled), "Enabled" or "Suspended"
    object_lock: LockConfiguration | None = None  # the local backend's; None: not enabled (or not known)


@dataclass(frozen=True, slots=True)
class Restore:
    """An archived (GLACIER / DEEP_ARCHIVE) object's restore: in progress, or done until ``expiry_ms``."""

    ongoing: bool
    expiry_ms: int | None = None


@dataclass(slots=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    etag: str  # unquoted: hex MD5, or "<hex>-<parts>" for multipart uploads
    last_modified_ms: int
    owner_id: str = ""
    version_id: str | None = None  # None on buckets that never had versioning
    storage_class: str = "STANDARD"
    content: dict[str, str] = field(default_factory=dict)  # CONTENT_HEADERS that were set
    metadata: dict[str, str] = field(default_factory=dict)  # x-amz-meta-* without the prefix
    checksum: Checksum | None = None
    parts_count: int | None = None
    is_latest: bool = True
    delete_marker: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    tag_count: int | None = None  # when only the count is known (an upstream's x-amz-tagging-count)
    expiration: tuple[int, str] | None = None  # (expiry ms, rule id) under the bucket's lifecycle rules
    restore: Restore | None = None
    lock: ObjectLock | None = None  # the version's retention and legal hold (Object Lock)
    encryption: Encryption | None = None  # None: stored unencrypted

    @property
    def readable(self) -> bool:
        """Archived objects can be read only while a restored copy exists."""
        if self.storage_class not in ARCHIVE_CLASSES:
            return True
        return self.restore is not None and not self.restore.ongoing


@dataclass(frozen=True, slots=True)
class NewObject:
    """What the client chose for an object it writes (PUT, POST, COPY with REPLACE, multipart create)."""

    owner_id: str
    content: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    storage_class: str = "STANDARD"
    tags: dict[str, str] = field(default_factory=dict)
    acl: Grants | None = None  # the version's ACL grants; None: the owner's FULL_CONTROL only
    lock: ObjectLock | None = None  # the retention and legal hold asked for (None: none; a default may apply)
    encryption: Encryption | None = None  # resolved by the gateway (request headers, else bucket default)
    customer_key: CustomerKey | None = None  # SSE-C: the key to encrypt with (never stored)
    # ``encryption`` is the bucket's default, not the request's: a backend that forwards to another S3
    # sends none and lets the upstream apply its own default (so nothing is encrypted twice, or differently).
    encryption_default: bool = False


@dataclass(frozen=True, slots=True)
class ObjectAcl:
    """A version's owner and ACL (``grants`` None: the owner's FULL_CONTROL only)."""

    owner_id: str
    grants: Grants | None
    version_id: str | None  # as a response shows it (None on buckets that never had versioning)


@dataclass(frozen=True, slots=True)
class WriteConditions:
    """Conditional writes: ``If-None-Match: *`` and ``If-Match: <etag>``, checked atomically at commit."""

    if_none_match: bool = False
    if_match: str | None = None


@dataclass(frozen=True, slots=True)
class ByteRange:
    """An HTTP byte range as asked: ``first-last``, ``first-`` or ``-suffix``."""

    first: int | None
    last: int | None

    def resolve(self, size: int) -> tuple[int, int]:
        """Inclusive (start, end) within an object of ``size`` bytes, or InvalidRange (416)."""
        if self.first is None:
            if not self.last:
                raise S3Error(Code.InvalidRange, ActualObjectSize=str(size), RangeRequested=str(self))
            return max(size - self.last, 0), size - 1
        if self.first >= size:
            raise S3Error(Code.InvalidRange, ActualObjectSize=str(size), RangeRequested=str(self))
        last = size - 1 if self.last is None else min(self.last, size - 1)
        return self.first, last

    def __str__(self) -> str:
        return f"bytes={'' if self.first is None else self.first}-{'' if self.last is None else self.last}"


@dataclass(frozen=True, slots=True)
class FreeSpaceReserve:
    """``--min-free-space``: the free space a file system keeps for deletes and metadata commits,
    as a percentage of its size or a number of bytes."""

    percent: float = 0.0
    size: int = 0

    def bytes_of(self, total: int) -> int:
        return self.size if self.size else int(total * self.percent / 100)


DEFAULT_RESERVE = FreeSpaceReserve(percent=1.0)  # MinIO's too: it never fills a disk past 99%


@dataclass(frozen=True, slots=True)
class StoredTotal:
    """What one bucket keeps in one storage class (every version; delete markers hold no bytes): running
    totals kept with each write, so metrics and the usage report read them without scanning objects."""

    bucket: str
    storage_class: str
    objects: int
    bytes: int


@dataclass(frozen=True, slots=True)
class VolumeSpace:
    """One file system the backend writes to, as the reserve sees it (``/_s3gate/health`` reports it)."""

    name: str  # "data" (the data directory: metadata and blobs) or a storage class with a directory of its own
    total_bytes: int
    free_bytes: int
    reserve_bytes: int
    free_inodes: int | None  # None: the file system does not count inodes
    writes_refused: bool


class ObjectStream(Protocol):
    """An opened object version: its info, the byte range it will serve, and the bytes."""

    info: ObjectInfo
    start: int  # inclusive
    end: int  # inclusive; end < start for an empty body
    checksum: Checksum | None  # of exactly the bytes served: the object's, a part's, or None for a range

    def __aiter__(self) -> AsyncIterator[bytes]: ...
    async def aclose(self) -> None: ...


@dataclass(slots=True)
class VersionsPage:
    versions: list[ObjectInfo]  # versions and delete markers, by key, newest first
    common_prefixes: list[str]
    is_truncated: bool
    next_key_marker: str | None
    next_version_id_marker: str | None


@dataclass(slots=True)
class ListPage:
    objects: list[ObjectInfo]
    common_prefixes: list[str]
    is_truncated: bool
    next_marker: str | None  # the last key or common prefix returned, when truncated


@dataclass(frozen=True, slots=True)
class DeleteResult:
    key: str
    version_id: str | None = None
    delete_marker: bool = False
    delete_marker_version_id: str | None = None
    error: S3Error | None = None


@dataclass(slots=True)
class UploadInfo:
    """A multipart upload in progress."""

    upload_id: str
    bucket: str
    key: str
    initiated_ms: int
    owner_id: str
    storage_class: str = "STANDARD"
    checksum_algorithm: str | None = None  # as asked at creation
    checksum_type: str | None = None  # COMPOSITE or FULL_OBJECT, with checksum_algorithm
    lock: ObjectLock | None = None  # the lock the completed version will get (None: none, or not known)
    encryption: Encryption | None = None  # what the completed version (and each part) is encrypted with


@dataclass(slots=True)
class PartsPage:
    upload: UploadInfo
    parts: list[PartInfo]
    is_truncated: bool
    next_marker: int | None


@dataclass(slots=True)
class UploadsPage:
    uploads: list[UploadInfo]
    common_prefixes: list[str]
    is_truncated: bool
    next_key_marker: str | None
    next_upload_id_marker: str | None


class Backend(Protocol):
    """Everything the gateway asks of storage.

    There is no base class to inherit defaults from: a backend implements every method, and one
    that cannot do something raises ``S3Error(Code.NotImplemented)`` (as the upstream backend's
    ``run_lifecycle`` does).
    """

    async def start(self) -> None: ...
    async def aclose(self) -> None: ...

    @property
    def identities(self) -> IdentityStore:
        """The identity store (IAM users, keys, groups, policies); usable once started."""
        ...

    def disk_space(self) -> list[VolumeSpace]:
        """The local file systems it stores on and their reserves (none for a backend that stores elsewhere)."""
        ...

    @property
    def outbox(self) -> Outbox | None:
        """Event notifications' outbox (usable once started); None: this backend has none (upstream)."""
        ...

    async def stored_totals(self) -> list[StoredTotal]:
        """Objects and bytes per bucket and storage class (none for a backend whose objects are elsewhere)."""
        ...

    async def record_usage(self, counters: list[UsageCounter]) -> None:
        """Add a worker's batch of counted requests to the usage accounting (ignored where there is none)."""
        ...

    async def usage(self) -> UsageReport:
        """The usage accounting (``storage_backends.usage``); NotImplemented where there is none (upstream)."""
        ...

    def on_change(self, callback: Callable[[str | None], None]) -> None:
        """Have ``callback(bucket)`` called after a change to a bucket's configuration (None: any bucket's may
        have changed): the gateway's caches of bucket state forget it. A backend calls it for the changes it
        sees (the local backend: this process's, and every gateway's on PostgreSQL), or never (upstream)."""
        ...

    @property
    def lifecycle_actions(self) -> Mapping[str, int]:
        """Lifecycle actions this process's passes applied, by action (``PassReport``'s names), since it
        started: running totals the metrics read (none for a backend without lifecycle passes)."""
        ...

    # buckets
    async def list_buckets(self, owner_id: str | None, *, prefix: str = "", start_after: str = "",
                           limit: int = 10000) -> list[BucketInfo]: ...
    async def create_bucket(self, name: str, *, region: str, owner_id: str,
                            configs: Mapping[str, str | None] | None = None, object_lock: bool = False) -> BucketInfo:
        """Create the bucket with its initial sub-resource documents (``configs``: kind -> document,
        None for "none"), in one step: a new bucket is never seen without them. ``object_lock``: with
        Object Lock enabled (and so versioning)."""
        ...
    async def get_bucket(self, name: str) -> BucketInfo: ...
    async def delete_bucket(self, name: str) -> None: ...
    async def get_bucket_config(self, name: str, kind: str) -> str | None: ...
    async def put_bucket_config(self, name: str, kind: str, document: str | None) -> None: ...

    # objects
    async def list_objects(self, bucket: str, *, prefix: str = "", delimiter: str = "", after: str = "",
                           limit: int = 1000) -> ListPage: ...
    # ``customer_key`` (reads, parts) / ``src_customer_key`` (a copy's source): the SSE-C key the request
    # carries. A version stored with SSE-C needs the matching key (else ``wire.sse``'s errors); one
    # stored without it refuses a key.
    async def head_object(self, bucket: str, key: str, *, version_id: str | None = None,
                          customer_key: CustomerKey | None = None) -> ObjectInfo: ...
    async def get_object(self, bucket: str, key: str, *, version_id: str | None = None,
                         byte_range: ByteRange | None = None, part_number: int | None = None,
                         precondition: Callable[[ObjectInfo], None] | None = None,
                         customer_key: CustomerKey | None = None) -> ObjectStream:
        """``precondition`` sees the version about to be served (before the range is resolved) and
        may raise to refuse it; the stream then is never opened. ``part_number`` serves one part of
        a multipart object (the whole object is part 1 of a single-part one)."""
        ...
    async def get_object_parts(self, bucket: str, key: str, *, version_id: str | None = None, marker: int = 0,
                               limit: int = 1000, customer_key: CustomerKey | None = None
                               ) -> tuple[ObjectInfo, ObjectParts | None]:
        """The version, and a page of its parts after ``marker`` if it was uploaded in parts (else None)."""
        ...
    async def put_object(self, bucket: str, key: str, body: Body, new: NewObject,
                         conditions: WriteConditions | None = None) -> ObjectInfo: ...
    async def copy_object(self, src_bucket: str, src_key: str, src_version_id: str | None, bucket: str,
                          key: str, new: NewObject, *, checksum_algorithm: str | None = None,
                          conditions: WriteConditions | None = None,
                          src_customer_key: CustomerKey | None = None) -> ObjectInfo:
        """Copy a version's bytes under ``new``'s metadata (the gateway resolves COPY/REPLACE); the
        target is encrypted as ``new.encryption`` says (with ``new.customer_key`` for SSE-C)."""
        ...
    async def delete_object(self, bucket: str, key: str, *, version_id: str | None = None,
                            bypass_governance: bool = False) -> DeleteResult:
        """A version Object Lock protects is refused (AccessDenied); ``bypass_governance``: the caller
        asked to bypass GOVERNANCE retention and may."""
        ...
    async def get_object_acl(self, bucket: str, key: str, *, version_id: str | None = None) -> ObjectAcl: ...
    async def put_object_acl(self, bucket: str, key: str, grants: Grants | None, *,
                             version_id: str | None = None) -> str | None:
        """Replace a version's ACL in place (no new version); returns the version id shown."""
        ...
    async def delete_objects(self, bucket: str, items: list[tuple[str, str | None]], *,
                             bypass_governance: bool = False) -> list[DeleteResult]: ...

    # multipart uploads
    async def create_multipart_upload(self, bucket: str, key: str, new: NewObject, *,
                                      checksum_algorithm: str | None, checksum_type: str | None) -> UploadInfo: ...
    async def get_multipart_upload(self, bucket: str, key: str, upload_id: str) -> UploadInfo: ...
    # An SSE-C upload's parts and completion carry the key it was created with (``customer_key``).
    async def upload_part(self, bucket: str, key: str, upload_id: str, part_number: int, body: Body, *,
                          customer_key: CustomerKey | None = None) -> PartInfo: ...
    async def upload_part_copy(self, bucket: str, key: str, upload_id: str, part_number: int, src_bucket: str,
                               src_key: str, src_version_id: str | None, byte_range: ByteRange | None, *,
                               customer_key: CustomerKey | None = None,
                               src_customer_key: CustomerKey | None = None) -> PartInfo: ...
    async def complete_multipart_upload(self, bucket: str, key: str, upload_id: str, parts: list[CompletedPart],
                                        conditions: WriteConditions | None = None,
                                        checks: CompletionChecks | None = None, *,
                                        customer_key: CustomerKey | None = None) -> ObjectInfo:
        """Make the object, once ``checks`` (what the request asserts about it) and the parts hold."""
        ...
    async def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None: ...
    async def list_parts(self, bucket: str, key: str, upload_id: str, *, marker: int = 0,
                         limit: int = 1000) -> PartsPage: ...
    async def list_multipart_uploads(self, bucket: str, *, prefix: str = "", delimiter: str = "",
                                     key_marker: str = "", upload_id_marker: str = "",
                                     limit: int = 1000) -> UploadsPage: ...

    # versioning and tags
    async def get_bucket_versioning(self, bucket: str) -> str | None:
        """None (never enabled), "Enabled" or "Suspended"."""
        ...
    async def put_bucket_versioning(self, bucket: str, status: str) -> None: ...
    async def list_object_versions(self, bucket: str, *, prefix: str = "", delimiter: str = "", key_marker: str = "",
                                   version_id_marker: str = "", limit: int = 1000) -> VersionsPage: ...
    async def get_object_tagging(self, bucket: str, key: str, *, version_id: str | None = None
                                 ) -> tuple[str | None, dict[str, str]]: ...
    async def put_object_tagging(self, bucket: str, key: str, tags: dict[str, str], *,
                                 version_id: str | None = None) -> str | None: ...

    # Object Lock (a bucket without it: InvalidRequest, but for the configuration's GET)
    async def get_object_lock_configuration(self, bucket: str) -> LockConfiguration | None:
        """None: Object Lock is not enabled on the bucket."""
        ...
    async def put_object_lock_configuration(self, bucket: str, config: LockConfiguration) -> None:
        """Enables Object Lock if it was not (versioning must be Enabled: InvalidBucketState)."""
        ...
    async def get_object_retention(self, bucket: str, key: str, *, version_id: str | None = None
                                   ) -> Retention | None: ...
    async def put_object_retention(self, bucket: str, key: str, retention: Retention | None, *,
                                   version_id: str | None = None, bypass_governance: bool = False) -> None:
        """Extend, change or (None) remove a version's retention as ``lock_rules.check_retention_change`` allows."""
        ...
    async def get_object_legal_hold(self, bucket: str, key: str, *, version_id: str | None = None) -> bool | None:
        """None: the version never had a legal hold."""
        ...
    async def put_object_legal_hold(self, bucket: str, key: str, on: bool, *, version_id: str | None = None
                                    ) -> None: ...

    # lifecycle and archives
    async def get_bucket_lifecycle(self, bucket: str) -> Configuration | None: ...
    async def put_bucket_lifecycle(self, bucket: str, config: Configuration | None) -> None: ...
    async def restore_object(self, bucket: str, key: str, *, version_id: str | None, days: int) -> bool:
        """Start (True) or extend (False) a restore; RestoreAlreadyInProgress while one runs."""
        ...
    async def run_lifecycle(self, *, advance_days: float = 0) -> dict[str, object]:
        """Advance the lifecycle clock, then apply every bucket's rules now (the admin endpoint)."""
        ...
