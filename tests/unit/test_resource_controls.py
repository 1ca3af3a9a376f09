"""Canned ACLs, grant headers, what is public, and the API-level rules, as pure functions."""

from __future__ import annotations

import pytest

from gateway import controls
from gateway.access import acl
from gateway.access.acl import ALL_USERS, AUTHENTICATED_USERS, EC2_CANONICAL_ID, LOG_DELIVERY, Grant
from gateway.access.expected_owner import check_expected_owner
from gateway.access.policy import parse_policy
from gateway.access.public import is_public_acl, is_public_policy
from gateway.access.resources import BucketAccess, bucket_access
from gateway.wire.documents.controls import PublicAccessBlock
from gateway.wire.errors import S3Error

OWNER, WRITER = "a" * 64, "b" * 64
FULL = Grant.user(OWNER)


@pytest.mark.parametrize(("canned", "extra"), [
    ("private", ()),
    ("public-read", (Grant.group(ALL_USERS, "READ"),)),
    ("public-read-write", (Grant.group(ALL_USERS, "READ"), Grant.group(ALL_USERS, "WRITE"))),
    ("authenticated-read", (Grant.group(AUTHENTICATED_USERS, "READ"),)),
    ("aws-exec-read", (Grant.user(EC2_CANONICAL_ID, "READ"),)),
    ("bucket-owner-read", (Grant.user(WRITER, "READ"),)),
    ("bucket-owner-full-control", (Grant.user(WRITER),)),
    ("log-delivery-write", (Grant.group(LOG_DELIVERY, "WRITE"), Grant.group(LOG_DELIVERY, "READ_ACP"))),
])
def test_canned_acls_on_objects(canned: str, extra: tuple[Grant, ...]) -> None:
    assert acl.canned_grants(canned, owner_id=OWNER, bucket_owner_id=WRITER, bucket=False) == (FULL, *extra)


def test_canned_acls_on_buckets_and_deduplication() -> None:
    for canned in ("bucket-owner-read", "bucket-owner-full-control", "private"):
        assert acl.canned_grants(canned, owner_id=OWNER, bucket_owner_id=OWNER, bucket=True) == (FULL,)
    assert acl.canned_grants("bucket-owner-full-control", owner_id=OWNER, bucket_owner_id=OWNER,
                             bucket=False) == (FULL,)


def known(cid: str) -> bool:
    return cid in (OWNER, WRITER)


def test_grant_headers() -> None:
    requested = acl.requested_acl({"x-amz-grant-read": f'id="{WRITER}", uri="{ALL_USERS}"',
                                   "x-amz-grant-full-control": f"id={OWNER}",
                                   "x-amz-grant-write-acp": 'emailAddress="w@example.com"'},
                                  resolve_email={"w@example.com": WRITER}.get, known_id=known)
    assert requested is not None and requested.source == "headers"
    assert set(requested.grants) == {FULL, Grant.user(WRITER, "READ"), Grant.group(ALL_USERS, "READ"),
                                     Grant.user(WRITER, "WRITE_ACP")}
    assert acl.requested_acl({}, resolve_email=acl.no_emails, known_id=known) is None


@pytest.mark.parametrize(("headers", "code", "message"), [
    ({"x-amz-acl": "private", "x-amz-grant-read": f'id="{OWNER}"'}, "InvalidRequest",
     "Specifying both Canned ACLs and Header Grants is not allowed"),
    ({"x-amz-grant-read": 'id="' + "c" * 64 + '"'}, "InvalidArgument", "Invalid id"),
    ({"x-amz-grant-read": 'emailAddress="x@example.com"'}, "UnresolvableGrantByEmailAddress", None),
    ({"x-amz-grant-read": "garbage"}, "InvalidArgument", "Argument format not recognized"),
    ({"x-amz-grant-read": 'id="a", nonsense'}, "InvalidArgument", "Argument format not recognized"),
    ({"x-amz-grant-read": 'uri="http://acs.amazonaws.com/groups/global/Bots"'}, "InvalidArgument", "Invalid group uri"),
    ({"x-amz-acl": "world"}, "InvalidArgument", None),
])
def test_grant_header_errors(headers: dict[str, str], code: str, message: str | None) -> None:
    with pytest.raises(S3Error) as caught:
        acl.requested_acl(headers, resolve_email=acl.no_emails, known_id=known)
    assert caught.value.code == code
    if message is not None:
        assert caught.value.message == message


def test_public_acls() -> None:
    assert is_public_acl([FULL, Grant.group(AUTHENTICATED_USERS, "READ")])
    assert is_public_acl([Grant.group(ALL_USERS, "WRITE_ACP")])
    assert not is_public_acl([FULL, Grant.group(LOG_DELIVERY, "WRITE"), Grant.user(EC2_CANONICAL_ID, "READ")])


def policy(*statements: str) -> str:
    return '{"Version": "2012-10-17", "Statement": [' + ", ".join(statements) + "]}"


def allow(principal: str = '"*"', condition: str = "", effect: str = "Allow") -> str:
    extra = f', "Condition": {condition}' if condition else ""
    return (f'{{"Effect": "{effect}", "Principal": {principal}, "Action": "s3:GetObject", '
            f'"Resource": "arn:aws:s3:::b/*"{extra}}}')


