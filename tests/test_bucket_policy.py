"""Bucket policies: validated as AWS validates them, stored as sent, and GetBucketPolicyStatus."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code, status
from tests.harness.clients import unique_bucket_name


@pytest.fixture
def open_bucket(s3) -> str:  # type: ignore[no-untyped-def]
    """A bucket without Block Public Access, so public policies can be put."""
    name = unique_bucket_name("pol")
    s3.create_bucket(Bucket=name)
    s3.delete_public_access_block(Bucket=name)
    return name


def statement(bucket: str, principal: object = "*", condition: dict | None = None) -> str:  # type: ignore[type-arg]
    body: dict[str, object] = {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject",
                               "Resource": f"arn:aws:s3:::{bucket}/*"}
    if condition is not None:
        body["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [body]})


def test_policy_round_trip(s3, open_bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=open_bucket)
    assert error_code(exc) == "NoSuchBucketPolicy" and status(exc) == 404
    text = '{ "Version":"2012-10-17",\n  "Statement":[{"Sid":"r","Effect":"Allow","Principal":{"AWS":' \
           f'"arn:aws:iam::111122223333:root"}},"Action":["s3:GetObject"],"Resource":"arn:aws:s3:::{open_bucket}/*"}}]}}'
    answer = s3.put_bucket_policy(Bucket=open_bucket, Policy=text)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_bucket_policy(Bucket=open_bucket)["Policy"] == text  # as sent, whitespace and all
    s3.delete_bucket_policy(Bucket=open_bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=open_bucket)
    assert error_code(exc) == "NoSuchBucketPolicy"
    s3.delete_bucket_policy(Bucket=open_bucket)  # deleting nothing is a 204 too
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket="no-such-bucket-policy", Policy=statement("no-such-bucket-policy"))
    assert error_code(exc) == "NoSuchBucket"


@pytest.mark.parametrize("policy,message", [
    ("not json", "Policies must be valid JSON and the first byte must be '{'"),
    ('{"Statement": [', "This policy contains invalid Json"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:Fly", '
     '"Resource": "arn:aws:s3:::{b}/*"}]}', "Policy has invalid action"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", '
     '"Resource": "arn:aws:s3:::another-bucket/*"}]}', "Policy has invalid resource"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
     '"Resource": "arn:aws:s3:::{b}/*"}]}', "Missing required field Principal"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", '
     '"Resource": "arn:aws:s3:::{b}/*", "Sid": "' + "x" * 21000 + '"}]}',
     "Policy exceeds the maximum allowed document size."),
])
def test_malformed_policies(s3, open_bucket, policy, message):
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=open_bucket, Policy=policy.replace("{b}", open_bucket))
    assert error_code(exc) == "MalformedPolicy" and status(exc) == 400
    assert exc.value.response["Error"]["Message"] == message


@pytest.mark.parametrize("principal,condition,public", [
    ("*", None, True),
    ({"AWS": "*"}, None, True),
    ({"AWS": "arn:aws:iam::111122223333:root"}, None, False),
    ({"Service": "logging.s3.amazonaws.com"}, None, False),
    ("*", {"StringEquals": {"aws:SourceVpc": "vpc-91237329"}}, False),
    ("*", {"StringLike": {"aws:SourceVpc": "vpc-*"}}, True),
    ("*", {"StringNotEquals": {"aws:SourceAccount": "111122223333"}}, True),
    ("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}, False),
    ("*", {"StringEquals": {"aws:PrincipalOrgID": "${aws:username}"}}, True),
    ("*", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, False),
    ("*", {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, True),
    ("*", {"StringEquals": {"s3:prefix": "home/"}}, True),
])
def test_policy_status(s3, open_bucket, principal, condition, public):
    s3.put_bucket_policy(Bucket=open_bucket, Policy=statement(open_bucket, principal, condition))
    assert s3.get_bucket_policy_status(Bucket=open_bucket)["PolicyStatus"]["IsPublic"] is public


def test_policy_status_without_a_policy(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy_status(Bucket=bucket)
    assert error_code(exc) == "NoSuchBucketPolicy"
    s3.put_bucket_policy(Bucket=bucket, Policy=statement(bucket, {"AWS": "111122223333"}))  # not public: allowed
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
