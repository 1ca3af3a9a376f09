"""ACLs stored and answered as S3 does: canned, grant headers and bodies, per version, on every write.

These run on buckets with ACLs enabled (ObjectWriter) and Block Public Access off, as an ACL user
sets them up on AWS since 2023; the refusals of the defaults are in test_ownership.py.
"""

from __future__ import annotations

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code, error_code_of, status
from tests.harness.clients import unique_bucket_name
from tests.harness.rawhttp import signed

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
EC2 = "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c"


@pytest.fixture
def acl_bucket(s3) -> str:  # type: ignore[no-untyped-def]
    name = unique_bucket_name("acl")
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket=name)
    return name


@pytest.fixture(scope="module")
def owner(s3) -> str:  # type: ignore[no-untyped-def]
    return str(s3.list_buckets()["Owner"]["ID"])


def grants(answer: dict) -> set[tuple[str, str, str]]:  # type: ignore[type-arg]
    return {(g["Grantee"]["Type"], g["Grantee"].get("ID") or g["Grantee"].get("URI"), g["Permission"])
            for g in answer["Grants"]}


def expected(canned: str, owner: str) -> set[tuple[str, str, str]]:
    me = ("CanonicalUser", owner, "FULL_CONTROL")
    return {"private": {me}, "public-read": {me, ("Group", ALL_USERS, "READ")},
            "public-read-write": {me, ("Group", ALL_USERS, "READ"), ("Group", ALL_USERS, "WRITE")},
            "authenticated-read": {me, ("Group", AUTHENTICATED, "READ")},
            "aws-exec-read": {me, ("CanonicalUser", EC2, "READ")},
            "bucket-owner-read": {me, ("CanonicalUser", owner, "READ")},
            "bucket-owner-full-control": {me},
            "log-delivery-write": {me, ("Group", LOG_DELIVERY, "WRITE"), ("Group", LOG_DELIVERY, "READ_ACP")}}[canned]


# The upstream backend sends a write's ACL as x-amz-grant-* headers, which moto ignores on PutObject.
MOTO_IGNORES_GRANT_HEADERS = pytest.mark.differs("upstream-moto", reason="moto ignores x-amz-grant-* headers on "
                                                                         "PutObject (the object stays private)")
CANNED = ["private", *(pytest.param(c, marks=MOTO_IGNORES_GRANT_HEADERS) for c in (
    "public-read", "public-read-write", "authenticated-read", "aws-exec-read", "bucket-owner-read")),
    "bucket-owner-full-control", pytest.param("log-delivery-write", marks=MOTO_IGNORES_GRANT_HEADERS)]


@pytest.mark.parametrize("canned", CANNED)
def test_canned_acl_round_trips_on_objects(s3, acl_bucket, owner, canned):
    s3.put_object(Bucket=acl_bucket, Key="put", Body=b"x", ACL=canned)
    answer = s3.get_object_acl(Bucket=acl_bucket, Key="put")
    assert answer["Owner"]["ID"] == owner and answer["Owner"]["DisplayName"] == "s3gate"
    assert grants(answer) == expected(canned, owner)
    s3.put_object(Bucket=acl_bucket, Key="later", Body=b"x")
    assert grants(s3.get_object_acl(Bucket=acl_bucket, Key="later")) == expected("private", owner)
    s3.put_object_acl(Bucket=acl_bucket, Key="later", ACL=canned)
    assert grants(s3.get_object_acl(Bucket=acl_bucket, Key="later")) == expected(canned, owner)


@pytest.mark.parametrize("canned", ["private", "public-read", "authenticated-read", "log-delivery-write"])
def test_canned_acl_round_trips_on_buckets(s3, acl_bucket, owner, canned):
    s3.put_bucket_acl(Bucket=acl_bucket, ACL=canned)
    answer = s3.get_bucket_acl(Bucket=acl_bucket)
    assert answer["Owner"]["ID"] == owner and grants(answer) == expected(canned, owner)


