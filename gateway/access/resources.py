"""A bucket's resource controls as one typed record: what the authorize step and handlers read.

``BucketAccess`` is built from the bucket's owner and its stored documents (policy, ACL,
ownership controls, public access block) by :func:`bucket_access`, which parses each once; the
gateway caches the records (``gateway.controls``). Absent documents mean what S3 means by their
absence: no policy, the owner's FULL_CONTROL, ObjectWriter, no block. The record also carries the
bucket's Object Lock configuration, which decides what writes and deletes must bring, and its
encryption rule: the default a write that names no encryption gets, and the types it may not name.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.access.policy import Policy, PolicyError, parse_policy
from gateway.access.public import is_public_acl, is_public_policy
from gateway.wire import xml
from gateway.wire.documents.acl import AccessControlPolicy, Grants, owner_full_control, parse_acl
from gateway.wire.documents.controls import (
    BUCKET_OWNER_ENFORCED,
    OBJECT_WRITER,
    PublicAccessBlock,
    parse_ownership,
    parse_public_access_block,
)
from gateway.wire.documents.encryption import EncryptionRule, parse_configuration
from gateway.wire.errors import S3Error
from gateway.wire.lock_rules import LockConfiguration

# The bucket-config kinds (sub-resource names) these documents are stored under.
POLICY_KIND, ACL_KIND = "policy", "acl"
OWNERSHIP_KIND, PUBLIC_ACCESS_BLOCK_KIND = "ownershipControls", "publicAccessBlock"
ENCRYPTION_KIND = "encryption"
KINDS = (POLICY_KIND, ACL_KIND, OWNERSHIP_KIND, PUBLIC_ACCESS_BLOCK_KIND, ENCRYPTION_KIND)
_POLICIES: OrderedDict[tuple[str, str], Policy] = OrderedDict()  # parsed once per (bucket, text)


@dataclass(frozen=True, slots=True)
class BucketAccess:
    """Owner, bucket policy (parsed), bucket ACL grants, Object Ownership mode and BPA flags."""

    bucket: str
    owner_id: str  # the owner's canonical id
    policy: Policy | None  # None also for a stored policy this parser cannot read (set upstream by others)
    policy_text: str | None  # the policy document as it was put
    acl: Grants  # the bucket ACL's grants in force
    ownership: str  # BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter (also when unset)
    ownership_configured: bool
    block: PublicAccessBlock
    object_lock: LockConfiguration | None = None  # None: Object Lock is not enabled
    encryption: EncryptionRule | None = None  # default encryption and blocked types; None: none configured
    # Derived once, when the record is built (every request's authorization reads them).
    _public_policy: bool = field(init=False, repr=False, compare=False)
    _effective_acl: Grants = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        public = self.policy_text is not None and (self.policy is None or is_public_policy(self.policy))
        object.__setattr__(self, "_public_policy", public)
        if self.ownership == BUCKET_OWNER_ENFORCED:
            effective = owner_full_control(self.owner_id)
        elif self.block.ignore_public_acls:
            effective = tuple(g for g in self.acl if not is_public_acl((g,)))
        else:
            effective = self.acl
        object.__setattr__(self, "_effective_acl", effective)

    @property
    def acls_enabled(self) -> bool:
        """False under BucketOwnerEnforced: ACLs then grant nothing (evaluation ignores them)."""
        return self.ownership != BUCKET_OWNER_ENFORCED

    @property
    def policy_is_public(self) -> bool:
        """S3 presumes a policy public until it proves otherwise (an unreadable one stays public)."""
        return self._public_policy

    @property
    def acl_is_public(self) -> bool:
        return self.acls_enabled and is_public_acl(self.acl)

    def effective_acl(self) -> Grants:
        """The bucket ACL evaluation should use: none but the owner's under BucketOwnerEnforced, and
        no public grants under IgnorePublicAcls."""
        return self._effective_acl


def cached_policy(bucket: str, text: str) -> Policy | None:
    """A stored policy, parsed once (it was validated when it was put; None if it does not parse)."""
    key = (bucket, text)
    found = _POLICIES.get(key)
    if found is None:
        try:
            found = parse_policy(text, kind="resource", bucket=bucket)
        except PolicyError:
            return None
        _POLICIES[key] = found
        if len(_POLICIES) > 1024:
            _POLICIES.popitem(last=False)
    return found


def stored_acl(document: str | None, owner_id: str) -> Grants:
    if not document:
        return owner_full_control(owner_id)
    return parse_acl(xml.parse(document.encode("utf-8"), "AccessControlPolicy")).grants


def stored_encryption(document: str | None) -> EncryptionRule | None:
    """A stored (or upstream's) encryption document, read leniently: one it cannot read is none."""
    if not document:
        return None
    try:
        return parse_configuration(xml.parse(document.encode("utf-8")), strict=False)
    except S3Error:
        return None


def bucket_access(bucket: str, owner_id: str, documents: Mapping[str, str | None],
                  object_lock: LockConfiguration | None = None) -> BucketAccess:
    policy = documents.get(POLICY_KIND)
    ownership_doc = documents.get(OWNERSHIP_KIND)
    block_doc = documents.get(PUBLIC_ACCESS_BLOCK_KIND)
    ownership = parse_ownership(xml.parse(ownership_doc.encode("utf-8"))) if ownership_doc else OBJECT_WRITER
    block = parse_public_access_block(xml.parse(block_doc.encode("utf-8"))) if block_doc else PublicAccessBlock()
    return BucketAccess(bucket, owner_id, cached_policy(bucket, policy) if policy else None, policy or None,
                        stored_acl(documents.get(ACL_KIND), owner_id), ownership, bool(ownership_doc), block,
                        object_lock, stored_encryption(documents.get(ENCRYPTION_KIND)))


def acl_document(policy: AccessControlPolicy) -> str:
    """A bucket ACL as stored (display names are resolved when it is rendered for a client)."""
    from gateway.wire.documents.acl import render_acl

    return xml.render(render_acl(policy, lambda _id: "")).decode("utf-8")
