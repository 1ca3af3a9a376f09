"""Bucket operations against a live server."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code, error_code_of, status
from tests.harness.clients import make_client, unique_bucket_name
from tests.harness.iam import grant_account
from tests.harness.payloads import content_md5
from tests.harness.rawhttp import signed


def test_create_head_list_delete(s3):
    name = unique_bucket_name()
    created = s3.create_bucket(Bucket=name)
    assert created["Location"] == f"/{name}"
    head = s3.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    listed = s3.list_buckets()
    assert name in [b["Name"] for b in listed["Buckets"]]
    assert listed["Owner"]["DisplayName"] == "s3gate"
    assert len(listed["Owner"]["ID"]) == 64
    entry = next(b for b in listed["Buckets"] if b["Name"] == name)
    assert entry["BucketRegion"] == "us-east-1"
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket=name)
    assert status(exc) == 404


@pytest.mark.parametrize("name", ["ab", "a" * 64, "UpperCase", "under_score", "-dash", "dash-", "a..b",
                                  "192.168.1.1", "xn--abc", "sthree-x", "bucket-s3alias", "bucket--ol-s3",
                                  "amzn-s3-demo-x", "bucket.mrap"])
def test_invalid_bucket_names(s3, name):
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=name)
    assert error_code(exc) == "InvalidBucketName"


def test_valid_bucket_names(s3):
    for name in (unique_bucket_name("dots.in.name"), "abc", "a" * 63, "0-9"):
        s3.create_bucket(Bucket=name)
        s3.head_bucket(Bucket=name)


def test_recreate_own_bucket_in_us_east_1_is_ok(s3, bucket):
    # S3's legacy answer in us-east-1: re-creating a bucket you own succeeds.
    assert s3.create_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.differs("upstream-s3gate", "upstream-moto", reason="every gateway user shares the one upstream account, "
                     "which owns every bucket")
def test_bucket_owned_by_another_user(make_server, tmp_path):
    users = tmp_path / "users.json"
    users.write_text('{"users": [{"access_key": "other", "secret_key": "other-secret"}]}')
    srv = make_server(fresh_upstream=True, args=["--users", str(users)]).start()
    try:
        mine = make_client(srv.endpoint)
        theirs = make_client(srv.endpoint, access_key="other", secret_key="other-secret")
        mine.create_bucket(Bucket="shared-name")
        with pytest.raises(ClientError) as exc:
            theirs.create_bucket(Bucket="shared-name")
        assert error_code(exc) == "BucketAlreadyExists" and status(exc) == 409
        theirs.create_bucket(Bucket="their-bucket")
        assert [b["Name"] for b in mine.list_buckets()["Buckets"]] == ["shared-name"]
        assert [b["Name"] for b in theirs.list_buckets()["Buckets"]] == ["their-bucket"]
        assert theirs.list_buckets()["Owner"]["DisplayName"] == "other"
        # another account writes once the bucket policy lets it
        grant_account(mine, "shared-name", srv.endpoint, "other", "other-secret")
        theirs.put_object(Bucket="shared-name", Key="k", Body=b"x")
        assert mine.get_object(Bucket="shared-name", Key="k")["Body"].read() == b"x"
        owner = mine.list_objects_v2(Bucket="shared-name", FetchOwner=True)["Contents"][0]["Owner"]
        assert owner["DisplayName"] == "s3gate"  # BucketOwnerEnforced (AWS's default): the bucket owner owns it
        mine.put_bucket_ownership_controls(Bucket="shared-name",
                                           OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
        theirs.put_object(Bucket="shared-name", Key="k2", Body=b"x")
        listed = mine.list_objects_v2(Bucket="shared-name", Prefix="k2", FetchOwner=True)["Contents"]
        assert listed[0]["Owner"]["DisplayName"] == "other"  # ObjectWriter: the writer owns it
    finally:
        srv.stop()


def test_other_region_server(make_server):
    srv = make_server(fresh_upstream=True, args=["--region", "eu-west-1"]).start()
    try:
        s3 = make_client(srv.endpoint, region="eu-west-1")
        s3.create_bucket(Bucket="euro", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        assert s3.get_bucket_location(Bucket="euro")["LocationConstraint"] == "eu-west-1"
        with pytest.raises(ClientError) as exc:
            s3.create_bucket(Bucket="euro", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        assert error_code(exc) == "BucketAlreadyOwnedByYou" and status(exc) == 409
        with pytest.raises(ClientError) as exc:
            s3.create_bucket(Bucket="nowhere")
        assert error_code(exc) == "IllegalLocationConstraintException"
        with pytest.raises(ClientError) as exc:
            s3.create_bucket(Bucket="other", CreateBucketConfiguration={"LocationConstraint": "ap-south-1"})
        assert error_code(exc) == "IllegalLocationConstraintException"
    finally:
        srv.stop()


def test_location_constraint(s3):
    name = unique_bucket_name()
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-central-1"
    assert s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "eu-central-1"
    plain = unique_bucket_name()
    s3.create_bucket(Bucket=plain)
    assert s3.get_bucket_location(Bucket=plain)["LocationConstraint"] is None
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=unique_bucket_name(), CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert error_code(exc) == "InvalidLocationConstraint"
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=unique_bucket_name(), CreateBucketConfiguration={"LocationConstraint": "mars"})
    assert error_code(exc) == "InvalidLocationConstraint"


def test_delete_non_empty_bucket(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=bucket)
    assert error_code(exc) == "BucketNotEmpty" and status(exc) == 409
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)


def test_delete_missing_bucket(s3):
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=unique_bucket_name("gone"))
    assert error_code(exc) == "NoSuchBucket"


def test_list_buckets_paging_and_prefix(make_server):
    srv = make_server(fresh_upstream=True).start()
    try:
        s3 = make_client(srv.endpoint)
        names = [f"page-{i:02d}" for i in range(7)] + ["other-1"]
        for name in names:
            s3.create_bucket(Bucket=name)
        page = s3.list_buckets(MaxBuckets=3)
        assert [b["Name"] for b in page["Buckets"]] == ["other-1", "page-00", "page-01"]
        seen = [b["Name"] for b in page["Buckets"]]
        while "ContinuationToken" in page:
            page = s3.list_buckets(MaxBuckets=3, ContinuationToken=page["ContinuationToken"])
            seen += [b["Name"] for b in page["Buckets"]]
        assert seen == sorted(names)
        assert [b["Name"] for b in s3.list_buckets(Prefix="page-0")["Buckets"]] == names[:7]
        assert s3.list_buckets(Prefix="page-0")["Prefix"] == "page-0"
        assert [b["Name"] for b in s3.list_buckets(BucketRegion="us-east-1")["Buckets"]] == sorted(names)
        response = signed(srv, "GET", "/?max-buckets=0")
        assert response.status_code == 400 and error_code_of(response) == "InvalidArgument"
    finally:
        srv.stop()


def test_unconfigured_subresources_answer_like_s3(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket)
    assert error_code(exc) == "NoSuchBucketPolicy"
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_code(exc) == "NoSuchTagSet"
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert acl["Grants"][0]["Permission"] == "FULL_CONTROL"
    assert acl["Owner"]["DisplayName"] == "s3gate"
    # New buckets have ACLs disabled (BucketOwnerEnforced): only the owner-full-control ACL is accepted.
    for refused in (lambda: s3.put_bucket_acl(Bucket=bucket, ACL="private"),
                    lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="private")):
        with pytest.raises(ClientError) as exc:
            refused()
        assert error_code(exc) == "AccessControlListNotSupported" and status(exc) == 400
    s3.put_bucket_acl(Bucket=bucket, ACL="bucket-owner-full-control")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="bucket-owner-full-control")
    assert s3.get_object_acl(Bucket=bucket, Key="k")["Grants"][0]["Permission"] == "FULL_CONTROL"


def test_public_access_block_and_ownership_controls_read_back(s3, server, bucket):
    """What Terraform and CDK set on every bucket they create, then read back to check."""
    # AWS's defaults for new buckets (since April 2023): ACLs disabled, every public access block on.
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == \
        dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == \
        [{"ObjectOwnership": "BucketOwnerEnforced"}]
    block = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
             "RestrictPublicBuckets": False}
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block)
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == block
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == \
        {**dict.fromkeys(block, False), "BlockPublicAcls": True}  # an omitted flag is false
    rules = [{"ObjectOwnership": "BucketOwnerEnforced"}]
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": rules})
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == rules
    s3.delete_public_access_block(Bucket=bucket)
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_public_access_block(Bucket=bucket)
    assert error_code(exc) == "NoSuchPublicAccessBlockConfiguration"
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_ownership_controls(Bucket=bucket)
    assert error_code(exc) == "OwnershipControlsNotFoundError"
    with pytest.raises(ClientError) as exc:
        s3.put_public_access_block(Bucket="no-such-bucket-here", PublicAccessBlockConfiguration=block)
    assert error_code(exc) == "NoSuchBucket"


@pytest.mark.parametrize("path,body,code", [
    ("?publicAccessBlock", b"<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls>"
                           b"</PublicAccessBlockConfiguration>", "MalformedXML"),
    ("?publicAccessBlock", b"<OwnershipControls/>", "MalformedXML"),
    ("?ownershipControls", b"<OwnershipControls><Rule><ObjectOwnership>Everyone</ObjectOwnership></Rule>"
                           b"</OwnershipControls>", "MalformedXML"),
    ("?ownershipControls", b"<OwnershipControls></OwnershipControls>", "MalformedXML"),
    ("?encryption", b"<ServerSideEncryptionConfiguration></ServerSideEncryptionConfiguration>", "MalformedXML"),
])
def test_bad_bucket_configuration_is_refused(s3, server, bucket, path, body, code):
    md5 = content_md5(body)
    response = signed(server, "PUT", f"/{bucket}{path}", body=body, headers={"Content-MD5": md5})
    assert response.status_code == 400 and error_code_of(response) == code
    unverified = signed(server, "PUT", f"/{bucket}{path}", body=body)
    assert unverified.status_code == 400 and error_code_of(unverified) == "InvalidRequest"  # S3 requires a digest


def test_unsupported_operations_are_not_implemented(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_analytics_configuration(Bucket=bucket, Id="x")
    assert error_code(exc) == "NotImplemented"
