"""The policy language: parsing and AWS's validation messages, the examples of AWS's policy
documentation, every condition operator family (absent keys, negation, IPv6, sets), wildcards and
policy variables."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.access.evaluate import Request, policy_effect
from gateway.access.identity import Identity
from gateway.access.policy import Effect, PolicyError, parse_policy

A, B = "111111111111", "222222222222"
ALICE = Identity.user(A, "a" * 64, "alice", "AIDAALICE")
CAROL = Identity.user(B, "b" * 64, "carol", "AIDACAROL")
ROOT_A = Identity.root(A, "a" * 64)


def bucket_policy(*statements: dict[str, Any], version: str = "2012-10-17") -> str:
    return json.dumps({"Version": version, "Statement": list(statements)})


def allow(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"} | fields


def effect(statement: dict[str, Any], *, action: str = "s3:GetObject", resource: str = "arn:aws:s3:::b/k",
           who: Identity | None = ALICE, **keys: Any) -> Effect:
    policy = parse_policy(bucket_policy(statement), kind="resource", bucket="b")
    return policy_effect(policy, Request(action, resource, who, keys), resource_policy=True)


def holds(operator: str, key: str, values: Any, **keys: Any) -> bool:
    return effect(allow(Condition={operator: {key: values}}), **keys) is Effect.ALLOW


# --- parsing and validation -------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("[]", "Policies must be valid JSON and the first byte must be '{'"),
    ("{nope", "This policy contains invalid Json"),
    ('{"Version": "2012-10-17"}', "Missing required field Statement"),
    ('{"Version": "2012-10-17", "Statement": []}', "Could not parse the policy: Statement is empty!"),
    ('{"Version": "2011-01-01", "Statement": []}', "The policy must contain a valid version string"),
    (bucket_policy(allow(Effect="Maybe")), "Invalid effect: Maybe"),
    (bucket_policy({"Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}),
     "Missing required field Effect"),
    (bucket_policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}),
     "Missing required field Principal"),
    (bucket_policy(allow(Principal={"AWS": "alice"})), "Invalid principal in policy"),
    (bucket_policy(allow(Principal={"AWS": "arn:aws:iam::111111111111:user/*"})), "Invalid principal in policy"),
    (bucket_policy(allow(Principal={"Nobody": "x"})), "Invalid principal in policy"),
    (bucket_policy(allow(Principal={"CanonicalUser": "xyz"})), "Invalid principal in policy"),
    (bucket_policy(allow(Action="s3:Frobnicate")), "Policy has invalid action"),
    (bucket_policy(allow(Action="ec2:RunInstances")), "Policy has invalid action"),
    (bucket_policy(allow(Action="s3:Zzz*")), "Policy has invalid action"),
    (bucket_policy(allow(Resource="arn:aws:s3:::other/*")), "Policy has invalid resource"),
    (bucket_policy(allow(Resource="*")), "Policy has invalid resource"),
    (bucket_policy(allow(Action="s3:PutObject", Resource="arn:aws:s3:::b")),
     "Action does not apply to any resource(s) in statement"),
    (bucket_policy(allow(Action="s3:ListBucket", Resource="arn:aws:s3:::b/*")),
     "Action does not apply to any resource(s) in statement"),
    (bucket_policy({k: v for k, v in allow().items() if k != "Action"}), "Missing required field Action"),
    (bucket_policy({k: v for k, v in allow().items() if k != "Resource"}), "Missing required field Resource"),
    (bucket_policy(allow(Condition={"StringSortOf": {"aws:Referer": "x"}})), "Invalid Condition type : StringSortOf"),
    (bucket_policy(allow(Sid="same"), allow(Sid="same")), "Statement IDs (SID) in a single policy must be unique."),
    (bucket_policy(allow(Colour="blue")), "Unknown field Colour"),
])
def test_bucket_policy_errors(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, kind="resource", bucket="b")
    assert caught.value.message == message


def test_bucket_policy_size_limit() -> None:
    statement = allow(Sid="x" * 20_500)
    with pytest.raises(PolicyError, match="Policy exceeds the maximum allowed document size."):
        parse_policy(bucket_policy(statement), kind="resource", bucket="b")
    parse_policy(bucket_policy(allow(Sid="x" * 20_000)), kind="resource", bucket="b")


@pytest.mark.parametrize("statement, message", [
    (allow(), "Policy document should not specify a principal."),
    ({"Effect": "Allow", "Resource": "*"}, "Policy statement must contain actions."),
    ({"Effect": "Allow", "Action": "s3:GetObject"}, "Policy statement must contain resources."),
    ({"Effect": "Allow", "Action": "GetObject", "Resource": "*"},
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "bucket"},
     'Resource bucket must be in ARN format or "*".'),
])
def test_identity_policy_errors(statement: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(bucket_policy(statement), kind="identity")
    assert caught.value.message == message


def test_accepted_shapes() -> None:
    single = json.dumps({"Version": "2012-10-17", "Statement": allow()})  # one statement, not a list
    assert len(parse_policy(single, kind="resource", bucket="b").statements) == 1
    for principal in ("*", {"AWS": "*"}, {"AWS": A}, {"AWS": f"arn:aws:iam::{A}:root"}, {"AWS": [ALICE.arn, B]},
                      {"CanonicalUser": "c" * 64}, {"Service": "cloudfront.amazonaws.com"}):
        parse_policy(bucket_policy(allow(Principal=principal)), kind="resource", bucket="b")
    parse_policy(bucket_policy(allow(Action=["s3:*"], Resource=["arn:aws:s3:::b", "arn:aws:s3:::b/*"])),
                 kind="resource", bucket="b")
    parse_policy(b'  {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}', kind="identity")


# --- AWS's bucket policy examples ---------------------------------------------------------------------

def test_public_read() -> None:
    statement = {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
                 "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": ["arn:aws:s3:::b/*"]}
    assert effect(statement, who=None) is Effect.ALLOW
    assert effect(statement, who=None, action="s3:PutObject") is Effect.NONE
    assert effect(statement, who=None, action="s3:ListBucket", resource="arn:aws:s3:::b") is Effect.NONE


def test_restrict_to_ip_ranges() -> None:
    statement = {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                 "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                 "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:DB8:1234:5678::/64"]}}}
    assert effect(statement, aws_SourceIp="x") is Effect.DENY  # (unrelated key name: SourceIp absent -> deny)
    assert effect(statement, **{"aws:SourceIp": "192.0.2.9"}) is Effect.NONE
    assert effect(statement, **{"aws:SourceIp": "2001:db8:1234:5678::abcd"}) is Effect.NONE
    assert effect(statement, **{"aws:SourceIp": "2001:db8:1234:9999::1"}) is Effect.DENY
    assert effect(statement, **{"aws:SourceIp": "203.0.113.1"}) is Effect.DENY


def test_require_secure_transport() -> None:
    statement = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b/*"],
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert effect(statement, **{"aws:SecureTransport": "false"}) is Effect.DENY
    assert effect(statement, **{"aws:SecureTransport": "true"}) is Effect.NONE
    assert effect(statement) is Effect.NONE  # absent: Bool is false (BoolIfExists would deny)
    statement["Condition"] = {"BoolIfExists": {"aws:SecureTransport": False}}
    assert effect(statement) is Effect.DENY


def test_cross_account_grant() -> None:
    statement = allow(Principal={"AWS": f"arn:aws:iam::{B}:root"}, Action=["s3:GetObject", "s3:PutObject"])
    assert effect(statement, who=CAROL) is Effect.ALLOW
    assert effect(statement, who=Identity.root(B, "b" * 64)) is Effect.ALLOW
    assert effect(statement, who=ALICE) is Effect.NONE


def test_home_folders_with_username() -> None:
    policy = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
         "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}}},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": "arn:aws:s3:::b/home/${aws:username}/*"},
    ]}), kind="identity")

    def decide(action: str, resource: str, **keys: Any) -> Effect:
        return policy_effect(policy, Request(action, resource, ALICE, keys), resource_policy=False)
    assert decide("s3:GetObject", "arn:aws:s3:::b/home/alice/a.txt") is Effect.ALLOW
    assert decide("s3:GetObject", "arn:aws:s3:::b/home/bob/a.txt") is Effect.NONE
    assert decide("s3:ListBucket", "arn:aws:s3:::b", **{"s3:prefix": "home/alice/x"}) is Effect.ALLOW
    assert decide("s3:ListBucket", "arn:aws:s3:::b", **{"s3:prefix": ""}) is Effect.ALLOW
    assert decide("s3:ListBucket", "arn:aws:s3:::b", **{"s3:prefix": "home/bob/"}) is Effect.NONE
    assert decide("s3:ListBucket", "arn:aws:s3:::b") is Effect.NONE  # no prefix: StringLike is false
    # the root has no aws:username: the variable does not resolve and the resource matches nothing
    assert policy_effect(policy, Request("s3:GetObject", "arn:aws:s3:::b/home/alice/a", ROOT_A, {}),
                         resource_policy=False) is Effect.NONE


def test_not_principal_with_deny() -> None:
    statement = {"Effect": "Deny", "NotPrincipal": {"AWS": [ALICE.arn, f"arn:aws:iam::{A}:root"]}, "Action": "s3:*",
                 "Resource": ["arn:aws:s3:::b/*"]}
    assert effect(statement, who=ALICE) is Effect.NONE
    assert effect(statement, who=ROOT_A) is Effect.NONE
    assert effect(statement, who=Identity.user(A, "a" * 64, "bob", "AIDABOB")) is Effect.DENY
    assert effect(statement, who=CAROL) is Effect.DENY
    assert effect(statement, who=None) is Effect.DENY
    # AWS checks the account, then the user: naming only the user does not except it
    statement["NotPrincipal"] = {"AWS": ALICE.arn}
    assert effect(statement, who=ALICE) is Effect.DENY


def test_tag_sets() -> None:
    keys = ["ForAnyValue:StringEquals", "aws:TagKeys", ["env", "team"]]
    assert holds(*keys, **{"aws:TagKeys": ["env", "other"]})
    assert not holds(*keys, **{"aws:TagKeys": ["other"]})
    assert not holds(*keys)  # ForAnyValue on an absent key: false
    every = ["ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"]]
    assert holds(*every, **{"aws:TagKeys": ["env", "team"]})
    assert not holds(*every, **{"aws:TagKeys": ["env", "other"]})
    assert holds(*every)  # ForAllValues on an absent key: true
    assert holds(*every, **{"aws:TagKeys": []})
    assert holds("ForAllValues:StringNotLike", "aws:TagKeys", "secret*", **{"aws:TagKeys": ["env", "team"]})
    assert not holds("ForAllValues:StringNotLike", "aws:TagKeys", "secret*", **{"aws:TagKeys": ["env", "secret1"]})
    assert holds("ForAnyValue:StringNotEquals", "aws:TagKeys", "env", **{"aws:TagKeys": ["env", "x"]})
    # a single-valued operator on a multivalued key: false, negated too
    assert not holds("StringEquals", "aws:TagKeys", "env", **{"aws:TagKeys": ["env"]})
    assert not holds("StringNotEquals", "aws:TagKeys", "x", **{"aws:TagKeys": ["env"]})


def test_null_and_if_exists() -> None:
    assert holds("Null", "s3:x-amz-server-side-encryption", "true")
    assert not holds("Null", "s3:x-amz-server-side-encryption", "true", **{"s3:x-amz-server-side-encryption": "AES256"})
    assert holds("Null", "s3:x-amz-server-side-encryption", False, **{"s3:x-amz-server-side-encryption": "AES256"})
    assert holds("StringEqualsIfExists", "s3:x-amz-acl", "private")
    assert holds("StringEqualsIfExists", "s3:x-amz-acl", "private", **{"s3:x-amz-acl": "private"})
    assert not holds("StringEqualsIfExists", "s3:x-amz-acl", "private", **{"s3:x-amz-acl": "public-read"})
    assert holds("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", "env")  # AWS: IfExists is true when absent


# --- operator families ----------------------------------------------------------------------------------

@pytest.mark.parametrize("operator, values, present, expected", [
    ("StringEquals", ["a", "b"], "b", True),
    ("StringEquals", "A", "a", False),
    ("StringEquals", "a*", "abc", False),          # no wildcards in StringEquals
    ("StringNotEquals", ["a", "b"], "b", False),
    ("StringNotEquals", ["a", "b"], "c", True),
    ("StringEqualsIgnoreCase", "MiXeD", "mixed", True),
    ("StringNotEqualsIgnoreCase", "MiXeD", "mixed", False),
    ("StringLike", "a?c*", "abcdef", True),
    ("StringLike", "a?c*", "ac", False),
    ("StringLike", "*/x", "a/b/x", True),
    ("StringLike", "ABC", "abc", False),
    ("StringNotLike", ["x*", "y*"], "zzz", True),
    ("StringNotLike", ["x*", "y*"], "yes", False),
    ("NumericEquals", "10", "10.0", True),
    ("NumericNotEquals", "10", "11", True),
    ("NumericLessThan", "10", "9.5", True),
    ("NumericLessThanEquals", "10", "10", True),
    ("NumericGreaterThan", "10", "10", False),
    ("NumericGreaterThanEquals", 10, "10", True),
    ("NumericLessThan", "10", "ten", False),
    ("NumericNotEquals", "10", "ten", False),      # unreadable: fails, negated too
    ("DateLessThan", "2024-01-01T00:00:00Z", "2023-12-31T23:59:59Z", True),
    ("DateGreaterThan", "2024-01-01T00:00:00Z", "2024-01-01T00:00:01+00:00", True),
    ("DateEquals", "2024-01-01", "2024-01-01T00:00:00Z", True),
    ("DateEquals", "1704067200", "2024-01-01T00:00:00Z", True),   # epoch and ISO 8601 compare as one
    ("DateNotEquals", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", True),
    ("DateLessThanEquals", "1704067200", "1704067200", True),
    ("DateGreaterThanEquals", "2024-01-01T00:00:00Z", "2024-01-01T01:00:00+02:00", False),
    ("DateLessThan", "2024-01-01T00:00:00Z", "yesterday", False),
    ("Bool", "true", "TRUE", True),
    ("Bool", True, "false", False),
    ("Bool", "true", "yes", False),
    ("BinaryEquals", "QmluYXJ5", "QmluYXJ5", True),
    ("BinaryEquals", "QmluYXJ5", "qmluyxj5", False),
    ("IpAddress", "203.0.113.0/24", "203.0.113.255", True),
    ("IpAddress", "203.0.113.0/24", "203.0.114.0", False),
    ("IpAddress", "203.0.113.7", "203.0.113.7", True),
    ("IpAddress", "2001:db8::/32", "2001:DB8:0:0::1", True),
    ("IpAddress", "2001:db8::/32", "203.0.113.7", False),
    ("IpAddress", "0.0.0.0/0", "198.51.100.1", True),
    ("NotIpAddress", "203.0.113.0/24", "2001:db8::1", True),  # another family is outside the range
    ("NotIpAddress", "203.0.113.0/24", "not-an-ip", False),
    ("ArnEquals", "arn:aws:iam::111111111111:user/*", "arn:aws:iam::111111111111:user/alice", True),
    ("ArnLike", "arn:aws:iam::*:user/a?ice", "arn:aws:iam::222222222222:user/alice", True),
    ("ArnLike", "arn:aws:iam::*:user/*", "arn:aws:iam::2:role/x", False),
    ("ArnLike", "arn:aws:iam::1*:user/*", "arn:aws:iam::2:user/1:x", False),  # * stays inside its segment
    ("ArnNotEquals", "arn:aws:iam::111111111111:user/alice", "arn:aws:iam::111111111111:user/bob", True),
    ("ArnNotLike", "arn:aws:iam::111111111111:*", "arn:aws:iam::111111111111:user/bob", False),
    ("ArnNotLike", "arn:aws:iam::111111111111:*", "not-an-arn", False),
])
def test_operator(operator: str, values: Any, present: str, expected: bool) -> None:
    assert holds(operator, "k:v", values, **{"k:v": present}) is expected


@pytest.mark.parametrize("operator, expected", [
    ("StringEquals", False), ("StringNotEquals", True), ("StringEqualsIgnoreCase", False),
    ("StringNotEqualsIgnoreCase", True), ("StringLike", False), ("StringNotLike", True),
    ("NumericEquals", False), ("NumericNotEquals", True), ("NumericLessThan", False),
    ("DateEquals", False), ("DateNotEquals", True), ("DateGreaterThan", False),
    ("Bool", False), ("BinaryEquals", False), ("IpAddress", False), ("NotIpAddress", True),
    ("ArnEquals", False), ("ArnLike", False), ("ArnNotEquals", True), ("ArnNotLike", True),
    ("StringEqualsIfExists", True), ("NumericLessThanIfExists", True), ("IpAddressIfExists", True),
])
def test_absent_key(operator: str, expected: bool) -> None:
    value = {"Numeric": "1", "Date": "2024-01-01T00:00:00Z", "Bool": "true", "IpAdd": "10.0.0.0/8",
             "NotIp": "10.0.0.0/8", "Arn": "arn:aws:iam::1:user/x"}
    chosen = next((v for k, v in value.items() if operator.startswith(k)), "x")
    assert holds(operator, "k:absent", chosen) is expected


def test_condition_logic_and_key_case() -> None:
    both = {"StringEquals": {"aws:Referer": "r", "AWS:USERAGENT": "u"}, "Bool": {"aws:SecureTransport": "true"}}
    keys = {"aws:referer": "r", "aws:UserAgent": "u", "aws:SecureTransport": "true"}
    assert effect(allow(Condition=both), **keys) is Effect.ALLOW
    assert effect(allow(Condition=both), **(keys | {"aws:SecureTransport": "false"})) is Effect.NONE


# --- wildcards and variables ------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, resource, expected", [
    ("arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c", True),       # * runs over /
    ("arn:aws:s3:::b/a?c", "arn:aws:s3:::b/abc", True),
    ("arn:aws:s3:::b/a?c", "arn:aws:s3:::b/ac", False),
    ("arn:aws:s3:::b/a?c", "arn:aws:s3:::b/a/c", True),       # ? is any one character, / too
    ("arn:aws:s3:::b/Key", "arn:aws:s3:::b/key", False),      # resources compare with case
    ("arn:aws:s3:::b*", "arn:aws:s3:::b/x:y", True),
    ("arn:AWS:S3:::b/*", "arn:aws:s3:::b/x", True),           # the ARN's head does not
    ("arn:aws:s3:::b/x.y", "arn:aws:s3:::b/xzy", False),      # regex characters are text
    ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", True),
    ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/x", False),
    ("arn:aws:s3:::b/${?}${$}", "arn:aws:s3:::b/?$", True),
])
def test_resource_wildcards(pattern: str, resource: str, expected: bool) -> None:
    policy = parse_policy(bucket_policy({"Effect": "Allow", "Action": "s3:*", "Resource": pattern}), kind="identity")
    assert (policy_effect(policy, Request("s3:GetObject", resource, ALICE, {}), resource_policy=False)
            is Effect.ALLOW) is expected


@pytest.mark.parametrize("pattern, expected", [
    ("s3:getobject", True), ("S3:GETOBJECT", True), ("s3:Get*", True), ("s3:?etObject", True),
    ("s3:*Object", True), ("*", True), ("s3:Put*", False), ("s3:GetObjectAcl", False), ("iam:GetObject", False),
])
def test_action_wildcards_ignore_case(pattern: str, expected: bool) -> None:
    policy = parse_policy(bucket_policy({"Effect": "Allow", "Action": pattern, "Resource": "*"}), kind="identity")
    assert (policy_effect(policy, Request("s3:GetObject", "arn:aws:s3:::b/k", ALICE, {}), resource_policy=False)
            is Effect.ALLOW) is expected


def test_not_action_and_not_resource() -> None:
    statement = {"Effect": "Allow", "NotAction": "s3:Delete*", "NotResource": "arn:aws:s3:::b/private/*"}
    policy = parse_policy(bucket_policy(statement), kind="identity")

    def decide(action: str, key: str) -> Effect:
        return policy_effect(policy, Request(action, f"arn:aws:s3:::b/{key}", ALICE, {}), resource_policy=False)
    assert decide("s3:GetObject", "public/x") is Effect.ALLOW
    assert decide("s3:DeleteObject", "public/x") is Effect.NONE
    assert decide("s3:GetObject", "private/x") is Effect.NONE


@pytest.mark.parametrize("value, keys, expected", [
    ("${aws:username}", {}, "alice"),
    ("${aws:userid}", {}, "AIDAALICE"),
    ("${aws:PrincipalAccount}-${aws:principaltype}", {}, "111111111111-User"),
    ("${aws:SourceIp}", {"aws:SourceIp": "192.0.2.1"}, "192.0.2.1"),
    ("${aws:Referer, 'none'}", {}, "none"),
    ("${aws:Referer, 'none'}", {"aws:Referer": "r"}, "r"),
    ("${s3:prefix}x", {"s3:prefix": "p*"}, "p*x"),      # a value's wildcard characters are text
])
def test_variables(value: str, keys: dict[str, str], expected: str) -> None:
    assert holds("StringEquals", "k:v", value, **({"k:v": expected} | keys))
    assert not holds("StringEquals", "k:v", value, **({"k:v": expected + "-"} | keys))


def test_unresolved_variables_match_nothing() -> None:
    assert not holds("StringEquals", "k:v", "${aws:Referer}", **{"k:v": ""})
    assert not holds("StringNotEquals", "k:v", "${aws:Referer}", **{"k:v": "x"})  # negated fails too
    assert not holds("StringLike", "k:v", "*${aws:TagKeys}*", **{"k:v": "x", "aws:TagKeys": ["x"]})  # multivalued


def test_version_2008_has_no_variables() -> None:
    text = bucket_policy(allow(Condition={"StringEquals": {"k:v": "${aws:username}"}}), version="2008-10-17")
    policy = parse_policy(text, kind="resource", bucket="b")
    literal = Request("s3:GetObject", "arn:aws:s3:::b/k", ALICE, {"k:v": "${aws:username}"})
    assert policy_effect(policy, literal, resource_policy=True) is Effect.ALLOW


def test_derived_keys_cannot_be_spoofed() -> None:
    assert not holds("StringEquals", "aws:username", "root", **{"aws:username": "root"})
    assert holds("StringEquals", "aws:PrincipalType", "Anonymous", who=None, **{"aws:PrincipalType": "User"})
