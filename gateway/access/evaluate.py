"""The authorization decision: IAM's "Policy evaluation logic" and "How Amazon S3 authorizes a request".

- An explicit Deny in any applicable policy (the caller's identity policies, the bucket policy) wins.
- Same account (the caller's account owns the bucket): an Allow from the identity policies, from a
  bucket-policy statement naming the caller (its ARN, or ``*``), or from the ACL suffices; the account's
  root is implicitly allowed. A bucket-policy statement naming the account (its id, ``:root`` ARN or
  canonical id) delegates to the account: it does not itself grant the account's users anything, their
  identity policies must (IAM: "This delegates authority to the account").
- Cross account: both sides must allow: the caller's (its identity policies, or being its account's
  root) and the bucket owner's (a bucket-policy statement naming the caller or its account, or the ACL).
- Anonymous: only a bucket-policy statement for everyone (``"*"``, ``{"AWS": "*"}``) or the ACL allows.
- The bucket owner's root may always Get/Put/DeleteBucketPolicy, even when the bucket policy denies it
  (S3's lockout recovery: ``ROOT_ALWAYS_ALLOWED``).

Not modelled: roles and sessions, permission boundaries, SCPs/RCPs, session policies, Block Public
Access, object ownership other than through ``acl_allows``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.access.identity import Identity
from gateway.access.matching import Context, Value
from gateway.access.policy import Effect, Policy

ROOT_ALWAYS_ALLOWED = frozenset({"s3:getbucketpolicy", "s3:putbucketpolicy", "s3:deletebucketpolicy"})
_NO_KEYS: Mapping[str, Value] = {}


@dataclass(slots=True)
class Request:
    action: str                      # "s3:GetObject"
    resource: str                    # "arn:aws:s3:::bucket/key" (or "*" / "arn:aws:iam::ACCOUNT:user/x" for IAM)
    identity: Identity | None        # None: anonymous
    keys: Mapping[str, Value] = field(default_factory=lambda: _NO_KEYS)  # condition context (see Context)


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer and why: ``explicit_deny`` (a Deny applied) or no Allow; ``reason`` names the source."""

    allowed: bool
    explicit_deny: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED_ROOT = Decision(True, False, "account root")
ALLOWED_OWNER_ROOT = Decision(True, False, "bucket owner's root manages the bucket policy")
ALLOWED_IDENTITY = Decision(True, False, "identity policy")
ALLOWED_BUCKET = Decision(True, False, "bucket policy")
ALLOWED_ACL = Decision(True, False, "ACL")
ALLOWED_BOTH = Decision(True, False, "cross-account: the caller's account and the bucket owner both allow")
DENIED_IDENTITY = Decision(False, True, "explicit deny in an identity policy")
DENIED_BUCKET = Decision(False, True, "explicit deny in the bucket policy")
NO_ALLOW = Decision(False, False, "no policy or ACL allows")
NO_OWNER_ALLOW = Decision(False, False, "cross-account: the bucket owner does not allow")
NO_CALLER_ALLOW = Decision(False, False, "cross-account: the caller's identity policies do not allow")


def _scan(policy: Policy, action: str, request: Request, context: Context) -> tuple[bool, int]:
    """(a Deny applies, best Allow: 0 none, 1 one naming the caller's account, 2 one naming the caller)."""
    denied = False
    allowed = 0
    for statement in policy.statements_for(action):
        if statement.effect is Effect.ALLOW and allowed == 2:
            continue
        match = statement.principal_match(request.identity)
        if not match or not statement.matches_resource(request.resource, context):
            continue
        if not statement.conditions_hold(context):
            continue
        if statement.effect is Effect.DENY:
            denied = True
            break
        allowed = max(allowed, match)
    return denied, allowed


def _identity_scan(identity: Identity, action: str, request: Request, context: Context) -> tuple[bool, bool]:
    denied = allowed = False
    for policy in identity.policies:
        d, a = _scan(policy, action, request, context)
        if d:
            return True, allowed
        allowed = allowed or a > 0
    return denied, allowed


