"""The authorizer's decision cache: a cached answer is reused only while every request key the
evaluation read has the same value, so it never outlives a condition (denials proved, not only grants)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from gateway.access.evaluate import Request
from gateway.access.identity import Identity
from gateway.access.policy import parse_policy
from gateway.authorization import DecisionCache
from gateway.request import parse_request
from gateway.request_keys import RequestKeys

OWNER = "000000000000"
ROOT = Identity.root(OWNER, "c" * 64)
ARN = "arn:aws:s3:::bkt/k"


def keys(client: str = "10.1.2.3", *, now: datetime | None = None, tls: bool = False) -> RequestKeys:
    scope = {"type": "http", "method": "GET", "path": "/bkt/k", "raw_path": b"/bkt/k", "query_string": b"",
             "headers": [(b"host", b"localhost")], "client": (client, 5000), "scheme": "https" if tls else "http"}
    return RequestKeys(parse_request(scope, (), "r"), "s3:GetObject", now or datetime.now(UTC),
                       owner_account=OWNER, auth=None)


def anonymous(policy_doc: dict[str, object], cache: DecisionCache, request_keys: RequestKeys) -> bool:
    policy = _policies.setdefault(json.dumps(policy_doc), parse_policy(json.dumps(policy_doc), kind="resource",
                                                                        bucket="bkt"))
    return cache.decide(Request("s3:GetObject", ARN, None, request_keys), OWNER, policy, False, False).allowed


_policies: dict[str, object] = {}


def public_read(condition: dict[str, object]) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                    "Resource": "arn:aws:s3:::bkt/*", "Condition": condition}]}


def test_a_source_ip_condition_is_checked_on_every_request() -> None:
    doc = public_read({"IpAddress": {"aws:SourceIp": "10.1.0.0/16"}})
    cache = DecisionCache()
    assert anonymous(doc, cache, keys("10.1.2.3"))
    assert anonymous(doc, cache, keys("10.1.2.3"))  # the cached answer, for the same address
    assert not anonymous(doc, cache, keys("192.0.2.9"))  # another address: evaluated again, denied
    assert anonymous(doc, cache, keys("10.1.9.9"))


def test_a_time_condition_never_reuses_an_answer_past_its_moment() -> None:
    cutoff = datetime(2030, 1, 1, tzinfo=UTC)
    doc = public_read({"DateLessThan": {"aws:CurrentTime": cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")}})
    cache = DecisionCache()
    assert anonymous(doc, cache, keys(now=cutoff - timedelta(seconds=1)))
    assert not anonymous(doc, cache, keys(now=cutoff + timedelta(seconds=1)))


def test_secure_transport_and_a_changed_policy() -> None:
    doc = public_read({"Bool": {"aws:SecureTransport": "true"}})
    cache = DecisionCache()
    assert anonymous(doc, cache, keys(tls=True))
    assert not anonymous(doc, cache, keys(tls=False))
    stricter = public_read({"Bool": {"aws:SecureTransport": "true"}, "IpAddress": {"aws:SourceIp": "10.9.0.0/16"}})
    assert not anonymous(stricter, cache, keys(tls=True))  # a new policy object: a new entry


def test_the_owner_root_and_an_explicit_deny() -> None:
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                                                    "Resource": "arn:aws:s3:::bkt/*"}]}
    policy = parse_policy(json.dumps(deny), kind="resource", bucket="bkt")
    cache = DecisionCache()
    for _ in range(2):
        assert not cache.decide(Request("s3:GetObject", ARN, ROOT, keys()), OWNER, policy, True, False).allowed
