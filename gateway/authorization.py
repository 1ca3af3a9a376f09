"""S3's authorization of one action on one resource, as AWS does it ("How Amazon S3 authorizes a
request"), on top of the pure evaluator (``gateway.access.evaluate``).

Order: service-level actions (ListAllMyBuckets, CreateBucket) ask the caller's identity policies
only. Otherwise the bucket's cached ``BucketAccess`` is loaded (a missing bucket: NoSuchBucket, for
anyone); the owner account's root on a bucket without a policy is allowed at once (the hot path);
else the identity policies, the bucket policy (RestrictPublicBuckets: a public one grants nothing
to anonymous or other accounts' callers, its Deny still applies) and the bucket ACL decide, and
only if that is a plain "no Allow" on an object action does the object's ACL get read. Condition
keys are computed when a condition asks (``RequestKeys``); the object's tags are read only when a
policy names ``s3:ExistingObjectTag/...``.

On an upstream backend the bucket's resource controls are the upstream's: the gateway checks the
identity side only (the root, or an identity-policy Allow; an explicit Deny wins) and lets an
anonymous caller through, to be forwarded unsigned for the upstream to judge.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from gateway.access.acl_permissions import BUCKET_ACL_ACTIONS, OBJECT_ACL_ACTIONS, grants_allow
from gateway.access.evaluate import Decision, Request, authorize_s3, identity_allows
from gateway.access.policy import Policy
from gateway.access.public import is_public_acl
from gateway.access.resources import BucketAccess
from gateway.request_keys import EXISTING_TAG, RequestKeys, auth_type
from gateway.wire.documents.acl import Grants, owner_full_control
from gateway.wire.errors import Code, S3Error
from storage_backends.base import Backend

if TYPE_CHECKING:
    from gateway.context import Context
    from gateway.controls import ResourceControls

SERVICE_ACTIONS = frozenset({"s3:listallmybuckets", "s3:createbucket"})
_WANTS_TAGS: dict[str, bool] = {}  # policy text -> whether a condition reads s3:ExistingObjectTag/...


def _wants_tags(policy: Policy) -> bool:
    found = _WANTS_TAGS.get(policy.text)
    if found is None:
        found = any(c.key.startswith(EXISTING_TAG) for s in policy.statements for c in s.conditions)
        if len(_WANTS_TAGS) < 4096:
            _WANTS_TAGS[policy.text] = found
    return found


class S3Authorizer:
    """Per door: decides with the bucket's cached controls and the directory's account lookup."""

    def __init__(self, backend: Backend, controls: ResourceControls, account_of: Callable[[str], str | None], *,
                 upstream: bool) -> None:
        self.backend = backend
        self.controls = controls
        self.account_of = account_of
        self.upstream = upstream
        self._decisions = DecisionCache()

    async def check(self, ctx: Context, action: str, arn: str, *, bucket: str | None, key: str | None,
                    version_id: str | None, form: bool = False) -> None:
        """Returns, or raises AccessDenied."""
        if not await self.allows(ctx, action, arn, bucket=bucket, key=key, version_id=version_id, form=form):
            raise S3Error(Code.AccessDenied)

    async def allows(self, ctx: Context, action: str, arn: str, *, bucket: str | None, key: str | None,
                     version_id: str | None, form: bool = False) -> bool:
        principal = ctx.principal
        identity = principal.identity
        lower = action.lower()
        if self.upstream or bucket is None or lower in SERVICE_ACTIONS:
            if identity is None:  # upstream: forwarded unsigned; service level: nothing allows anonymous
                return self.upstream and bucket is not None and lower not in SERVICE_ACTIONS
            if identity.is_root and not identity.policies:
                return True
            keys = RequestKeys(ctx.req, action, ctx.now, owner_account=None,
                               auth=auth_type(ctx.req, form=form, anonymous=False))
            return identity_allows(Request(action, arn, identity, keys))
        access = await self.controls.bucket(bucket)
        owner_account = self.account_of(access.owner_id)
        policy = access.policy
        if identity is not None and identity.is_root and policy is None and not identity.policies \
                and identity.account_id == owner_account:
            return True
        keys = RequestKeys(ctx.req, action, ctx.now, owner_account=owner_account,
                           auth=auth_type(ctx.req, form=form, anonymous=identity is None))
        if key is not None and _tags_wanted(policy, identity):
            keys.tags = await self._tags(bucket, key, version_id)
        request = Request(action, arn, identity, keys)
        restricted = (policy is not None and access.block.restrict_public_buckets and access.policy_is_public
                      and (identity is None or identity.account_id != owner_account))
        acl_ok = grants_allow(access.effective_acl(), BUCKET_ACL_ACTIONS.get(lower), identity, owner_account)
        decision = self._decisions.decide(request, owner_account, policy, acl_ok, restricted)
        if decision.allowed or decision.explicit_deny:
            return decision.allowed
        permission = OBJECT_ACL_ACTIONS.get(lower)
        if permission is None or key is None or not access.acls_enabled:
            return False
        grants = await self._object_grants(access, key, version_id)
        if not grants_allow(grants, permission, identity, owner_account):
            return False
        return _decide(request, owner_account, policy, True, restricted).allowed

    async def _tags(self, bucket: str, key: str, version_id: str | None) -> dict[str, str]:
        try:
            return (await self.backend.get_object_tagging(bucket, key, version_id=version_id))[1]
        except S3Error:
            return {}

    async def _object_grants(self, access: BucketAccess, key: str, version_id: str | None) -> Grants:
        try:
            found = await self.backend.get_object_acl(access.bucket, key, version_id=version_id)
        except S3Error:  # no such key or version: nothing to grant
            return ()
        grants = found.grants if found.grants is not None else owner_full_control(found.owner_id)
        if access.block.ignore_public_acls:
            grants = tuple(g for g in grants if not is_public_acl((g,)))
        return grants


def _tags_wanted(policy: Policy | None, identity: object) -> bool:
    if policy is not None and _wants_tags(policy):
        return True
    policies = getattr(identity, "policies", ())
    return any(_wants_tags(p) for p in policies)


class DecisionCache:
    """The last decision for each (caller, action, resource, bucket policy, ACL answer, restriction).

    ``authorize_s3`` is a pure function of those and of the request keys it reads, and it reads them
    in an order fixed by their values; so a cached decision holds for another request exactly when
    every key the evaluation read has the same value again (``RequestKeys.consulted``). Keys that
    change every request (aws:CurrentTime, aws:EpochTime, s3:signatureAge) simply never hit. A
    changed identity or bucket policy is a new object, hence a new entry (objects are compared by
    identity, and the entry keeps them alive, so an id is never reused for another while cached).
    """

    MAX = 4096

    def __init__(self) -> None:
        self._entries: dict[tuple[object, ...], tuple[object, object, tuple[tuple[str, object], ...], Decision]] = {}

    def decide(self, request: Request, owner_account: str | None, policy: Policy | None, acl_ok: bool,
               restricted: bool) -> Decision:
        identity = request.identity
        keys = request.keys
        slot = (id(identity), request.action, request.resource, id(policy), acl_ok, restricted, owner_account)
        entry = self._entries.get(slot)
        if entry is not None and entry[0] is identity and entry[1] is policy and isinstance(keys, RequestKeys) \
                and all(keys.value(name) == value for name, value in entry[2]):
            return entry[3]
        decision = _decide(request, owner_account, policy, acl_ok, restricted)
        if isinstance(keys, RequestKeys):
            if len(self._entries) >= self.MAX:
                self._entries.clear()
            self._entries[slot] = (identity, policy, tuple(keys.consulted), decision)
        return decision


def _decide(request: Request, owner_account: str | None, policy: Policy | None, acl_ok: bool,
            restricted: bool) -> Decision:
    """RestrictPublicBuckets: the public policy's Deny counts, its Allow does not (for this caller)."""
    decision = authorize_s3(request, owner_account=owner_account, bucket_policy=policy, acl_allows=acl_ok)
    if not restricted or not decision.allowed:
        return decision
    return authorize_s3(request, owner_account=owner_account, bucket_policy=None, acl_allows=acl_ok)