@pytest.mark.parametrize(("text", "public"), [
    (policy(allow()), True),
    (policy(allow(effect="Deny")), False),
    (policy(allow('{"AWS": "111122223333"}')), False),
    (policy(allow('{"AWS": "111122223333"}'), allow()), True),
    (policy(allow('{"CanonicalUser": "' + OWNER + '"}')), False),
    (policy(allow(condition='{"StringEquals": {"aws:SourceArn": "arn:aws:cloudfront::111122223333:x/Y"}}')), False),
    (policy(allow(condition='{"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::*:x/*"}}')), True),
    (policy(allow(condition='{"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}}')), True),
    (policy(allow(condition='{"ForAllValues:StringEquals": {"aws:SourceVpce": ["vpce-1a2b3c4d"]}}')), True),
    (policy(allow(condition='{"ForAnyValue:StringEquals": {"aws:SourceVpce": ["vpce-1a2b3c4d"]}}')), False),
    (policy(allow(condition='{"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}}')), False),
    (policy(allow(condition='{"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "0.0.0.0/1"]}}')), True),
    (policy(allow(condition='{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}')), True),
    (policy(allow(condition='{"StringEquals": {"aws:userid": "AROAEXAMPLEID:*"}}')), True),
    (policy(allow(condition='{"StringEquals": {"aws:SourceAccount": "111122223333"}, '
                            '"Bool": {"aws:SecureTransport": "true"}}')), False),
    (policy('{"Effect": "Allow", "NotPrincipal": {"AWS": "111122223333"}, "Action": "s3:GetObject", '
            '"Resource": "arn:aws:s3:::b/*"}'), True),
])
def test_public_policies(text: str, public: bool) -> None:
    assert is_public_policy(parse_policy(text, kind="resource", bucket="b")) is public


def access(ownership: str = "ObjectWriter", block: PublicAccessBlock | None = None) -> BucketAccess:
    return BucketAccess("b", OWNER, None, None, (FULL,), ownership, True, block or PublicAccessBlock())


def canned(name: str) -> acl.RequestedAcl:
    return acl.RequestedAcl("canned", name)


def test_new_object_owners_and_acls() -> None:
    assert controls.new_object(access("BucketOwnerEnforced"), None, WRITER) == (OWNER, None)
    assert controls.new_object(access("BucketOwnerEnforced"), canned("bucket-owner-full-control"), WRITER) == \
        (OWNER, None)
    assert controls.new_object(access("BucketOwnerPreferred"), None, WRITER) == (WRITER, None)
    assert controls.new_object(access("BucketOwnerPreferred"), canned("bucket-owner-full-control"), WRITER) == \
        (OWNER, None)
    assert controls.new_object(access(), canned("bucket-owner-full-control"), WRITER) == \
        (WRITER, (Grant.user(WRITER), FULL))
    assert controls.new_object(access(), canned("private"), WRITER) == (WRITER, None)
    for refused in (canned("private"), acl.RequestedAcl("headers", grants=(FULL,))):
        with pytest.raises(S3Error) as caught:
            controls.new_object(access("BucketOwnerEnforced"), refused, WRITER)
        assert caught.value.code == "AccessControlListNotSupported"
    with pytest.raises(S3Error) as caught:
        controls.new_object(access(block=PublicAccessBlock(block_public_acls=True)), canned("public-read"), WRITER)
    assert caught.value.code == "AccessDenied"


def test_bucket_acls_and_creation() -> None:
    body = acl.RequestedAcl("body", grants=(FULL,))
    assert controls.bucket_acl(access("BucketOwnerEnforced"), body) == (FULL,)
    with pytest.raises(S3Error):
        controls.bucket_acl(access("BucketOwnerEnforced"), acl.RequestedAcl("body", grants=(Grant.user(WRITER),)))
    assert controls.new_bucket_acl(canned("private"), OWNER, ownership="BucketOwnerEnforced",
                                   block_public_acls=True) is None
    for ownership, block, code in (("BucketOwnerEnforced", True, "InvalidBucketAclWithObjectOwnership"),
                                   ("ObjectWriter", True, "InvalidBucketAclWithBlockPublicAccessError")):
        with pytest.raises(S3Error) as caught:
            controls.new_bucket_acl(canned("public-read"), OWNER, ownership=ownership, block_public_acls=block)
        assert caught.value.code == code


def test_bucket_access_from_documents() -> None:
    empty = bucket_access("b", OWNER, {})
    assert (empty.ownership, empty.ownership_configured, empty.acl, empty.block) == \
        ("ObjectWriter", False, (FULL,), PublicAccessBlock())
    assert empty.policy is None and not empty.policy_is_public and empty.acls_enabled
    public = policy(allow())
    documents = {"policy": public, "ownershipControls": "<OwnershipControls><Rule><ObjectOwnership>"
                 "BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>",
                 "publicAccessBlock": "<PublicAccessBlockConfiguration><IgnorePublicAcls>true</IgnorePublicAcls>"
                 "</PublicAccessBlockConfiguration>"}
    full = bucket_access("b", OWNER, documents)
    assert full.policy is not None and full.policy_text == public and full.policy_is_public
    assert not full.acls_enabled and full.block.ignore_public_acls and full.effective_acl() == (FULL,)
    unreadable = bucket_access("b", OWNER, {"policy": "{not a policy"})
    assert unreadable.policy is None and unreadable.policy_is_public  # presumed public


def test_expected_owner() -> None:
    account = "222233334444"
    accounts = {OWNER: account}.get
    check_expected_owner(None, OWNER, accounts)
    check_expected_owner(account, OWNER, accounts)
    with pytest.raises(S3Error) as caught:
        check_expected_owner("111122223333", OWNER, accounts)
    assert caught.value.code == "AccessDenied"
