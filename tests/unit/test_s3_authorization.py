"""authorize_s3 and identity_allows: S3's rules for combining identity policies, the bucket policy and
the ACL, in the same account, across accounts and for anonymous callers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.access.evaluate import Request, authorize_s3, identity_allows
from gateway.access.identity import Identity
from gateway.access.policy import Policy, parse_policy

OWNER, OTHER = "111111111111", "222222222222"
OBJECT = "arn:aws:s3:::b/k"


def identity_policy(effect: str = "Allow", action: str = "s3:GetObject", resource: str = "*") -> Policy:
    statement = {"Effect": effect, "Action": action, "Resource": resource}
    text = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    return parse_policy(text, kind="identity")


def bucket(principal: Any, effect: str = "Allow", action: str = "s3:GetObject") -> Policy:
    statement = {"Effect": effect, "Principal": principal, "Action": action,
                 "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]}
    text = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    return parse_policy(text, kind="resource", bucket="b")


def user(account: str, name: str = "u", *policies: Policy) -> Identity:
    return Identity.user(account, account[0] * 64, name, f"AIDA{name.upper()}", policies=policies)


def root(account: str) -> Identity:
    return Identity.root(account, account[0] * 64)


def decide(who: Identity | None, *, policy: Policy | None = None, acl: bool = False, action: str = "s3:GetObject",
           owner: str | None = OWNER, resource: str = OBJECT) -> tuple[bool, bool]:
    decision = authorize_s3(Request(action, resource, who, {}), owner_account=owner, bucket_policy=policy,
                            acl_allows=acl)
    return decision.allowed, decision.explicit_deny


ALLOWED, NO_ALLOW, DENIED = (True, False), (False, False), (False, True)


def test_same_account_any_one_allow_suffices() -> None:
    assert decide(user(OWNER)) == NO_ALLOW
    assert decide(user(OWNER, "u", identity_policy())) == ALLOWED
    assert decide(user(OWNER), policy=bucket({"AWS": f"arn:aws:iam::{OWNER}:user/u"})) == ALLOWED
    assert decide(user(OWNER), policy=bucket("*")) == ALLOWED
    assert decide(user(OWNER), acl=True) == ALLOWED
    assert decide(user(OWNER, "u", identity_policy(action="s3:PutObject"))) == NO_ALLOW


def test_same_account_account_principal_delegates_to_identity_policies() -> None:
    """"Principal": {"AWS": ACCOUNT} delegates to the account: its users still need an identity Allow."""
    for principal in ({"AWS": OWNER}, {"AWS": f"arn:aws:iam::{OWNER}:root"}, {"CanonicalUser": "1" * 64}):
        assert decide(user(OWNER), policy=bucket(principal)) == NO_ALLOW
        assert decide(user(OWNER, "u", identity_policy()), policy=bucket(principal)) == ALLOWED
        assert decide(user(OWNER), policy=bucket(principal, "Deny")) == DENIED


def test_cross_account_needs_both_sides() -> None:
    carol = user(OTHER, "carol", identity_policy())
    grant = bucket({"AWS": OTHER})
    assert decide(carol) == NO_ALLOW                                 # only the caller's side
    assert decide(user(OTHER, "carol"), policy=grant) == NO_ALLOW    # only the owner's side
    assert decide(user(OTHER, "carol"), acl=True) == NO_ALLOW
    assert decide(carol, policy=grant) == ALLOWED
    assert decide(carol, acl=True) == ALLOWED
    assert decide(carol, policy=bucket({"AWS": f"arn:aws:iam::{OTHER}:user/carol"})) == ALLOWED
    assert decide(carol, policy=bucket("*")) == ALLOWED
    assert decide(carol, policy=bucket({"AWS": f"arn:aws:iam::{OTHER}:user/dave"})) == NO_ALLOW
    # the other account's root is its own side: the owner's grant is enough
    assert decide(root(OTHER), policy=grant) == ALLOWED
    assert decide(root(OTHER)) == NO_ALLOW
    assert decide(root(OTHER), acl=True) == ALLOWED


def test_root_is_implicitly_allowed_in_its_account_unless_denied() -> None:
    assert decide(root(OWNER)) == ALLOWED
    assert decide(root(OWNER), action="s3:DeleteBucket", resource="arn:aws:s3:::b") == ALLOWED
    assert decide(root(OWNER), policy=bucket("*", "Deny")) == DENIED
    assert decide(root(OWNER), policy=bucket({"AWS": OWNER}, "Deny")) == DENIED


@pytest.mark.parametrize("action", ["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"])
def test_owner_root_can_always_manage_the_bucket_policy(action: str) -> None:
    lockout = bucket("*", "Deny", action="s3:*")
    assert decide(root(OWNER), policy=lockout, action=action, resource="arn:aws:s3:::b") == ALLOWED
    assert decide(user(OWNER, "u", identity_policy(action="s3:*")), policy=lockout, action=action,
                  resource="arn:aws:s3:::b") == DENIED
    assert decide(root(OTHER), policy=lockout, action=action, resource="arn:aws:s3:::b") == DENIED


def test_anonymous_only_by_everyone_or_acl() -> None:
    assert decide(None) == NO_ALLOW
    assert decide(None, policy=bucket("*")) == ALLOWED
    assert decide(None, policy=bucket({"AWS": "*"})) == ALLOWED
    assert decide(None, policy=bucket({"AWS": OWNER})) == NO_ALLOW
    assert decide(None, acl=True) == ALLOWED
    assert decide(None, acl=True, policy=bucket("*", "Deny")) == DENIED


def test_deny_wins_everywhere() -> None:
    deny = identity_policy("Deny")
    both = user(OWNER, "u", identity_policy(), deny)
    assert decide(both) == DENIED
    assert decide(both, acl=True, policy=bucket("*")) == DENIED
    assert decide(user(OWNER, "u", identity_policy()), policy=bucket("*", "Deny")) == DENIED
    assert decide(user(OWNER, "u", identity_policy()), acl=True, policy=bucket({"AWS": OWNER}, "Deny")) == DENIED
    assert decide(user(OTHER, "c", identity_policy()), acl=True, policy=bucket({"AWS": OTHER}, "Deny")) == DENIED
    # a Deny for someone else does not apply
    assert decide(user(OWNER, "u", identity_policy()), policy=bucket({"AWS": OTHER}, "Deny")) == ALLOWED


def test_no_bucket_only_the_callers_side() -> None:
    for action in ("s3:CreateBucket", "s3:ListAllMyBuckets"):
        assert decide(root(OWNER), owner=None, action=action, resource="*") == ALLOWED
        assert decide(user(OWNER), owner=None, action=action, resource="*") == NO_ALLOW
        assert decide(None, owner=None, action=action, resource="*") == NO_ALLOW
    lister = user(OWNER, "u", identity_policy(action="s3:ListAllMyBuckets", resource="arn:aws:s3:::*"))
    assert decide(lister, owner=None, action="s3:ListAllMyBuckets", resource="*") == ALLOWED
    assert decide(user(OWNER, "u", identity_policy("Deny", "s3:*")), owner=None, action="s3:CreateBucket",
                  resource="arn:aws:s3:::new") == DENIED


def test_decision_says_why() -> None:
    decision = authorize_s3(Request("s3:GetObject", OBJECT, None, {}), owner_account=OWNER,
                            bucket_policy=bucket("*", "Deny"), acl_allows=True)
    assert not decision and decision.explicit_deny and "bucket policy" in decision.reason
    assert authorize_s3(Request("s3:GetObject", OBJECT, None, {}), owner_account=OWNER, bucket_policy=None,
                        acl_allows=True).reason == "ACL"


def test_identity_allows() -> None:
    iam = "arn:aws:iam::111111111111:user/x"
    assert identity_allows(Request("iam:CreateUser", iam, root(OWNER), {}))
    assert not identity_allows(Request("iam:CreateUser", iam, None, {}))
    assert not identity_allows(Request("iam:CreateUser", iam, user(OWNER), {}))
    assert identity_allows(Request("iam:CreateUser", iam, user(OWNER, "u", identity_policy(action="iam:*")), {}))
    denied = user(OWNER, "u", identity_policy(action="iam:*"), identity_policy("Deny", "iam:CreateUser"))
    assert not identity_allows(Request("iam:CreateUser", iam, denied, {}))
    assert identity_allows(Request("iam:GetUser", iam, denied, {}))
