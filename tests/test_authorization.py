"""Authorization within one account, and for anonymous callers: identity policies, bucket policies,
an explicit Deny over the root, presigned URLs and POST forms as their signer, 403 for a missing
key without s3:ListBucket, Block Public Access and condition keys. Each case shows the denial too.
(Other accounts: test_authorization_accounts.py.)"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.harness.assertions import error_code_of
from tests.harness.awscli import aws_cli
from tests.harness.clients import make_client, unique_bucket_name
from tests.harness.iam import SETTLE_S, allow, client, deny, document, failure, new_user

ROOT_ARN = "arn:aws:iam::000000000000:root"
DENIED = ("AccessDenied", 403)
UPSTREAM_POLICY = ("upstream-s3gate", "upstream-moto")
NOT_ON_UPSTREAM = "on an upstream the gateway checks only the caller's identity policies; the upstream's bucket " \
                  "policy sees the gateway's own upstream account"
MOTO = "moto does not enforce bucket policies or ACLs for anonymous callers"


def objects(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}/*"


@pytest.fixture
def open_bucket(s3) -> str:  # type: ignore[no-untyped-def]
    """A bucket without Block Public Access, holding one object ``k``."""
    name = unique_bucket_name("az")
    s3.create_bucket(Bucket=name)
    s3.delete_public_access_block(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"data")
    return name


def test_user_needs_an_identity_policy(server, s3, open_bucket):
    _, nobody = new_user(server.endpoint)
    assert failure(nobody.get_object, Bucket=open_bucket, Key="k") == DENIED
    assert failure(nobody.put_object, Bucket=open_bucket, Key="new", Body=b"x") == DENIED
    assert failure(nobody.list_buckets) == DENIED
    _, reader = new_user(server.endpoint, allow("s3:GetObject", objects(open_bucket)))
    assert reader.get_object(Bucket=open_bucket, Key="k")["Body"].read() == b"data"
    assert failure(reader.put_object, Bucket=open_bucket, Key="new", Body=b"x") == DENIED
    assert failure(reader.delete_object, Bucket=open_bucket, Key="k") == DENIED
    assert s3.get_object(Bucket=open_bucket, Key="k")["Body"].read() == b"data"  # nothing was deleted


def test_explicit_deny_in_the_identity_policy_wins(server, open_bucket):
    _, user = new_user(server.endpoint, allow("s3:*"), deny("s3:GetObject", f"arn:aws:s3:::{open_bucket}/k"))
    assert failure(user.get_object, Bucket=open_bucket, Key="k") == DENIED
    user.put_object(Bucket=open_bucket, Key="other", Body=b"x")
    assert user.get_object(Bucket=open_bucket, Key="other")["Body"].read() == b"x"


@pytest.mark.differs(*UPSTREAM_POLICY, reason=NOT_ON_UPSTREAM)
def test_bucket_policy_grants_a_user_of_the_account(server, s3, open_bucket):
    name, user = new_user(server.endpoint)
    assert failure(user.get_object, Bucket=open_bucket, Key="k") == DENIED
    s3.put_bucket_policy(Bucket=open_bucket, Policy=document(allow(
        "s3:GetObject", objects(open_bucket), Principal={"AWS": f"arn:aws:iam::000000000000:user/{name}"})))
    assert user.get_object(Bucket=open_bucket, Key="k")["Body"].read() == b"data"
    assert failure(user.put_object, Bucket=open_bucket, Key="k", Body=b"x") == DENIED


@pytest.mark.differs("upstream-s3gate", reason=NOT_ON_UPSTREAM)
def test_aws_cli_user_policy_and_bucket_policy(server, s3, open_bucket, tmp_path):
    name = unique_bucket_name("cli")
    assert aws_cli(server.endpoint, "iam", "create-user", "--user-name", name).returncode == 0
    made = aws_cli(server.endpoint, "--output", "json", "iam", "create-access-key", "--user-name", name)
    key = json.loads(made.stdout)["AccessKey"]
    as_user = {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}
    time.sleep(SETTLE_S)
    target = tmp_path / "got"
    refused = aws_cli(server.endpoint, "s3api", "get-object", "--bucket", open_bucket, "--key", "k", str(target),
                      **as_user)
    assert refused.returncode != 0 and "AccessDenied" in refused.stderr
    policy = document(allow("s3:GetObject", objects(open_bucket)))
    put = aws_cli(server.endpoint, "iam", "put-user-policy", "--user-name", name, "--policy-name", "read",
                  "--policy-document", policy)
    assert put.returncode == 0, put.stderr
    time.sleep(SETTLE_S)
    got = aws_cli(server.endpoint, "s3api", "get-object", "--bucket", open_bucket, "--key", "k", str(target), **as_user)
    assert got.returncode == 0, got.stderr
    assert target.read_bytes() == b"data"
    # a bucket policy (put with the CLI) denying the user wins over its Allow
    denial = document(deny("s3:GetObject", objects(open_bucket),
                           Principal={"AWS": f"arn:aws:iam::000000000000:user/{name}"}))
    put = aws_cli(server.endpoint, "s3api", "put-bucket-policy", "--bucket", open_bucket, "--policy", denial)
    assert put.returncode == 0, put.stderr
    refused = aws_cli(server.endpoint, "s3api", "get-object", "--bucket", open_bucket, "--key", "k", str(target),
                      **as_user)
    assert refused.returncode != 0 and "AccessDenied" in refused.stderr


def test_bucket_policy_deny_binds_the_root_but_not_for_the_policy_itself(s3, open_bucket):
    s3.put_bucket_policy(Bucket=open_bucket, Policy=document(
        deny("s3:GetObject", objects(open_bucket), Principal={"AWS": ROOT_ARN})))
    assert failure(s3.get_object, Bucket=open_bucket, Key="k") == DENIED
    s3.put_object(Bucket=open_bucket, Key="k2", Body=b"x")  # only GetObject is denied
    assert json.loads(s3.get_bucket_policy(Bucket=open_bucket)["Policy"])["Statement"][0]["Effect"] == "Deny"
    s3.delete_bucket_policy(Bucket=open_bucket)
    assert s3.get_object(Bucket=open_bucket, Key="k")["Body"].read() == b"data"


def test_root_can_always_manage_the_bucket_policy(s3, open_bucket):
    s3.put_bucket_policy(Bucket=open_bucket, Policy=document(
        deny(["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:GetObject"],
             [f"arn:aws:s3:::{open_bucket}", objects(open_bucket)], Principal="*")))
    assert failure(s3.get_object, Bucket=open_bucket, Key="k") == DENIED
    s3.get_bucket_policy(Bucket=open_bucket)
    s3.delete_bucket_policy(Bucket=open_bucket)
    assert s3.get_object(Bucket=open_bucket, Key="k")["Body"].read() == b"data"


# -- anonymous ------------------------------------------------------------------------------------------
@pytest.mark.differs("upstream-moto", reason=MOTO)
def test_anonymous_read_through_a_public_bucket_policy(server, s3):
    name = unique_bucket_name("pub")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"public")
    public = document(allow("s3:GetObject", objects(name), Principal="*"))
    assert failure(s3.put_bucket_policy, Bucket=name, Policy=public) == DENIED  # BlockPublicPolicy, by default
    response = httpx.get(f"{server.endpoint}/{name}/k")
    assert response.status_code == 403 and error_code_of(response) == "AccessDenied"
    s3.delete_public_access_block(Bucket=name)
    s3.put_bucket_policy(Bucket=name, Policy=public)
    response = httpx.get(f"{server.endpoint}/{name}/k")
    assert response.status_code == 200 and response.content == b"public"
    # the policy grants reading, not writing or listing
    assert httpx.put(f"{server.endpoint}/{name}/k", content=b"vandal").status_code == 403
    assert httpx.get(f"{server.endpoint}/{name}").status_code == 403
    missing = httpx.get(f"{server.endpoint}/{name}/nope")  # no s3:ListBucket: a missing key is 403
    assert missing.status_code == 403 and error_code_of(missing) == "AccessDenied"
    # RestrictPublicBuckets: the public policy no longer lets anyone outside the account in
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    assert httpx.get(f"{server.endpoint}/{name}/k").status_code == 403
    assert s3.get_object(Bucket=name, Key="k")["Body"].read() == b"public"


def test_anonymous_without_a_grant_and_on_a_missing_bucket(server, open_bucket):
    response = httpx.get(f"{server.endpoint}/{open_bucket}/k")
    assert response.status_code == 403 and error_code_of(response) == "AccessDenied"
    head = httpx.head(f"{server.endpoint}/{open_bucket}/k")
    assert head.status_code == 403 and head.content == b""
    missing = httpx.get(f"{server.endpoint}/{unique_bucket_name('none')}/k")
    assert missing.status_code == 404 and error_code_of(missing) == "NoSuchBucket"


@pytest.mark.differs("upstream-moto", reason=MOTO)
def test_all_users_acl_under_legacy_defaults_and_the_acl_flags(make_server):
    srv = make_server(args=["--bucket-defaults", "legacy"]).start()
    s3 = make_client(srv.endpoint)
    name = unique_bucket_name("acl")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="open", Body=b"o", ACL="public-read")
    s3.put_object(Bucket=name, Key="closed", Body=b"c")
    assert httpx.get(f"{srv.endpoint}/{name}/open").content == b"o"
    assert httpx.get(f"{srv.endpoint}/{name}/closed").status_code == 403
    assert httpx.get(f"{srv.endpoint}/{name}").status_code == 403  # the bucket ACL grants no listing
    s3.put_bucket_acl(Bucket=name, ACL="public-read")
    assert httpx.get(f"{srv.endpoint}/{name}").status_code == 200
    # IgnorePublicAcls: the public grants stop counting (and stay stored)
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    assert httpx.get(f"{srv.endpoint}/{name}/open").status_code == 403
    assert httpx.get(f"{srv.endpoint}/{name}").status_code == 403
    # BlockPublicAcls: a public ACL cannot be set any more
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    assert httpx.get(f"{srv.endpoint}/{name}/open").content == b"o"
    assert failure(s3.put_object_acl, Bucket=name, Key="closed", ACL="public-read") == DENIED
    assert httpx.get(f"{srv.endpoint}/{name}/closed").status_code == 403


# -- presigned URLs and POST forms act as their signer, with its permissions at the time of use -----------
def test_presigned_url_stops_working_when_its_signer_loses_permission(server, open_bucket):
    name, user = new_user(server.endpoint, allow("s3:GetObject", objects(open_bucket)))
    url = user.generate_presigned_url("get_object", Params={"Bucket": open_bucket, "Key": "k"})
    assert httpx.get(url).content == b"data"
    client("iam", server.endpoint).delete_user_policy(UserName=name, PolicyName="p")
    time.sleep(SETTLE_S)
    response = httpx.get(url)
    assert response.status_code == 403 and error_code_of(response) == "AccessDenied"


def test_post_form_is_authorized_as_its_signer(server, s3, open_bucket):
    name, user = new_user(server.endpoint, allow("s3:PutObject", objects(open_bucket)))
    form = user.generate_presigned_post(open_bucket, "posted")
    assert httpx.post(form["url"], data=form["fields"], files={"file": ("f", b"form")}).status_code == 204
    assert s3.get_object(Bucket=open_bucket, Key="posted")["Body"].read() == b"form"
    client("iam", server.endpoint).delete_user_policy(UserName=name, PolicyName="p")
    time.sleep(SETTLE_S)
    form = user.generate_presigned_post(open_bucket, "posted2")
    response = httpx.post(form["url"], data=form["fields"], files={"file": ("f", b"form")})
    assert response.status_code == 403 and error_code_of(response) == "AccessDenied"
    assert failure(s3.head_object, Bucket=open_bucket, Key="posted2")[1] == 404


# -- a missing key is 403 unless the caller may list the bucket ------------------------------------------
def test_missing_key_is_403_without_list_bucket(server, open_bucket):
    _, reader = new_user(server.endpoint, allow("s3:GetObject", objects(open_bucket)))
    assert failure(reader.get_object, Bucket=open_bucket, Key="nope") == DENIED
    assert failure(reader.head_object, Bucket=open_bucket, Key="nope") == ("403", 403)
    _, lister = new_user(server.endpoint, allow("s3:GetObject", objects(open_bucket)),
                         allow("s3:ListBucket", f"arn:aws:s3:::{open_bucket}"))
    assert failure(lister.get_object, Bucket=open_bucket, Key="nope") == ("NoSuchKey", 404)
    assert failure(lister.head_object, Bucket=open_bucket, Key="nope") == ("404", 404)


# -- condition keys -------------------------------------------------------------------------------------
def test_source_ip_condition(server, open_bucket):
    _, local = new_user(server.endpoint, allow("s3:GetObject", objects(open_bucket),
                                               Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}))
    assert local.get_object(Bucket=open_bucket, Key="k")["Body"].read() == b"data"
    _, elsewhere = new_user(server.endpoint, allow("s3:GetObject", objects(open_bucket),
                                                   Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    assert failure(elsewhere.get_object, Bucket=open_bucket, Key="k") == DENIED


@pytest.mark.differs(*UPSTREAM_POLICY, reason="the upstream's bucket policy sees the gateway's own plain-HTTP "
                     "connection, not the client's TLS")
def test_secure_transport_condition(s3_tls):
    name = unique_bucket_name("tls")
    s3_tls.create_bucket(Bucket=name)
    s3_tls.put_object(Bucket=name, Key="k", Body=b"x")
    s3_tls.put_bucket_policy(Bucket=name, Policy=document(deny(
        "s3:GetObject", objects(name), Principal="*", Condition={"Bool": {"aws:SecureTransport": "false"}})))
    assert s3_tls.get_object(Bucket=name, Key="k")["Body"].read() == b"x"  # over TLS: the Deny does not apply
    s3_tls.put_bucket_policy(Bucket=name, Policy=document(deny(
        "s3:GetObject", objects(name), Principal="*", Condition={"Bool": {"aws:SecureTransport": "true"}})))
    assert failure(s3_tls.get_object, Bucket=name, Key="k") == DENIED


def test_prefix_condition_on_listing(server, open_bucket):
    _, user = new_user(server.endpoint, allow("s3:ListBucket", f"arn:aws:s3:::{open_bucket}",
                                              Condition={"StringEquals": {"s3:prefix": "home/"}}))
    assert user.list_objects_v2(Bucket=open_bucket, Prefix="home/")["KeyCount"] == 0
    assert failure(user.list_objects_v2, Bucket=open_bucket) == DENIED
    assert failure(user.list_objects_v2, Bucket=open_bucket, Prefix="other/") == DENIED


def test_canned_acl_condition(server, s3, open_bucket):
    _, user = new_user(server.endpoint, allow("s3:PutObject", objects(open_bucket), Condition={
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}))
    assert failure(user.put_object, Bucket=open_bucket, Key="a", Body=b"x") == DENIED
    user.put_object(Bucket=open_bucket, Key="a", Body=b"x", ACL="bucket-owner-full-control")
    assert s3.get_object(Bucket=open_bucket, Key="a")["Body"].read() == b"x"
