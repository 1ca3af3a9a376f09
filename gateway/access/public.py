"""What S3 calls "public", for Block Public Access and GetBucketPolicyStatus.

AWS's definition ("Blocking public access to your Amazon S3 storage", "The meaning of public"):
an ACL is public if it grants anything to the AllUsers or AuthenticatedUsers group. A bucket
policy is presumed public; it is not public only if every Allow statement grants to fixed
principals (no ``*``), or is restricted by a condition on a fixed value (no wildcard, no policy
variable) of one of a short list of keys: aws:SourceIp (a range no broader than /8 for IPv4,
/32 for IPv6), aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceAccount, aws:SourceOwner,
aws:userid, aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, s3:DataAccessPointArn,
s3:DataAccessPointAccount, s3:x-amz-server-side-encryption-aws-kms-key-id. Deny statements never
make a policy public.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from gateway.access.conditions import Condition
from gateway.access.policy import Effect, Policy, Statement
from gateway.wire.documents.acl import ALL_USERS, AUTHENTICATED_USERS, GROUP, Grant

PUBLIC_GROUPS = frozenset({ALL_USERS, AUTHENTICATED_USERS})
FIXED_KEYS = frozenset(k.lower() for k in (
    "aws:SourceArn", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceAccount", "aws:SourceOwner", "aws:userid",
    "aws:PrincipalOrgID", "aws:PrincipalAccount", "aws:PrincipalArn", "s3:DataAccessPointArn",
    "s3:DataAccessPointAccount", "s3:x-amz-server-side-encryption-aws-kms-key-id"))
# Operators that restrict a key to the values listed (negations, IfExists and ForAllValues do not:
# they hold for requests without the key, or for values not listed).
_EQUALITY = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"})
_MIN_PREFIX = {4: 8, 6: 32}


def is_public_acl(grants: Iterable[Grant]) -> bool:
    return any(g.type == GROUP and g.grantee in PUBLIC_GROUPS for g in grants)


def _operator(condition: Condition) -> str | None:
    """The base operator of a restricting condition (``ForAnyValue:`` allowed), else None."""
    name = condition.operator
    prefix, colon, rest = name.partition(":")
    if colon:
        if prefix.lower() != "foranyvalue":
            return None
        name = rest
    name = name.lower()
    return None if name.endswith("ifexists") else name


def _fixed(value: str) -> bool:
    return not any(c in value for c in "*?") and "${" not in value


def _narrow_ip(value: str) -> bool:
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return False
    return network.prefixlen >= _MIN_PREFIX[network.version]


def _restricts(condition: Condition) -> bool:
    operator = _operator(condition)
    if operator is None or not condition.values:
        return False
    if condition.key == "aws:sourceip":
        return operator == "ipaddress" and all(_narrow_ip(v) for v in condition.values)
    if condition.key in FIXED_KEYS:
        return operator in _EQUALITY and all(_fixed(v) for v in condition.values)
    return False


def _public_statement(statement: Statement) -> bool:
    if statement.effect is not Effect.ALLOW:
        return False
    principals = statement.principals
    grants_everyone = statement.not_principal or principals is None or principals.everyone
    if not grants_everyone:
        return False
    return not any(_restricts(c) for c in statement.conditions)


def is_public_policy(policy: Policy) -> bool:
    """Whether any Allow statement grants to everyone without a fixed-value restriction."""
    return any(_public_statement(s) for s in policy.statements)
