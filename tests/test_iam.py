"""The IAM API and STS GetCallerIdentity on the gateway's endpoint, through boto3 and the aws CLI.

Users, keys, groups and policies made through the API sign S3 requests within a second (in every
worker, after restarts), inactive and deleted keys are refused, IAM's errors and codes, identity
policies decide who may call IAM, and accounts cannot see each other's users. The identities live
in the gateway's data dir on every backend (upstream ones included).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.harness.awscli import aws_cli
from tests.harness.clients import ACCESS_KEY, SECRET_KEY, make_client, unique_bucket_name

ALLOW_ALL_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
PARTNER = "222233334444"


def allow(*actions: str, resource: str = "*") -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}]})


def client(service: str, endpoint: str, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY) -> Any:
    return boto3.client(service, endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                        region_name="us-east-1", config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def failure(call: Any, *args: Any, **kwargs: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as exc:
        call(*args, **kwargs)
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def unique(prefix: str = "u") -> str:
    return unique_bucket_name(prefix)


def new_user(iam: Any, name: str | None = None, **policy: str) -> tuple[str, str, str]:
    """(name, access key, secret) of a fresh user with the inline policies given (name=document)."""
    name = name or unique()
    iam.create_user(UserName=name)
    for policy_name, document in policy.items():
        iam.put_user_policy(UserName=name, PolicyName=policy_name, PolicyDocument=document)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, key["AccessKeyId"], key["SecretAccessKey"]


def aws(endpoint: str, *args: str, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY
        ) -> subprocess.CompletedProcess[str]:
    return aws_cli(endpoint, "--output", "json", *args, access_key=access_key, secret_key=secret_key, timeout=60)


def test_caller_identity_of_the_root_and_of_a_user(server):
    sts = client("sts", server.endpoint)
    me = sts.get_caller_identity()
    root = "arn:aws:iam::000000000000:root"
    assert (me["Account"], me["UserId"], me["Arn"]) == ("000000000000", "000000000000", root)
    name, key, secret = new_user(client("iam", server.endpoint))
    them = client("sts", server.endpoint, key, secret).get_caller_identity()  # needs no permission
    assert them["Arn"] == f"arn:aws:iam::000000000000:user/{name}" and them["Account"] == "000000000000"
    assert them["UserId"].startswith("AIDA") and len(them["UserId"]) == 21


def test_a_new_users_keys_sign_s3_requests(server):
    iam = client("iam", server.endpoint)
    name, key, secret = new_user(iam, s3=json.dumps(ALLOW_ALL_S3))
    assert key.startswith("AKIA") and len(key) == 20 and len(secret) == 40
    s3 = make_client(server.endpoint, access_key=key, secret_key=secret)
    bucket = unique_bucket_name()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"by an IAM user")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"by an IAM user"
    # the user's account owns what it creates: its root sees the bucket in ListBuckets
    assert bucket in [b["Name"] for b in make_client(server.endpoint).list_buckets()["Buckets"]]
    user = iam.get_user(UserName=name)["User"]
    assert user["Arn"] == f"arn:aws:iam::000000000000:user/{name}" and user["Path"] == "/"
    assert user["UserId"].startswith("AIDA") and name in [u["UserName"] for u in iam.list_users()["Users"]]


def test_inactive_and_deleted_keys_are_refused(server):
    iam = client("iam", server.endpoint)
    name, key, secret = new_user(iam, s3=allow("s3:ListAllMyBuckets"))
    s3 = make_client(server.endpoint, access_key=key, secret_key=secret)
    s3.list_buckets()
    iam.update_access_key(UserName=name, AccessKeyId=key, Status="Inactive")
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Inactive"
    assert failure(s3.list_buckets) == ("InvalidAccessKeyId", 403)
    assert failure(client("sts", server.endpoint, key, secret).get_caller_identity) == ("InvalidClientTokenId", 403)
    iam.update_access_key(UserName=name, AccessKeyId=key, Status="Active")
    s3.list_buckets()
    iam.delete_access_key(UserName=name, AccessKeyId=key)
    assert failure(s3.list_buckets) == ("InvalidAccessKeyId", 403)
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"] == []


def test_changes_reach_every_worker_within_a_second(make_server):
    srv = make_server(args=["--workers", "3"]).start()
    iam = client("iam", srv.endpoint)
    deadline = time.monotonic() + 15
    while True:  # the port opens before every worker has started
        try:
            iam.list_users()
            break
        except Exception:  # noqa: BLE001
            assert time.monotonic() < deadline
            time.sleep(0.2)
    time.sleep(1)
    name, key, secret = new_user(iam, s3=allow("s3:ListAllMyBuckets"))
    time.sleep(1.0)
    for _ in range(9):  # fresh connections, spread over the workers by the kernel
        fresh = make_client(srv.endpoint, access_key=key, secret_key=secret)
        fresh.list_buckets()
        fresh.close()
    iam.update_access_key(UserName=name, AccessKeyId=key, Status="Inactive")
    time.sleep(1.0)
    for _ in range(9):
        fresh = make_client(srv.endpoint, access_key=key, secret_key=secret)
        assert failure(fresh.list_buckets) == ("InvalidAccessKeyId", 403)
        fresh.close()


def test_identities_survive_a_restart(make_server):
    srv = make_server().start()
    iam = client("iam", srv.endpoint)
    name, key, secret = new_user(iam, s3=json.dumps(ALLOW_ALL_S3))
    iam.create_group(GroupName="ops")
    iam.add_user_to_group(GroupName="ops", UserName=name)
    srv.stop()
    srv.start()
    make_client(srv.endpoint, access_key=key, secret_key=secret).list_buckets()
    assert [u["UserName"] for u in iam.get_group(GroupName="ops")["Users"]] == [name]
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["s3"]


def test_errors_and_their_codes(server):
    iam = client("iam", server.endpoint)
    assert failure(iam.get_user, UserName="nobody-" + unique()) == ("NoSuchEntity", 404)
    name, _, _ = new_user(iam)
    assert failure(iam.create_user, UserName=name) == ("EntityAlreadyExists", 409)
    assert failure(iam.create_user, UserName=name.upper()) == ("EntityAlreadyExists", 409)  # names ignore case
    assert failure(iam.delete_user, UserName=name) == ("DeleteConflict", 409)  # it has a key
    iam.create_access_key(UserName=name)
    assert failure(iam.create_access_key, UserName=name) == ("LimitExceeded", 409)  # two per user
    assert failure(iam.put_user_policy, UserName=name, PolicyName="p", PolicyDocument="{not json") == \
        ("MalformedPolicyDocument", 400)
    assert failure(iam.put_user_policy, UserName=name, PolicyName="p",
                   PolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}')[0] == \
        "MalformedPolicyDocument"
    assert failure(iam.create_user, UserName="bad/name") == ("ValidationError", 400)
    assert failure(iam.get_user_policy, UserName=name, PolicyName="none") == ("NoSuchEntity", 404)
    assert failure(iam.update_access_key, UserName=name, AccessKeyId="AKIANOSUCHKEY0000000", Status="Active") == \
        ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName="nobody")
    assert exc.value.response["Error"]["Type"] == "Sender"
    assert exc.value.response["Error"]["Message"] == "The user with name nobody cannot be found."


def test_policies_round_trip_url_encoded_and_deletion_order(server):
    iam = client("iam", server.endpoint)
    name, key, _ = new_user(iam)
    document = allow("s3:GetObject", resource="arn:aws:s3:::b/a b&c")
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=document)
    got = iam.get_user_policy(UserName=name, PolicyName="read")
    assert got["PolicyDocument"] == json.loads(document)  # botocore decodes IAM's URL-encoded documents
    policy = iam.create_policy(PolicyName=unique("p"), PolicyDocument=json.dumps(ALLOW_ALL_S3),
                               Description="all of S3")["Policy"]
    assert policy["Arn"] == f"arn:aws:iam::000000000000:policy/{policy['PolicyName']}"
    assert policy["DefaultVersionId"] == "v1" and policy["PolicyId"].startswith("ANPA")
    iam.attach_user_policy(UserName=name, PolicyArn=policy["Arn"])
    assert iam.list_attached_user_policies(UserName=name)["AttachedPolicies"] == \
        [{"PolicyName": policy["PolicyName"], "PolicyArn": policy["Arn"]}]
    assert iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["AttachmentCount"] == 1
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v1")["PolicyVersion"]
    assert version["Document"] == ALLOW_ALL_S3 and version["IsDefaultVersion"] is True
    assert policy["Arn"] in [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]]
    assert failure(iam.delete_policy, PolicyArn=policy["Arn"]) == ("DeleteConflict", 409)
    assert failure(iam.delete_user, UserName=name) == ("DeleteConflict", 409)
    iam.detach_user_policy(UserName=name, PolicyArn=policy["Arn"])
    iam.delete_policy(PolicyArn=policy["Arn"])
    assert failure(iam.get_policy, PolicyArn=policy["Arn"]) == ("NoSuchEntity", 404)
    iam.delete_user_policy(UserName=name, PolicyName="read")
    iam.delete_access_key(UserName=name, AccessKeyId=key)
    iam.delete_user(UserName=name)
    assert failure(iam.get_user, UserName=name) == ("NoSuchEntity", 404)


def test_a_user_needs_iam_permissions(server):
    iam = client("iam", server.endpoint)
    _, key, secret = new_user(iam)
    nobody = client("iam", server.endpoint, key, secret)
    assert failure(nobody.create_user, UserName=unique()) == ("AccessDenied", 403)
    assert failure(nobody.list_users) == ("AccessDenied", 403)
    assert failure(nobody.get_user) == ("AccessDenied", 403)  # even about itself
    _, key, secret = new_user(iam, admin=allow("iam:CreateUser", "iam:GetUser"))
    creator = client("iam", server.endpoint, key, secret)
    made = creator.create_user(UserName=unique("made"))["User"]
    assert creator.get_user(UserName=made["UserName"])["User"]["Arn"] == made["Arn"]
    assert failure(creator.delete_user, UserName=made["UserName"]) == ("AccessDenied", 403)
    assert failure(creator.create_access_key, UserName=made["UserName"]) == ("AccessDenied", 403)


def test_an_explicit_deny_and_resource_scoped_permissions(server):
    iam = client("iam", server.endpoint)
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::000000000000:user/team/*"},
        {"Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}]})
    _, key, secret = new_user(iam, scoped=document)
    scoped = client("iam", server.endpoint, key, secret)
    inside = unique("t")
    assert scoped.create_user(UserName=inside, Path="/team/")["User"]["Arn"] == \
        f"arn:aws:iam::000000000000:user/team/{inside}"
    assert failure(scoped.create_user, UserName=unique()) == ("AccessDenied", 403)  # path /
    assert failure(scoped.delete_user, UserName=inside) == ("AccessDenied", 403)  # the Deny wins
    assert iam.list_users(PathPrefix="/team/")["Users"][0]["UserName"] == inside


def test_group_policies_apply_to_members(server):
    iam = client("iam", server.endpoint)
    group = unique("g")
    assert iam.create_group(GroupName=group)["Group"]["Arn"] == f"arn:aws:iam::000000000000:group/{group}"
    name, key, secret = new_user(iam)
    member = client("iam", server.endpoint, key, secret)
    assert failure(member.list_groups) == ("AccessDenied", 403)
    iam.put_group_policy(GroupName=group, PolicyName="list", PolicyDocument=allow("iam:ListGroups"))
    iam.add_user_to_group(GroupName=group, UserName=name)
    assert group in [g["GroupName"] for g in member.list_groups()["Groups"]]
    policy = iam.create_policy(PolicyName=unique("p"), PolicyDocument=allow("iam:ListUsers"))["Policy"]
    iam.attach_group_policy(GroupName=group, PolicyArn=policy["Arn"])
    member.list_users()
    assert iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"][0]["PolicyArn"] == policy["Arn"]
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == ["list"]
    assert failure(iam.delete_group, GroupName=group) == ("DeleteConflict", 409)
    iam.remove_user_from_group(GroupName=group, UserName=name)
    assert failure(member.list_users) == ("AccessDenied", 403)
    assert iam.get_group(GroupName=group)["Users"] == []
    iam.detach_group_policy(GroupName=group, PolicyArn=policy["Arn"])
    iam.delete_group_policy(GroupName=group, PolicyName="list")
    iam.delete_group(GroupName=group)
    assert failure(iam.get_group, GroupName=group) == ("NoSuchEntity", 404)


def test_anonymous_and_badly_signed_iam_calls(server):
    import httpx

    answer = httpx.post(server.endpoint + "/", data={"Action": "ListUsers", "Version": "2010-05-08"})
    assert answer.status_code == 403 and b"<Code>MissingAuthenticationToken</Code>" in answer.content
    assert b'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"' in answer.content
    assert failure(client("iam", server.endpoint, ACCESS_KEY, "wrong").list_users) == ("SignatureDoesNotMatch", 403)
    assert failure(client("iam", server.endpoint, "AKIANOSUCHKEY0000000", "x").list_users) == \
        ("InvalidClientTokenId", 403)
    assert failure(client("iam", server.endpoint).list_roles)[0] == "InvalidAction"


def test_the_aws_cli(server):
    name = unique("cli")
    made = aws(server.endpoint, "iam", "create-user", "--user-name", name)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["User"]["UserName"] == name
    put = aws(server.endpoint, "iam", "put-user-policy", "--user-name", name, "--policy-name", "all",
              "--policy-document", json.dumps(ALLOW_ALL_S3))
    assert put.returncode == 0, put.stderr
    keys = aws(server.endpoint, "iam", "create-access-key", "--user-name", name)
    assert keys.returncode == 0, keys.stderr
    key = json.loads(keys.stdout)["AccessKey"]
    who = aws(server.endpoint, "sts", "get-caller-identity", access_key=key["AccessKeyId"],
              secret_key=key["SecretAccessKey"])
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["Arn"] == f"arn:aws:iam::000000000000:user/{name}"
    bucket = unique_bucket_name()
    mb = aws(server.endpoint, "s3", "mb", f"s3://{bucket}", access_key=key["AccessKeyId"],
             secret_key=key["SecretAccessKey"])
    assert mb.returncode == 0, mb.stderr
    missing = aws(server.endpoint, "iam", "get-user", "--user-name", "nobody-" + name)
    assert missing.returncode != 0 and "NoSuchEntity" in missing.stderr


def write_users(tmp_path: Path, doc: dict[str, Any]) -> str:
    path = tmp_path / "users.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_accounts_in_the_users_file_are_kept_apart(make_server, tmp_path):
    users = write_users(tmp_path, {
        "users": [{"access_key": "old", "secret_key": "old-secret", "account_id": "333344445555"}],
        "accounts": [{"id": PARTNER, "name": "partner", "email": "ops@partner.example",
                      "root": {"access_key": "partner-root", "secret_key": "partner-root-secret"},
                      "groups": [{"name": "admins", "policies": {"iam": {"Version": "2012-10-17", "Statement": [
                          {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}}}],
                      "users": [{"name": "app", "access_key": "partner-app", "secret_key": "partner-app-secret",
                                 "groups": ["admins"]}]}]})
    srv = make_server(fresh_upstream=True, args=["--users", users]).start()
    mine = client("iam", srv.endpoint)
    alice, _, _ = new_user(mine, "alice")
    app = client("iam", srv.endpoint, "partner-app", "partner-app-secret")
    me = client("sts", srv.endpoint, "partner-app", "partner-app-secret").get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::{PARTNER}:user/app" and me["Account"] == PARTNER
    assert client("sts", srv.endpoint, "old", "old-secret").get_caller_identity()["Account"] == "333344445555"
    # the partner's users see their account only: its file-defined user, not this account's alice
    assert [u["UserName"] for u in app.list_users()["Users"]] == ["app"]
    assert failure(app.get_user, UserName=alice) == ("NoSuchEntity", 404)
    assert failure(app.delete_user, UserName=alice) == ("NoSuchEntity", 404)
    assert failure(app.create_access_key, UserName=alice) == ("NoSuchEntity", 404)
    assert mine.get_user(UserName=alice)["User"]["UserName"] == alice
    # users-file users are read-only through the API; the partner's admins may make users of their own
    assert failure(app.delete_user, UserName="app") == ("UnmodifiableEntity", 400)
    made = app.create_user(UserName="alice")["User"]  # the same name in another account
    assert made["Arn"] == f"arn:aws:iam::{PARTNER}:user/alice"
    assert [g["GroupName"] for g in app.list_groups_for_user(UserName="app")["Groups"]] == ["admins"]


@pytest.mark.differs("upstream-s3gate", "upstream-moto", reason="every gateway user shares the one upstream account, "
                     "which owns every bucket")
def test_list_buckets_lists_the_callers_account(make_server, tmp_path):
    users = write_users(tmp_path, {"accounts": [{"id": PARTNER, "root": {"access_key": "p-root",
                                                                          "secret_key": "p-root-secret"}}]})
    srv = make_server(fresh_upstream=True, args=["--users", users]).start()
    _, key, secret = new_user(client("iam", srv.endpoint, "p-root", "p-root-secret"),
                            s3=allow("s3:CreateBucket", "s3:ListAllMyBuckets"))
    partner_user = make_client(srv.endpoint, access_key=key, secret_key=secret)
    partner_user.create_bucket(Bucket="partners")
    make_client(srv.endpoint).create_bucket(Bucket="defaults")
    partner_root = make_client(srv.endpoint, access_key="p-root", secret_key="p-root-secret")
    assert [b["Name"] for b in partner_root.list_buckets()["Buckets"]] == ["partners"]
    assert [b["Name"] for b in partner_user.list_buckets()["Buckets"]] == ["partners"]
    assert [b["Name"] for b in make_client(srv.endpoint).list_buckets()["Buckets"]] == ["defaults"]


def test_account_id_flag(make_server):
    srv = make_server(args=["--account-id", "123456789012"]).start()
    assert client("sts", srv.endpoint).get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:root"
    made = client("iam", srv.endpoint).create_user(UserName="u")["User"]
    assert made["Arn"] == "arn:aws:iam::123456789012:user/u"
