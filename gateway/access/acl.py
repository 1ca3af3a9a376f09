"""ACLs as a request asks for them: canned names, ``x-amz-grant-*`` headers, AccessControlPolicy bodies.

Everything here is pure: who owns what comes in as arguments, and so do the two lookups only
the gateway can do (an e-mail grantee -> a canonical id; whether a canonical id exists), so the
identity directory can change without touching this module. The grants model and the document
are ``gateway.wire.documents.acl`` (storage keeps grants too); re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gateway.wire.documents.acl import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    CANONICAL_USER,
    EMAIL,
    GROUP,
    GROUPS,
    LOG_DELIVERY,
    MAX_GRANTS,
    AccessControlPolicy,
    Grant,
    Grants,
    dedupe,
    owner_full_control,
)
from gateway.wire.errors import Code, S3Error

__all__ = ["ALL_USERS", "AUTHENTICATED_USERS", "CANNED_ACLS", "EC2_CANONICAL_ID", "GRANT_HEADERS", "LOG_DELIVERY",
           "AccessControlPolicy", "Grant", "Grants", "RequestedAcl", "body_acl", "canned_grants", "no_emails",
           "owner_full_control",
           "parse_grant_header", "requested_acl", "resolve_grants"]

CANNED_ACLS = ("private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
               "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write")
# aws-exec-read grants READ to Amazon EC2's own canonical user (AMI bundles), as S3 stores it.
EC2_CANONICAL_ID = "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c"
GRANT_HEADERS = {"x-amz-grant-full-control": "FULL_CONTROL", "x-amz-grant-read": "READ",
                 "x-amz-grant-read-acp": "READ_ACP", "x-amz-grant-write": "WRITE",
                 "x-amz-grant-write-acp": "WRITE_ACP"}
_ITEM = re.compile(r'\s*(id|uri|emailaddress)\s*=\s*(?:"([^"]*)"|([^\s,"]+))\s*(,|$)', re.IGNORECASE)

EmailResolver = Callable[[str], "str | None"]  # e-mail address -> canonical id, None if unknown
KnownId = Callable[[str], bool]  # whether a canonical id names an account


def no_emails(_email: str) -> str | None:
    """The default resolver: no account has an e-mail address (the identity directory adds them)."""
    return None


@dataclass(frozen=True, slots=True)
class RequestedAcl:
    """What a request asked for: a canned ACL, or explicit grants from headers or a body."""

    source: str  # "canned", "headers" or "body"
    canned: str | None = None
    grants: Grants = ()
    owner_id: str = ""  # a body's <Owner><ID>, if any


def canned_grants(canned: str, *, owner_id: str, bucket_owner_id: str, bucket: bool) -> Grants:
    """The grants a canned ACL stands for, exactly as S3 defines them (on a bucket, the two
    bucket-owner-* names mean private: S3 ignores them when a bucket is created)."""
    owner = Grant.user(owner_id)
    extra: tuple[Grant, ...] = ()
    if canned == "public-read":
        extra = (Grant.group(ALL_USERS, "READ"),)
    elif canned == "public-read-write":
        extra = (Grant.group(ALL_USERS, "READ"), Grant.group(ALL_USERS, "WRITE"))
    elif canned == "authenticated-read":
        extra = (Grant.group(AUTHENTICATED_USERS, "READ"),)
    elif canned == "aws-exec-read":
        extra = (Grant.user(EC2_CANONICAL_ID, "READ"),)
    elif canned == "log-delivery-write":
        extra = (Grant.group(LOG_DELIVERY, "WRITE"), Grant.group(LOG_DELIVERY, "READ_ACP"))
    elif canned == "bucket-owner-read" and not bucket:
        extra = (Grant.user(bucket_owner_id, "READ"),)
    elif canned == "bucket-owner-full-control" and not bucket:
        extra = (Grant.user(bucket_owner_id),)
    return dedupe((owner, *extra))


def parse_grant_header(name: str, value: str) -> Grants:
    """``id="...", uri="...", emailAddress="..."`` -> grants of the header's permission (unresolved)."""
    permission = GRANT_HEADERS[name]
    grants, at = [], 0
    while at < len(value):
        found = _ITEM.match(value, at)
        if found is None or found.end() == at:
            raise S3Error(Code.InvalidArgument, "Argument format not recognized", ArgumentName=name,
                          ArgumentValue=value)
        kind, grantee = found.group(1).lower(), (found.group(2) if found.group(2) is not None else found.group(3))
        if kind == "uri":
            if grantee not in GROUPS:
                raise S3Error(Code.InvalidArgument, "Invalid group uri", ArgumentName="uri", ArgumentValue=grantee)
            grants.append(Grant(GROUP, grantee, permission))
        else:
            grants.append(Grant(CANONICAL_USER if kind == "id" else EMAIL, grantee, permission))
        at = found.end()
    if not grants:
        raise S3Error(Code.InvalidArgument, "Argument format not recognized", ArgumentName=name, ArgumentValue=value)
    return tuple(grants)


def resolve_grants(grants: Grants, *, resolve_email: EmailResolver, known_id: KnownId) -> Grants:
    """E-mail grantees become canonical users (S3 stores them so); every canonical id must exist."""
    out = []
    for grant in grants:
        if grant.type == EMAIL:
            canonical = resolve_email(grant.grantee)
            if canonical is None:
                raise S3Error(Code.UnresolvableGrantByEmailAddress, EmailAddress=grant.grantee)
            grant = Grant(CANONICAL_USER, canonical, grant.permission)
        elif grant.type == CANONICAL_USER and not (grant.grantee == EC2_CANONICAL_ID or known_id(grant.grantee)):
            raise S3Error(Code.InvalidArgument, "Invalid id", ArgumentName="CanonicalUser/ID",
                          ArgumentValue=grant.grantee)
        out.append(grant)
    if len(out) > MAX_GRANTS:
        raise S3Error(Code.MalformedACLError)
    return dedupe(out)


def requested_acl(headers: Mapping[str, str], *, resolve_email: EmailResolver, known_id: KnownId,
                  canned_field: str = "x-amz-acl") -> RequestedAcl | None:
    """The ACL headers of a write or of Put*Acl: canned or grants, never both; None if neither."""
    canned = headers.get(canned_field)
    if canned is not None and canned not in CANNED_ACLS:
        raise S3Error(Code.InvalidArgument, ArgumentName=canned_field, ArgumentValue=canned)
    grants: list[Grant] = []
    named = False
    for name in GRANT_HEADERS:
        value = headers.get(name)
        if value is not None:
            named = True
            grants.extend(parse_grant_header(name, value))
    if canned is not None and named:
        raise S3Error(Code.InvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed")
    if canned is not None:
        return RequestedAcl("canned", canned)
    if named:
        return RequestedAcl("headers", grants=resolve_grants(tuple(grants), resolve_email=resolve_email,
                                                             known_id=known_id))
    return None


def body_acl(policy: AccessControlPolicy, *, resolve_email: EmailResolver, known_id: KnownId) -> RequestedAcl:
    """A Put*Acl body, its grantees resolved."""
    return RequestedAcl("body", grants=resolve_grants(policy.grants, resolve_email=resolve_email,
                                                      known_id=known_id), owner_id=policy.owner_id)