@MOTO_IGNORES_GRANT_HEADERS
def test_grant_headers_round_trip(s3, acl_bucket, owner):
    s3.put_object(Bucket=acl_bucket, Key="k", Body=b"x", GrantFullControl=f'id="{owner}"',
                  GrantRead=f'uri="{ALL_USERS}", uri="{AUTHENTICATED}"', GrantReadACP=f"uri={LOG_DELIVERY}")
    assert grants(s3.get_object_acl(Bucket=acl_bucket, Key="k")) == {
        ("CanonicalUser", owner, "FULL_CONTROL"), ("Group", ALL_USERS, "READ"), ("Group", AUTHENTICATED, "READ"),
        ("Group", LOG_DELIVERY, "READ_ACP")}
    s3.put_object_acl(Bucket=acl_bucket, Key="k", GrantWrite=f'uri="{ALL_USERS}"')
    assert grants(s3.get_object_acl(Bucket=acl_bucket, Key="k")) == {("Group", ALL_USERS, "WRITE")}
    s3.put_bucket_acl(Bucket=acl_bucket, GrantWriteACP=f'uri="{LOG_DELIVERY}"', GrantFullControl=f'id="{owner}"')
    assert grants(s3.get_bucket_acl(Bucket=acl_bucket)) == {("CanonicalUser", owner, "FULL_CONTROL"),
                                                           ("Group", LOG_DELIVERY, "WRITE_ACP")}


def test_access_control_policy_bodies_round_trip(s3, acl_bucket, owner):
    policy = {"Owner": {"ID": owner}, "Grants": [
        {"Grantee": {"Type": "CanonicalUser", "ID": owner}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}]}
    s3.put_bucket_acl(Bucket=acl_bucket, AccessControlPolicy=policy)
    assert grants(s3.get_bucket_acl(Bucket=acl_bucket)) == {("CanonicalUser", owner, "FULL_CONTROL"),
                                                           ("Group", ALL_USERS, "READ")}
    s3.put_object(Bucket=acl_bucket, Key="k", Body=b"x")
    s3.put_object_acl(Bucket=acl_bucket, Key="k", AccessControlPolicy=policy)
    assert grants(s3.get_object_acl(Bucket=acl_bucket, Key="k")) == {("CanonicalUser", owner, "FULL_CONTROL"),
                                                                    ("Group", ALL_USERS, "READ")}


def test_acl_errors(s3, server, acl_bucket, owner):
    s3.put_object(Bucket=acl_bucket, Key="k", Body=b"x")
    cases = [
        (dict(ACL="public-read", GrantRead=f'uri="{ALL_USERS}"'), "InvalidRequest"),
        (dict(GrantRead='id="' + "0" * 64 + '"'), "InvalidArgument"),
        (dict(GrantRead='emailAddress="nobody@example.com"'), "UnresolvableGrantByEmailAddress"),
        (dict(GrantRead="garbage"), "InvalidArgument"),
        (dict(GrantRead='uri="http://acs.amazonaws.com/groups/global/Nobody"'), "InvalidArgument"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket=acl_bucket, Key="k2", Body=b"x", **kwargs)
        assert error_code(exc) == code and status(exc) == 400, kwargs
        with pytest.raises(ClientError) as exc:
            s3.put_object_acl(Bucket=acl_bucket, Key="k", **kwargs)
        assert error_code(exc) == code, kwargs
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=acl_bucket, Key="k2", Body=b"x", ACL="everyone")
    assert error_code(exc) == "InvalidArgument"
    bad = b"<AccessControlPolicy><AccessControlList><Grant><Permission>READ</Permission></Grant>" \
          b"</AccessControlList></AccessControlPolicy>"
    for body, code in ((bad, "MalformedACLError"), (b"<AccessControlPolicy>", "MalformedACLError")):
        answer = signed(server, "PUT", f"/{acl_bucket}/k?acl", body=body)
        assert answer.status_code == 400 and error_code_of(answer) == code
    nothing = signed(server, "PUT", f"/{acl_bucket}?acl")
    assert nothing.status_code == 400 and error_code_of(nothing) == "MissingSecurityHeader"
    both = signed(server, "PUT", f"/{acl_bucket}?acl", headers={"x-amz-acl": "private"},
                  body=b"<AccessControlPolicy><AccessControlList/></AccessControlPolicy>")
    assert both.status_code == 400 and error_code_of(both) == "UnexpectedContent"
    assert grants(s3.get_object_acl(Bucket=acl_bucket, Key="k")) == expected("private", owner)


