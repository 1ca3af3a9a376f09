"""The cost of authorization under load: 4 KiB GET and PUT at c=16 by an IAM user whose identity
policy allows them (made through the IAM API, so the evaluator really runs), on a bucket without a
policy and on one with a 10-statement bucket policy, in the same run. s3gate only (the peers have
no IAM). The root's own rates are the ``small`` workload's.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace

import boto3

from bench.authz import _bucket_policy
from bench.load import run_wrk
from bench.peers import Running
from bench.s3 import REGION, Presigner, connection, put_many, request

FREE, POLICED = "bench-authz-free", "bench-authz-policy"
BUCKETS = {"free": FREE, "policy": POLICED}
SMALL_SIZE = 4096
CONCURRENCY = 16
USER = "bench-user"
Metrics = dict[str, float]


def _policy(bucket: str) -> str:
    """bench.authz's 10-statement policy, on this bucket; its plain-HTTP Deny spares loopback (the bench
    runs over http://127.0.0.1), so every statement is read and none refuses the user."""
    doc = json.loads(_bucket_policy(10).replace("arn:aws:s3:::b", f"arn:aws:s3:::{bucket}").replace(
        "111111111111", "000000000000"))
    doc["Statement"][0]["Condition"]["NotIpAddress"] = {"aws:SourceIp": "127.0.0.0/8"}
    return json.dumps(doc)


class AuthzBench:
    """The user's presigned pools per bucket (made once per server)."""

    def __init__(self, objects: int, duration_s: float) -> None:
        self.objects = objects
        self.duration_s = duration_s
        self.presigners: dict[str, Presigner] = {}
        self.get_paths: dict[tuple[str, str], list[str]] = {}
        self.put_rates: dict[tuple[str, str], float] = {}

    def prepare(self, server: Running) -> None:
        endpoint = server.endpoint
        iam = boto3.client("iam", endpoint_url=endpoint.base, aws_access_key_id=endpoint.access_key,
                           aws_secret_access_key=endpoint.secret_key, region_name=REGION)
        iam.create_user(UserName=USER)
        resources = [f"arn:aws:s3:::{b}/*" for b in BUCKETS.values()]
        iam.put_user_policy(UserName=USER, PolicyName="rw", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": resources}]}))
        key = iam.create_access_key(UserName=USER)["AccessKey"]
        user = Presigner(replace(endpoint, access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"]))
        self.presigners[server.name] = user
        conn = connection(endpoint)
        for bucket in BUCKETS.values():
            request(conn, "PUT", server.presigner.path("PUT", bucket))
        request(conn, "DELETE", server.presigner.path("DELETE", POLICED, params={"publicAccessBlock": ""}),
                expect=(204,))
        body = _policy(POLICED).encode()
        request(conn, "PUT", server.presigner.path("PUT", POLICED, params={"policy": ""}), body, expect=(204,))
        conn.close()
        time.sleep(1.0)  # the user's key reaches every worker
        keys = [f"obj/{i:06d}" for i in range(self.objects)]
        data = os.urandom(SMALL_SIZE)
        for label, bucket in BUCKETS.items():
            put_many(endpoint, [user.path("PUT", bucket, k) for k in keys], data)
            self.get_paths[server.name, label] = [user.path("GET", bucket, k) for k in keys]

    def run(self, server: Running, method: str, label: str, round_no: int, workdir: str) -> Metrics:
        if method == "GET":
            result = run_wrk(server.endpoint, "GET", self.get_paths[server.name, label], 0, CONCURRENCY,
                             self.duration_s, workdir)
        else:
            rate = self.put_rates.get((server.name, label), 5000.0)
            count = min(60_000, max(2000, int(1.5 * rate * self.duration_s)))
            user = self.presigners[server.name]
            paths = [user.path("PUT", BUCKETS[label], f"put/r{round_no}/{i:07d}") for i in range(count)]
            result = run_wrk(server.endpoint, "PUT", paths, SMALL_SIZE, CONCURRENCY, self.duration_s, workdir)
            self.put_rates[server.name, label] = max(result.ops_s, 1.0)
        return {k: float(v) for k, v in result.as_dict().items()}
