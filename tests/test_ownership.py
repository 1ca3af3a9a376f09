"""Object Ownership, Block Public Access and the expected bucket owner, enforced at the API as on AWS.

New buckets get AWS's defaults since April 2023 (BucketOwnerEnforced, all four BPA flags);
``--bucket-defaults legacy`` gives the earlier ones (ObjectWriter, no block).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code, status
from tests.harness.clients import make_client, unique_bucket_name
from tests.harness.iam import grant_account
from tests.harness.servers import LOCAL

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
BPA_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
PUBLIC_POLICY = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", ' \
                '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::%s/*"}]}'


def refused(call, code: str, http: int) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        call()
    assert (error_code(exc), status(exc)) == (code, http)


def test_new_buckets_have_acls_disabled_and_public_access_blocked(s3, bucket):
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == \
        [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == \
        dict.fromkeys(BPA_FLAGS, True)
    owner = s3.list_buckets()["Owner"]["ID"]
    not_supported = ("AccessControlListNotSupported", 400)
    refused(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read"), *not_supported)
    refused(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="private"), *not_supported)
    refused(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", GrantFullControl=f'id="{owner}"'),
            *not_supported)
    refused(lambda: s3.create_multipart_upload(Bucket=bucket, Key="k", ACL="public-read"), *not_supported)
    refused(lambda: s3.put_bucket_acl(Bucket=bucket, ACL="public-read"), *not_supported)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="bucket-owner-full-control")
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    refused(lambda: s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"},
                                   ACL="authenticated-read"), *not_supported)
    refused(lambda: s3.put_object_acl(Bucket=bucket, Key="k", ACL="private"), *not_supported)
    owner_only = {"Owner": {"ID": owner}, "Grants": [
        {"Grantee": {"Type": "CanonicalUser", "ID": owner}, "Permission": "FULL_CONTROL"}]}
    s3.put_object_acl(Bucket=bucket, Key="k", AccessControlPolicy=owner_only)  # the equivalent body is accepted
    s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy=owner_only)
    public = {**owner_only, "Grants": [*owner_only["Grants"],
                                       {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}]}
    refused(lambda: s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy=public), *not_supported)
    for answer in (s3.get_object_acl(Bucket=bucket, Key="k"), s3.get_bucket_acl(Bucket=bucket)):  # reads work
        assert [(g["Grantee"]["ID"], g["Permission"]) for g in answer["Grants"]] == [(owner, "FULL_CONTROL")]


def test_create_bucket_acls_against_the_defaults(s3):
    refused(lambda: s3.create_bucket(Bucket=unique_bucket_name(), ACL="public-read"),
            "InvalidBucketAclWithObjectOwnership", 400)
    refused(lambda: s3.create_bucket(Bucket=unique_bucket_name(), ACL="public-read", ObjectOwnership="ObjectWriter"),
            "InvalidBucketAclWithBlockPublicAccessError", 400)
    refused(lambda: s3.create_bucket(Bucket=unique_bucket_name(), ObjectOwnership="Everyone"), "InvalidArgument", 400)
    private = unique_bucket_name()
    s3.create_bucket(Bucket=private, ACL="private")  # the owner's FULL_CONTROL fits BucketOwnerEnforced
    writer = unique_bucket_name()
    s3.create_bucket(Bucket=writer, ObjectOwnership="ObjectWriter", ACL="log-delivery-write")
    assert s3.get_bucket_ownership_controls(Bucket=writer)["OwnershipControls"]["Rules"] == \
        [{"ObjectOwnership": "ObjectWriter"}]
    assert {g["Permission"] for g in s3.get_bucket_acl(Bucket=writer)["Grants"]} == \
        {"FULL_CONTROL", "WRITE", "READ_ACP"}


def test_enforcing_needs_an_owner_only_bucket_acl(s3):
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket=name)
    s3.put_bucket_acl(Bucket=name, ACL="public-read")
    enforced = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    refused(lambda: s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=enforced),
            "InvalidBucketAclWithObjectOwnership", 400)
    s3.put_bucket_acl(Bucket=name, ACL="private")
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=enforced)
    refused(lambda: s3.put_bucket_acl(Bucket=name, ACL="public-read"), "AccessControlListNotSupported", 400)


def test_block_public_acls_and_policy(s3):
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")  # ACLs on, every block still on
    denied = ("AccessDenied", 403)
    for canned in ("public-read", "public-read-write", "authenticated-read"):
        refused(lambda c=canned: s3.put_object(Bucket=name, Key="k", Body=b"x", ACL=c), *denied)
    refused(lambda: s3.put_object(Bucket=name, Key="k", Body=b"x", GrantRead=f'uri="{ALL_USERS}"'), *denied)
    refused(lambda: s3.create_multipart_upload(Bucket=name, Key="k", ACL="public-read"), *denied)
    refused(lambda: s3.put_bucket_acl(Bucket=name, ACL="public-read"), *denied)
    s3.put_object(Bucket=name, Key="k", Body=b"x", ACL="bucket-owner-read")  # not public
    refused(lambda: s3.put_object_acl(Bucket=name, Key="k", ACL="public-read"), *denied)
    refused(lambda: s3.copy_object(Bucket=name, Key="c", CopySource={"Bucket": name, "Key": "k"},
                                   ACL="public-read"), *denied)
    refused(lambda: s3.put_bucket_policy(Bucket=name, Policy=PUBLIC_POLICY % name), *denied)
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
    s3.put_object(Bucket=name, Key="k", Body=b"x", ACL="public-read")
    refused(lambda: s3.put_bucket_policy(Bucket=name, Policy=PUBLIC_POLICY % name), *denied)
    s3.delete_public_access_block(Bucket=name)
    s3.put_bucket_policy(Bucket=name, Policy=PUBLIC_POLICY % name)
    assert s3.get_bucket_policy_status(Bucket=name)["PolicyStatus"]["IsPublic"] is True


@pytest.mark.backends(*LOCAL, reason="every upstream object belongs to the one upstream account: the gateway "
                                      "reports its root user as the owner of all of them")
def test_who_owns_what_others_write(make_server, tmp_path):
    users = tmp_path / "users.json"
    users.write_text('{"users": [{"access_key": "other", "secret_key": "other-secret"}]}')
    srv = make_server(args=["--users", str(users)]).start()
    mine = make_client(srv.endpoint)
    theirs = make_client(srv.endpoint, access_key="other", secret_key="other-secret")

    def owner_of(bucket: str, key: str) -> str:
        listed = mine.list_objects_v2(Bucket=bucket, Prefix=key, FetchOwner=True)["Contents"][0]["Owner"]
        assert mine.get_object_acl(Bucket=bucket, Key=key)["Owner"]["DisplayName"] == listed["DisplayName"]
        return str(listed["DisplayName"])

    for mode, plain, full_control in (("BucketOwnerEnforced", "s3gate", "s3gate"),
                                      ("BucketOwnerPreferred", "other", "s3gate"),
                                      ("ObjectWriter", "other", "other")):
        name = unique_bucket_name(mode.lower())
        mine.create_bucket(Bucket=name, ObjectOwnership=mode)
        grant_account(mine, name, srv.endpoint, "other", "other-secret")
        theirs.put_object(Bucket=name, Key="plain", Body=b"x")
        theirs.put_object(Bucket=name, Key="full", Body=b"x", ACL="bucket-owner-full-control")
        assert (owner_of(name, "plain"), owner_of(name, "full")) == (plain, full_control), mode


def test_legacy_defaults(make_server):
    srv = make_server(args=["--bucket-defaults", "legacy"]).start()
    s3 = make_client(srv.endpoint)
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name)
    refused(lambda: s3.get_bucket_ownership_controls(Bucket=name), "OwnershipControlsNotFoundError", 404)
    refused(lambda: s3.get_public_access_block(Bucket=name), "NoSuchPublicAccessBlockConfiguration", 404)
    s3.put_object(Bucket=name, Key="k", Body=b"x", ACL="public-read")
    assert ALL_USERS in {g["Grantee"].get("URI") for g in s3.get_object_acl(Bucket=name, Key="k")["Grants"]}
    s3.put_bucket_policy(Bucket=name, Policy=PUBLIC_POLICY % name)
    public = unique_bucket_name()
    s3.create_bucket(Bucket=public, ACL="public-read")
    assert ALL_USERS in {g["Grantee"].get("URI") for g in s3.get_bucket_acl(Bucket=public)["Grants"]}
    assert "legacy defaults" in srv.log()


def test_expected_bucket_owner(s3, bucket):
    account = "000000000000"  # the default account (--account-id), whose root the suite signs as
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ExpectedBucketOwner=account)
    s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account)
    s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"}, ExpectedBucketOwner=account,
                   ExpectedSourceBucketOwner=account)
    denied = ("AccessDenied", 403)
    refused(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ExpectedBucketOwner="111122223333"), *denied)
    refused(lambda: s3.get_object(Bucket=bucket, Key="k", ExpectedBucketOwner="111122223333"), *denied)
    refused(lambda: s3.list_objects_v2(Bucket=bucket, ExpectedBucketOwner="111122223333"), *denied)
    refused(lambda: s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"},
                                   ExpectedSourceBucketOwner="111122223333"), *denied)
