"""Cost of one authorization decision (gateway.access.authorize_s3), in microseconds: it runs on every
request, so it must stay small. Run: ``.venv/bin/python -m bench.authz``. Prints the median of
several timing rounds per scenario; not a test, the numbers depend on the machine.
"""

from __future__ import annotations

import json
import statistics
import timeit
from collections.abc import Callable

from gateway.access.evaluate import Request, authorize_s3
from gateway.access.identity import Identity
from gateway.access.policy import parse_policy

OWNER, OTHER = "111111111111", "222222222222"


def _bucket_policy(statements: int) -> str:
    """A realistic policy of ``statements`` statements: grants, IP and TLS guards, prefix listing."""
    pool = [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": "arn:aws:s3:::b/shared/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]}}},
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/public/*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:user/alice"}, "Action": "s3:ListBucket",
         "Resource": "arn:aws:s3:::b", "Condition": {"StringLike": {"s3:prefix": ["home/alice/*", ""]}}},
        {"Effect": "Allow", "Principal": {"AWS": OWNER}, "Action": "s3:Get*",
         "Resource": "arn:aws:s3:::b/home/${aws:username}/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"},
                       "Null": {"s3:x-amz-server-side-encryption": "false"}}},
        {"Effect": "Allow", "Principal": {"AWS": [OTHER, f"arn:aws:iam::{OWNER}:user/bob"]},
         "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
         "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}},
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/assets/*.css",
         "Condition": {"StringLike": {"aws:Referer": ["https://example.com/*"]}}},
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": pool[:statements]})


def _time(call: Callable[[], object]) -> float:
    """Median µs per call over 5 rounds."""
    timer = timeit.Timer(call)
    number, _ = timer.autorange()
    return statistics.median(timer.repeat(5, number)) / number * 1e6


def main() -> None:
    identity_policy = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": "arn:aws:s3:::b/home/${aws:username}/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"}]}), kind="identity")
    policy = parse_policy(_bucket_policy(10), kind="resource", bucket="b")
    root = Identity.root(OWNER, "1" * 64)
    alice = Identity.user(OWNER, "1" * 64, "alice", "AIDAALICE", policies=(identity_policy,))
    carol = Identity.user(OTHER, "2" * 64, "carol", "AIDACAROL", policies=(identity_policy,))
    keys = {"aws:SecureTransport": "true", "aws:SourceIp": "192.0.2.7", "aws:CurrentTime": "2025-01-01T00:00:00Z",
            "aws:UserAgent": "aws-cli/2"}
    obj = "arn:aws:s3:::b/home/alice/notes.txt"
    scenarios: list[tuple[str, Callable[[], object]]] = [
        ("root, no policies, no bucket policy", lambda: authorize_s3(
            Request("s3:GetObject", obj, root, {}), owner_account=OWNER, bucket_policy=None, acl_allows=False)),
        ("anonymous, no bucket policy, ACL", lambda: authorize_s3(
            Request("s3:GetObject", obj, None, {}), owner_account=OWNER, bucket_policy=None, acl_allows=True)),
        ("user, identity policy (variables), no bucket policy", lambda: authorize_s3(
            Request("s3:GetObject", obj, alice, keys), owner_account=OWNER, bucket_policy=None, acl_allows=False)),
        ("user, 10-statement bucket policy + identity policy", lambda: authorize_s3(
            Request("s3:GetObject", obj, alice, keys), owner_account=OWNER, bucket_policy=policy, acl_allows=False)),
        ("cross-account user, 10-statement bucket policy", lambda: authorize_s3(
            Request("s3:PutObject", "arn:aws:s3:::b/shared/x", carol, keys), owner_account=OWNER,
            bucket_policy=policy, acl_allows=False)),
        ("anonymous, 10-statement bucket policy", lambda: authorize_s3(
            Request("s3:GetObject", "arn:aws:s3:::b/public/x", None, keys), owner_account=OWNER,
            bucket_policy=policy, acl_allows=False)),
        ("parse the 10-statement bucket policy", lambda: parse_policy(
            _bucket_policy(10), kind="resource", bucket="b")),
    ]
    width = max(len(name) for name, _ in scenarios)
    for name, call in scenarios:
        print(f"{name:<{width}}  {_time(call):8.2f} µs")


if __name__ == "__main__":
    main()
