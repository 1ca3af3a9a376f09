"""The website endpoint in tests: making a bucket's prefix public (as the README's recipe does), and
requests to ``--website-port`` in each of its addressing styles."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.harness.servers import Server


def public_read(s3: Any, bucket: str, prefix: str = "", *, listable: bool = False) -> None:  # noqa: ANN401
    """Block Public Access off, and a bucket policy letting anyone GetObject under ``prefix`` (and list the
    bucket with ``listable``: then a missing key is 404, not 403, as on AWS)."""
    s3.delete_public_access_block(Bucket=bucket)
    statements = [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                   "Resource": f"arn:aws:s3:::{bucket}/{prefix}*"}]
    if listable:
        statements.append({"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket",
                           "Resource": f"arn:aws:s3:::{bucket}"})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))


def website(s3: Any, bucket: str, **config: Any) -> None:  # noqa: ANN401
    """PutBucketWebsite with ``index.html`` unless ``config`` says otherwise."""
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config or {"IndexDocument": {"Suffix": "index.html"}})


def get(server: Server, bucket: str, path: str = "/", *, method: str = "GET", host: str | None = None,
        headers: dict[str, str] | None = None) -> httpx.Response:
    """``path`` of ``bucket``'s website: path style (``/BUCKET/path``), or by ``host`` (``BUCKET.<domain>``,
    a custom domain), which goes in the Host header (no DNS needed)."""
    url = server.website + (path if host is not None else f"/{bucket}{path}")
    extra = {"Host": host} if host is not None else {}
    return httpx.request(method, url, headers={**extra, **(headers or {})}, timeout=30)
