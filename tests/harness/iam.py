"""IAM users and policy documents for the authorization tests (created through the IAM API)."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.harness.clients import ACCESS_KEY, SECRET_KEY, make_client, unique_bucket_name

SETTLE_S = 0.7  # identity changes reach a worker within REFRESH_S (0.5 s)


def client(service: str, endpoint: str, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY) -> Any:
    return boto3.client(service, endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                        region_name="us-east-1", config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


def deny(actions: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": actions, "Resource": resource, **extra}


def failure(call: Any, *args: Any, **kwargs: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as exc:
        call(*args, **kwargs)
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def new_user(endpoint: str, *statements: dict[str, Any], access_key: str = ACCESS_KEY,
             secret_key: str = SECRET_KEY) -> tuple[str, Any]:
    """(user name, boto3 S3 client signed by it): a fresh user of the signer's account with one inline
    policy of ``statements`` (none: no policy)."""
    iam = client("iam", endpoint, access_key, secret_key)
    name = unique_bucket_name("u")
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=document(*statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    time.sleep(SETTLE_S)
    return name, make_client(endpoint, access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])


def grant_account(owner: Any, bucket: str, endpoint: str, access_key: str, secret_key: str,
                  actions: str | list[str] = "s3:PutObject") -> None:
    """A bucket policy (put by ``owner``) granting the signer's account ``actions`` on the bucket's objects."""
    account = client("sts", endpoint, access_key, secret_key).get_caller_identity()["Account"]
    owner.put_bucket_policy(Bucket=bucket, Policy=document(allow(
        actions, f"arn:aws:s3:::{bucket}/*", Principal={"AWS": f"arn:aws:iam::{account}:root"})))
