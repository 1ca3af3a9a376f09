"""Resource controls as the API applies them: the cached ``BucketAccess`` of each bucket, and the
refusals S3 makes before anything is stored (Object Ownership, Block Public Access).

Neutral ground for handlers (any may import it; it imports none). ``ResourceControls`` is the one
per-door service: it loads a bucket's owner and documents through the backend, parses them into a
``BucketAccess`` and keeps it (``storage_backends.state_cache``: for a second at most, as the local
backend keeps bucket state); this process's own writes forget it at once, and so do other processes'
and gateways' where the backend reports them (``Backend.on_change``). Its two
lookups (e-mail -> canonical id, canonical id -> account id) are hooks the identity directory
replaces. The authorize step reads ``await controls.bucket(name)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from gateway.access import acl
from gateway.access.acl import Grant, Grants, RequestedAcl, owner_full_control
from gateway.access.expected_owner import AccountOf
from gateway.access.public import is_public_acl
from gateway.access.resources import KINDS, BucketAccess, bucket_access
from gateway.wire.documents.controls import BUCKET_OWNER_ENFORCED, BUCKET_OWNER_PREFERRED
from gateway.wire.errors import Code, S3Error
from storage_backends.base import UNSIGNED_CALLER, Backend, NewObject
from storage_backends.state_cache import StateCache

if TYPE_CHECKING:
    from gateway.context import Context

TTL_S = 1.0
CACHE_SIZE = 10_000
OWNER_FULL_CONTROL = "bucket-owner-full-control"


@dataclass
class ResourceControls:
    """Per-door: bucket access records (cached) and the identity lookups ACLs need."""

    backend: Backend
    known_id: Callable[[str], bool] = field(default=lambda _cid: False)
    resolve_email: acl.EmailResolver = acl.no_emails
    account_of: AccountOf = field(default=lambda _cid: None)  # the door passes the directory's
    _access: StateCache[BucketAccess] = field(default_factory=lambda: StateCache(TTL_S, CACHE_SIZE), repr=False)
    _configs: StateCache[str | None] = field(default_factory=lambda: StateCache(TTL_S, CACHE_SIZE), repr=False)

    def __post_init__(self) -> None:
        self.backend.on_change(self._changed)  # every gateway's configuration changes, where the backend tells

    async def bucket(self, name: str) -> BucketAccess:
        """The bucket's owner, policy, ACL, ownership, BPA and Object Lock (NoSuchBucket if it does not exist)."""
        return await self._access.get(name, None, lambda: self._load_access(name))

    async def _load_access(self, name: str) -> BucketAccess:
        # The documents first: a failing upstream answers their GETs with its own error document (a
        # HEAD, as get_bucket sends, carries none). The record is the gateway's, shared by every caller:
        # on an upstream it is read with the gateway's credentials, an anonymous caller's request too.
        unsigned = UNSIGNED_CALLER.set(False)
        try:
            documents, lock = await asyncio.gather(
                asyncio.gather(*(self.backend.get_bucket_config(name, kind) for kind in KINDS)),
                self.backend.get_object_lock_configuration(name))
            info = await self.backend.get_bucket(name)
        finally:
            UNSIGNED_CALLER.reset(unsigned)
        return bucket_access(name, info.owner_id, dict(zip(KINDS, documents, strict=True)), lock)

    async def config(self, name: str, kind: str) -> str | None:
        """The bucket's ``kind`` document (None: not configured), kept for a second as the access record is:
        the CORS rules and the website configuration are read by every request that serves the bucket."""
        return await self._configs.get(name, kind, lambda: self._load_config(name, kind))

    async def _load_config(self, name: str, kind: str) -> str | None:
        unsigned = UNSIGNED_CALLER.set(False)  # the gateway's own read, an anonymous caller's request too
        try:
            return await self.backend.get_bucket_config(name, kind)
        finally:
            UNSIGNED_CALLER.reset(unsigned)

    def forget(self, name: str) -> None:
        """This process changed the bucket's configuration (a backend that tells ``on_change`` tells it too)."""
        self._changed(name)

    def _changed(self, name: str | None) -> None:
        self._access.changed(name)
        self._configs.changed(name)

    def requested(self, headers: Mapping[str, str], canned_field: str = "x-amz-acl") -> RequestedAcl | None:
        return acl.requested_acl(headers, resolve_email=self.resolve_email, known_id=self.known_id,
                                 canned_field=canned_field)

    def body(self, policy: acl.AccessControlPolicy) -> RequestedAcl:
        return acl.body_acl(policy, resolve_email=self.resolve_email, known_id=self.known_id)


# -- the API-level rules ---------------------------------------------------------------------------
def _owner_only(grants: Grants, owner_id: str) -> bool:
    return set(grants) == {Grant.user(owner_id)}