@pytest.mark.differs("upstream-moto", reason="moto ignores x-amz-grant-* headers on PutObject and sends no "
                                             "x-amz-version-id with ACL answers")
def test_object_acls_are_per_version(s3, acl_bucket, owner):
    s3.put_bucket_versioning(Bucket=acl_bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=acl_bucket, Key="k", Body=b"1", ACL="public-read")["VersionId"]
    v2 = s3.put_object(Bucket=acl_bucket, Key="k", Body=b"2")["VersionId"]
    assert grants(s3.get_object_acl(Bucket=acl_bucket, Key="k")) == expected("private", owner)
    old = s3.get_object_acl(Bucket=acl_bucket, Key="k", VersionId=v1)
    assert grants(old) == expected("public-read", owner)
    assert old["ResponseMetadata"]["HTTPHeaders"]["x-amz-version-id"] == v1
    answer = s3.put_object_acl(Bucket=acl_bucket, Key="k", VersionId=v1, ACL="private")
    assert answer["ResponseMetadata"]["HTTPHeaders"]["x-amz-version-id"] == v1
    assert grants(s3.get_object_acl(Bucket=acl_bucket, Key="k", VersionId=v1)) == expected("private", owner)
    assert s3.get_object(Bucket=acl_bucket, Key="k")["VersionId"] == v2  # no new version


def test_copies_uploads_and_forms_get_the_requests_acl(s3, s3v4, acl_bucket, owner):
    s3.put_object(Bucket=acl_bucket, Key="src", Body=b"x", ACL="public-read")
    s3.copy_object(Bucket=acl_bucket, Key="plain-copy", CopySource={"Bucket": acl_bucket, "Key": "src"})
    assert grants(s3.get_object_acl(Bucket=acl_bucket, Key="plain-copy")) == expected("private", owner)
    s3.copy_object(Bucket=acl_bucket, Key="copy", CopySource={"Bucket": acl_bucket, "Key": "src"},
                   ACL="authenticated-read")
    assert grants(s3.get_object_acl(Bucket=acl_bucket, Key="copy")) == expected("authenticated-read", owner)
    upload = s3.create_multipart_upload(Bucket=acl_bucket, Key="mp", ACL="public-read")["UploadId"]
    etag = s3.upload_part(Bucket=acl_bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"p")["ETag"]
    s3.complete_multipart_upload(Bucket=acl_bucket, Key="mp", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert grants(s3.get_object_acl(Bucket=acl_bucket, Key="mp")) == expected("public-read", owner)
    presigned = s3v4.generate_presigned_post(acl_bucket, "form", Fields={"acl": "public-read"},
                                             Conditions=[{"acl": "public-read"}])
    response = httpx.post(presigned["url"], data=presigned["fields"], files={"file": ("f", b"body", "text/plain")})
    assert response.status_code == 204, response.text
    assert grants(s3.get_object_acl(Bucket=acl_bucket, Key="form")) == expected("public-read", owner)


def test_acl_of_missing_things(s3, acl_bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_object_acl(Bucket=acl_bucket, Key="missing")
    assert error_code(exc) == "NoSuchKey"
    with pytest.raises(ClientError) as exc:
        s3.put_object_acl(Bucket=acl_bucket, Key="missing", ACL="private")
    assert error_code(exc) == "NoSuchKey"
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_acl(Bucket="no-such-bucket-acl")
    assert error_code(exc) == "NoSuchBucket"
