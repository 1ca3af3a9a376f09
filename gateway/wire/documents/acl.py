"""The AccessControlPolicy document (bucket and object ACLs) and the grants it carries.

The grants model lives in the wire layer because storage keeps grants too (object versions,
uploads, the bucket's ``acl`` document): ``Grant`` is what every layer speaks. Canned ACLs,
grant headers and the rules of who may set what are ``gateway.access.acl``. Parsing raises S3's
own errors for a bad body: ``MalformedACLError`` for anything off-schema, ``InvalidArgument`` for
an unknown group.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from gateway.wire import xml
from gateway.wire.errors import Code, S3Error

ROOT = "AccessControlPolicy"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
GROUPS = (ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY)
PERMISSIONS = ("FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP")
CANONICAL_USER, GROUP, EMAIL = "CanonicalUser", "Group", "AmazonCustomerByEmail"
MAX_GRANTS = 100


@dataclass(frozen=True, slots=True)
class Grant:
    """One grant: a grantee (canonical id, group URI or, before resolution, an e-mail) and a permission."""

    type: str  # CANONICAL_USER, GROUP or EMAIL
    grantee: str  # the canonical id, the group URI, or the e-mail address
    permission: str

    @classmethod
    def user(cls, canonical_id: str, permission: str = "FULL_CONTROL") -> Grant:
        return cls(CANONICAL_USER, canonical_id, permission)

    @classmethod
    def group(cls, uri: str, permission: str) -> Grant:
        return cls(GROUP, uri, permission)


Grants = tuple[Grant, ...]


@dataclass(frozen=True, slots=True)
class AccessControlPolicy:
    owner_id: str  # "" when a request body names no owner
    grants: Grants


def owner_full_control(owner_id: str) -> Grants:
    """The ACL every bucket and object starts with (and what NULL means in storage)."""
    return (Grant.user(owner_id),)


def dedupe(grants: Iterable[Grant]) -> Grants:
    """Grants in order, each once (bucket-owner-full-control by the bucket owner is one grant)."""
    return tuple(dict.fromkeys(grants))


# -- the document ------------------------------------------------------------------------------------
def render_acl(policy: AccessControlPolicy, display_name: Callable[[str], str]) -> xml.Element:
    root = xml.document(ROOT)
    owner = xml.sub(root, "Owner")
    xml.subs(owner, [("ID", policy.owner_id), ("DisplayName", display_name(policy.owner_id))])
    acl = xml.sub(root, "AccessControlList")
    for grant in policy.grants:
        render_grant(xml.sub(acl, "Grant"), grant, display_name(grant.grantee) if grant.type == CANONICAL_USER
                     else None)
    return root


def render_grant(el: xml.Element, grant: Grant, display_name: str | None = None) -> None:
    """A ``<Grant>``'s Grantee and Permission (an ACL's, or a logging configuration's TargetGrants)."""
    grantee = xml.sub(el, "Grantee")
    grantee.set(f"{{{XSI}}}type", grant.type)
    if grant.type == CANONICAL_USER:
        xml.subs(grantee, [("ID", grant.grantee), ("DisplayName", display_name)])
    elif grant.type == GROUP:
        xml.sub(grantee, "URI", grant.grantee)
    else:
        xml.sub(grantee, "EmailAddress", grant.grantee)
    xml.sub(el, "Permission", grant.permission)


def _malformed() -> S3Error:
    return S3Error(Code.MalformedACLError)


def _grantee(el: xml.Element, malformed: Callable[[], S3Error]) -> tuple[str, str]:
    kind = el.get(f"{{{XSI}}}type")
    if kind == CANONICAL_USER:
        value = xml.text(el, "ID")
    elif kind == GROUP:
        value = xml.text(el, "URI")
        if value is not None and value.strip() not in GROUPS:
            raise S3Error(Code.InvalidArgument, "Invalid group uri", ArgumentName="uri", ArgumentValue=value)
    elif kind == EMAIL:
        value = xml.text(el, "EmailAddress")
    else:
        raise malformed()
    if not value or not value.strip():
        raise malformed()
    return kind, value.strip()


def parse_acl(doc: xml.Element) -> AccessControlPolicy:
    """A PutBucketAcl/PutObjectAcl body (or an upstream's answer); grants in document order."""
    owner = xml.child(doc, "Owner")
    owner_id = (xml.text(owner, "ID") or "").strip() if owner is not None else ""
    acl = xml.child(doc, "AccessControlList")
    if acl is None:
        raise _malformed()
    grants = parse_grants(acl, PERMISSIONS, _malformed)
    if len(grants) > MAX_GRANTS:
        raise _malformed()
    return AccessControlPolicy(owner_id, grants)


def parse_grants(parent: xml.Element, permissions: tuple[str, ...], malformed: Callable[[], S3Error]) -> Grants:
    """The ``<Grant>`` children of ``parent``, in document order; ``malformed()`` for one off-schema."""
    grants = []
    for el in xml.children(parent, "Grant"):
        grantee = xml.child(el, "Grantee")
        permission = (xml.text(el, "Permission") or "").strip()
        if grantee is None or permission not in permissions:
            raise malformed()
        kind, value = _grantee(grantee, malformed)
        grants.append(Grant(kind, value, permission))
    return tuple(grants)


# -- storage codec (catalog columns and bucket documents) ---------------------------------------------
def grants_json(grants: Grants | None) -> str | None:
    """``[[type, grantee, permission], ...]``; None stays None (the owner's FULL_CONTROL only)."""
    return None if grants is None else json.dumps([[g.type, g.grantee, g.permission] for g in grants])


def grants_of(raw: str | None) -> Grants | None:
    if not raw:
        return None
    return tuple(Grant(t, v, p) for t, v, p in json.loads(raw))