def _refuse_if_acls_disabled(access: BucketAccess, requested: RequestedAcl) -> None:
    """BucketOwnerEnforced: an ACL may be given only as the bucket owner's FULL_CONTROL (the canned
    bucket-owner-full-control, or a body granting exactly that); grant headers never."""
    if access.ownership != BUCKET_OWNER_ENFORCED:
        return
    if requested.canned == OWNER_FULL_CONTROL:
        return
    if requested.source == "body" and _owner_only(requested.grants, access.owner_id):
        return
    raise S3Error(Code.AccessControlListNotSupported)


def _refuse_public(access: BucketAccess, grants: Grants) -> None:
    """BlockPublicAcls: a public ACL is refused (403) wherever it would be set."""
    if access.block.block_public_acls and is_public_acl(grants):
        raise S3Error(Code.AccessDenied)


def _grants(requested: RequestedAcl, owner_id: str, bucket_owner_id: str, *, bucket: bool) -> Grants:
    if requested.canned is not None:
        return acl.canned_grants(requested.canned, owner_id=owner_id, bucket_owner_id=bucket_owner_id,
                                 bucket=bucket)
    return requested.grants


def _compact(grants: Grants, owner_id: str) -> Grants | None:
    """Stored as NULL when it is the default: the owner's FULL_CONTROL only."""
    return None if grants == owner_full_control(owner_id) else grants


async def for_new_object(ctx: Context, new: NewObject) -> NewObject:
    """``new`` with the owner and ACL S3 gives an object this request writes (its ACL headers), after
    the API-level refusals; the caller's account (``ctx.writer_id``) is the writer."""
    requested = ctx.controls.requested(ctx.req.headers)
    owner, grants = new_object(await ctx.controls.bucket(ctx.bucket), requested, ctx.writer_id)
    if owner == new.owner_id and grants is None and new.acl is None:
        return new  # the usual case (no ACL headers, the writer owns it): no copy
    return replace(new, owner_id=owner, acl=grants)


def new_object(access: BucketAccess, requested: RequestedAcl | None, writer_id: str) -> tuple[str, Grants | None]:
    """Owner and ACL of an object being written (PUT, POST, COPY, multipart create), or S3's refusal.

    BucketOwnerEnforced: the bucket owner owns it and its ACL is the owner's FULL_CONTROL.
    BucketOwnerPreferred: written with bucket-owner-full-control, it becomes the bucket owner's.
    ObjectWriter: the writer owns it.
    """
    if requested is not None:
        _refuse_if_acls_disabled(access, requested)
    if access.ownership == BUCKET_OWNER_ENFORCED:
        return access.owner_id, None
    owner = writer_id or access.owner_id  # an anonymous writer's objects are the bucket owner's
    if access.ownership == BUCKET_OWNER_PREFERRED and requested is not None and requested.canned == OWNER_FULL_CONTROL:
        owner = access.owner_id
    if requested is None:
        return owner, None
    grants = _grants(requested, owner, access.owner_id, bucket=False)
    _refuse_public(access, grants)
    return owner, _compact(grants, owner)


def object_acl(access: BucketAccess, requested: RequestedAcl, object_owner: str) -> Grants | None:
    """PutObjectAcl: the version's new ACL, or S3's refusal."""
    _refuse_if_acls_disabled(access, requested)
    if access.ownership == BUCKET_OWNER_ENFORCED:
        return None
    grants = _grants(requested, object_owner, access.owner_id, bucket=False)
    _refuse_public(access, grants)
    return _compact(grants, object_owner)


def bucket_acl(access: BucketAccess, requested: RequestedAcl) -> Grants:
    """PutBucketAcl: the bucket's new ACL, or S3's refusal."""
    _refuse_if_acls_disabled(access, requested)
    if access.ownership == BUCKET_OWNER_ENFORCED:
        return owner_full_control(access.owner_id)
    grants = _grants(requested, access.owner_id, access.owner_id, bucket=True)
    _refuse_public(access, grants)
    return grants


def new_bucket_acl(requested: RequestedAcl | None, owner_id: str, *, ownership: str | None,
                   block_public_acls: bool) -> Grants | None:
    """CreateBucket's ACL against the new bucket's own ownership and BPA (None: the default ACL)."""
    if requested is None:
        return None
    grants = _grants(requested, owner_id, owner_id, bucket=True)
    if ownership == BUCKET_OWNER_ENFORCED and not _owner_only(grants, owner_id):
        raise S3Error(Code.InvalidBucketAclWithObjectOwnership)
    if block_public_acls and is_public_acl(grants):
        raise S3Error(Code.InvalidBucketAclWithBlockPublicAccessError)
    return _compact(grants, owner_id)


def check_ownership_change(access: BucketAccess, ownership: str) -> None:
    """PutBucketOwnershipControls BucketOwnerEnforced needs a bucket ACL granting only the owner."""
    if ownership == BUCKET_OWNER_ENFORCED and not _owner_only(access.acl, access.owner_id):
        raise S3Error(Code.InvalidBucketAclWithObjectOwnership)
