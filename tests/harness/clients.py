"""boto3 clients for a live gateway, the test credentials, bucket names, and the multipart upload helper."""

from __future__ import annotations

import itertools
import os
import time
from typing import Any

import boto3
from botocore.config import Config

from tests.harness.payloads import DIGESTS, checksum_args

ACCESS_KEY = "s3gate"
SECRET_KEY = "s3gate-secret-key"
# The upstream's own credentials: the gateway's users cannot use them, nor it theirs.
UPSTREAM_ACCESS_KEY = "upstream-key"
UPSTREAM_SECRET_KEY = "upstream-secret-key"


def make_client(endpoint: str, *, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
                region: str = "us-east-1", verify: str | None = None, **config: Any) -> Any:
    cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, **config)
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access_key,
                        aws_secret_access_key=secret_key, region_name=region, config=cfg, verify=verify)


_names = itertools.count()


def unique_bucket_name(prefix: str = "b") -> str:
    return f"{prefix}-{os.getpid()}-{next(_names)}-{int(time.time() * 1000) % 100000}"


def upload(s3, bucket, key, parts, **create):  # type: ignore[no-untyped-def]
    """Create an upload and send its parts (with the upload's checksum algorithm); the parts to complete it with."""
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, **create)["UploadId"]
    done = []
    algorithm = create.get("ChecksumAlgorithm")
    for i, data in enumerate(parts, start=1):
        extra = checksum_args(algorithm, data) if algorithm else {}
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=i, Body=data, **extra)
        entry = {"PartNumber": i, "ETag": r["ETag"]}
        for algo in DIGESTS:
            if f"Checksum{algo}" in r:
                entry[f"Checksum{algo}"] = r[f"Checksum{algo}"]
        done.append(entry)
    return upload_id, done