def policy_effect(policy: Policy, request: Request, *, resource_policy: bool) -> Effect:
    """DENY if a Deny statement applies, else ALLOW if an Allow does, else NONE. In a resource policy a
    statement applies to the callers its Principal names, accounts included (what such an Allow is worth
    is ``authorize_s3``'s business); an identity policy's statements apply to its holder."""
    context = Context(request.keys, request.identity)
    action = request.action.lower()
    if not resource_policy:
        allowed = False
        for statement in policy.statements_for(action):
            if statement.matches_resource(request.resource, context) and statement.conditions_hold(context):
                if statement.effect is Effect.DENY:
                    return Effect.DENY
                allowed = True
        return Effect.ALLOW if allowed else Effect.NONE
    denied, best = _scan(policy, action, request, context)
    return Effect.DENY if denied else (Effect.ALLOW if best else Effect.NONE)


def authorize_service(service: str, action: str, resource: str, keys: Mapping[str, Value], *,
                      bucket_policy: Policy | None, acl_allows: bool) -> Decision:
    """An AWS service principal acting on a bucket (s3gate's log delivery, ``logging.s3.amazonaws.com``).

    A service has no identity policies and belongs to no account: only the bucket's resource side
    decides, as for an anonymous caller, with statements naming the service (or everyone) applying
    to it. A Deny wins; then a matching Allow, or the ACL (the LogDelivery group's grant)."""
    if bucket_policy is not None:
        context = Context(keys, None)
        allowed = False
        for statement in bucket_policy.statements_for(action.lower()):
            principals = statement.principals
            if principals is None:
                continue
            named = principals.everyone or service in principals.services
            if named is statement.not_principal or not statement.matches_resource(resource, context):
                continue
            if not statement.conditions_hold(context):
                continue
            if statement.effect is Effect.DENY:
                return DENIED_BUCKET
            allowed = True
        if allowed:
            return ALLOWED_BUCKET
    return ALLOWED_ACL if acl_allows else NO_ALLOW


def identity_allows(request: Request) -> bool:
    """For the IAM API and STS: an explicit Deny in the caller's identity policies refuses; the root is
    implicitly allowed in its own account; a user needs an Allow. Anonymous callers never are."""
    identity = request.identity
    if identity is None:
        return False
    if not identity.policies:
        return identity.is_root
    denied, allowed = _identity_scan(identity, request.action.lower(), request, Context(request.keys, identity))
    if denied:
        return False
    return identity.is_root or allowed


def authorize_s3(request: Request, *, owner_account: str | None, bucket_policy: Policy | None,
                 acl_allows: bool) -> Decision:
    """S3's decision for one request. ``owner_account`` owns the bucket (None: no bucket, e.g.
    CreateBucket, ListAllMyBuckets: only the caller's side counts); ``acl_allows`` is the caller's
    ACL-granted permission for this action, computed by the caller."""
    identity = request.identity
    action = request.action.lower()
    context = Context(request.keys, identity)
    if bucket_policy is not None:
        bucket_denied, bucket_allows = _scan(bucket_policy, action, request, context)
    else:
        bucket_denied, bucket_allows = False, 0

    if identity is None:
        if bucket_denied:
            return DENIED_BUCKET
        if bucket_allows == 2:
            return ALLOWED_BUCKET
        return ALLOWED_ACL if acl_allows else NO_ALLOW

    same_account = owner_account is not None and identity.account_id == owner_account
    if same_account and identity.is_root and action in ROOT_ALWAYS_ALLOWED:
        return ALLOWED_OWNER_ROOT
    if identity.policies:
        identity_denied, identity_allowed = _identity_scan(identity, action, request, context)
        if identity_denied:
            return DENIED_IDENTITY
    else:
        identity_allowed = False
    if bucket_denied:
        return DENIED_BUCKET

    caller_side = identity.is_root or identity_allowed
    if owner_account is None:
        if caller_side:
            return ALLOWED_ROOT if identity.is_root else ALLOWED_IDENTITY
        return NO_ALLOW
    if same_account:
        if identity.is_root:
            return ALLOWED_ROOT
        if identity_allowed:
            return ALLOWED_IDENTITY
        if bucket_allows == 2:
            return ALLOWED_BUCKET
        return ALLOWED_ACL if acl_allows else NO_ALLOW
    if not caller_side:
        return NO_CALLER_ALLOW
    if bucket_allows or acl_allows:
        return ALLOWED_BOTH
    return NO_OWNER_ALLOW
