"""Which IAM actions an ACL permission stands for, and whether a set of grants gives one to a caller.

AWS's "Mapping of ACL permissions and access policy permissions": on a bucket, READ lists it,
WRITE creates and deletes objects in it, READ_ACP/WRITE_ACP read and write its ACL; on an object,
READ reads it, READ_ACP/WRITE_ACP its ACL. FULL_CONTROL is all of those. Grantees: a canonical
user (an account), AllUsers (anyone, anonymous included), AuthenticatedUsers (any signed caller).
A grant to an account speaks for the account: it lets the account's root act, and its users only
with their identity policies' consent (which the evaluator asks for cross-account; in the bucket
owner's own account a user's identity policy is what counts, so the owner's own grant adds nothing).
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.access.identity import Identity
from gateway.wire.documents.acl import ALL_USERS, AUTHENTICATED_USERS, CANONICAL_USER, GROUP, Grant

FULL_CONTROL = "FULL_CONTROL"

# Lower-cased actions (the evaluator's spelling) -> the permission a bucket ACL must grant.
BUCKET_ACL_ACTIONS: dict[str, str] = {
    "s3:listbucket": "READ",
    "s3:listbucketversions": "READ",
    "s3:listbucketmultipartuploads": "READ",
    "s3:putobject": "WRITE",
    "s3:deleteobject": "WRITE",
    "s3:deleteobjectversion": "WRITE",
    "s3:getbucketacl": "READ_ACP",
    "s3:putbucketacl": "WRITE_ACP",
}
# ... and the permission an object ACL must grant.
OBJECT_ACL_ACTIONS: dict[str, str] = {
    "s3:getobject": "READ",
    "s3:getobjectversion": "READ",
    "s3:getobjectattributes": "READ",
    "s3:getobjectversionattributes": "READ",
    "s3:getobjectacl": "READ_ACP",
    "s3:getobjectversionacl": "READ_ACP",
    "s3:putobjectacl": "WRITE_ACP",
    "s3:putobjectversionacl": "WRITE_ACP",
}


def group_allows(grants: Iterable[Grant], group: str, permission: str) -> bool:
    """Whether ``grants`` give ``permission`` (or FULL_CONTROL) to a group (LogDelivery, for log delivery)."""
    return any(g.type == GROUP and g.grantee == group and g.permission in (permission, FULL_CONTROL) for g in grants)


def grantee_matches(grant: Grant, identity: Identity | None, owner_account: str | None) -> bool:
    """Whether ``grant`` names this caller (see the module docstring for the account rule)."""
    if grant.type == GROUP:
        if grant.grantee == ALL_USERS:
            return True
        return grant.grantee == AUTHENTICATED_USERS and identity is not None
    if grant.type != CANONICAL_USER or identity is None or grant.grantee != identity.canonical_id:
        return False
    return identity.is_root or identity.account_id != owner_account


def grants_allow(grants: Iterable[Grant], permission: str | None, identity: Identity | None,
                 owner_account: str | None) -> bool:
    """Whether any grant gives ``permission`` (or FULL_CONTROL) to the caller; None: no permission maps."""
    if permission is None:
        return False
    for grant in grants:
        if (grant.permission == permission or grant.permission == FULL_CONTROL) \
                and grantee_matches(grant, identity, owner_account):
            return True
    return False
