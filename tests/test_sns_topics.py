"""The SNS-compatible topic API (Ceph RGW's subset) through boto3's own ``sns`` client, pointed at the gateway.

A topic made with CreateTopic (``push-endpoint``: the machine's Redis) is a notification target: a bucket's
TopicConfigurations names it by ARN and its events arrive, also after a restart (topics are kept in the
metadata store). Only account roots manage topics.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from botocore.exceptions import ClientError

from tests.harness.iam import SETTLE_S, allow, client, document, failure
from tests.harness.servers import LOCAL, Server, Stack

pytestmark = pytest.mark.backends(*LOCAL, reason="runtime topics are the local backend's catalog rows")

ARN = "arn:aws:sns:us-east-1:000000000000:"


@pytest.fixture(scope="module")
def queue() -> Iterator[tuple[redis.Redis, str]]:
    r = redis.Redis()
    r.ping()  # no Redis: a loud failure
    name = f"s3gate-test-topic-{uuid.uuid4().hex[:8]}"
    yield r, name
    r.delete(name)


@pytest.fixture(scope="module")
def srv(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = stack.gateway(tmp_path_factory.mktemp("sns") / "data",
                           args=["--notify-target", "declared=redis://127.0.0.1:6379/0?list=s3gate-test-unused"]).start()
    yield server
    server.stop()


def sns(srv: Server, access_key: str = "s3gate", secret_key: str = "s3gate-secret-key") -> Any:
    return client("sns", srv.endpoint, access_key, secret_key)


def topic_config(arn: str) -> dict[str, Any]:
    return {"TopicConfigurations": [{"Id": "t", "TopicArn": arn, "Events": ["s3:ObjectCreated:*"]}]}


def wait_len(r: redis.Redis, name: str, n: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while r.llen(name) < n:
        assert time.monotonic() < deadline, f"{r.llen(name)} of {n} events"
        time.sleep(0.05)
    return [json.loads(m) for m in r.lrange(name, 0, -1)]


def test_a_created_topic_receives_a_buckets_events_and_survives_a_restart(srv: Server,
                                                                           queue: tuple[redis.Redis, str]) -> None:
    r, name = queue
    topics = sns(srv)
    created = topics.create_topic(Name="uploads", Attributes={"push-endpoint": f"redis://127.0.0.1:6379/0?list={name}",
                                                              "persistent": "true"})
    assert created["TopicArn"] == ARN + "uploads"
    assert ARN + "uploads" in [t["TopicArn"] for t in topics.list_topics()["Topics"]]
    attributes = topics.get_topic_attributes(TopicArn=ARN + "uploads")["Attributes"]
    assert attributes["Name"] == "uploads" and attributes["TopicArn"] == ARN + "uploads"
    endpoint = json.loads(attributes["EndPoint"])
    assert (endpoint["EndpointAddress"], endpoint["EndpointArgs"]) == ("redis://127.0.0.1:6379/0", f"list={name}")
    s3 = srv.client()
    s3.create_bucket(Bucket="topical")
    s3.put_bucket_notification_configuration(Bucket="topical", NotificationConfiguration=topic_config(ARN + "uploads"))
    s3.put_object(Bucket="topical", Key="first.jpg", Body=b"x")
    test_event, first = wait_len(r, name, 2)
    assert test_event["Event"] == "s3:TestEvent"
    assert first["Records"][0]["s3"]["object"]["key"] == "first.jpg"

    srv.stop()
    srv.start()
    assert ARN + "uploads" in [t["TopicArn"] for t in sns(srv).list_topics()["Topics"]]
    srv.client().put_object(Bucket="topical", Key="after-restart.jpg", Body=b"x")
    assert wait_len(r, name, 3)[2]["Records"][0]["s3"]["object"]["key"] == "after-restart.jpg"


def test_topic_errors(srv: Server) -> None:
    topics = sns(srv)
    redis_url = "redis://127.0.0.1:6379/0?list=s3gate-test-unused"
    assert failure(topics.create_topic, Name="bad name!", Attributes={"push-endpoint": redis_url}) == \
        ("InvalidParameter", 400)
    assert failure(topics.create_topic, Name="declared", Attributes={"push-endpoint": redis_url}) == \
        ("InvalidParameter", 400)
    assert failure(topics.create_topic, Name="no-endpoint") == ("InvalidParameter", 400)
    assert failure(topics.create_topic, Name="odd", Attributes={"push-endpoint": redis_url, "DisplayName": "x"}) == \
        ("InvalidParameter", 400)
    assert failure(topics.create_topic, Name="nowhere", Attributes={"push-endpoint": "gopher://x"}) == \
        ("InvalidParameter", 400)
    assert failure(topics.get_topic_attributes, TopicArn=ARN + "never-made") == ("NotFound", 404)
    assert failure(topics.get_topic_attributes, TopicArn="arn:aws:sns:eu-west-1:000000000000:x") == \
        ("InvalidParameter", 400)


def test_deleted_topics_are_gone_and_deleting_twice_succeeds(srv: Server) -> None:
    topics = sns(srv)
    arn = topics.create_topic(Name="short-lived", Attributes={
        "push-endpoint": "redis://127.0.0.1:6379/0?list=s3gate-test-unused"})["TopicArn"]
    topics.delete_topic(TopicArn=arn)
    topics.delete_topic(TopicArn=arn)
    assert arn not in [t["TopicArn"] for t in topics.list_topics()["Topics"]]
    s3 = srv.client()
    s3.create_bucket(Bucket="untopical")
    with pytest.raises(ClientError) as info:
        s3.put_bucket_notification_configuration(Bucket="untopical", NotificationConfiguration=topic_config(arn))
    assert info.value.response["Error"]["Code"] == "InvalidArgument"


def test_only_account_roots_manage_topics(srv: Server) -> None:
    """An IAM user is refused even with a policy allowing sns:* (a push endpoint points the gateway anywhere)."""
    iam = client("iam", srv.endpoint)
    iam.create_user(UserName="topic-maker")
    iam.put_user_policy(UserName="topic-maker", PolicyName="p", PolicyDocument=document(allow("sns:*"), allow("s3:*")))
    key = iam.create_access_key(UserName="topic-maker")["AccessKey"]
    time.sleep(SETTLE_S)
    user = sns(srv, key["AccessKeyId"], key["SecretAccessKey"])
    endpoint = {"push-endpoint": "redis://127.0.0.1:6379/0?list=s3gate-test-unused"}
    assert failure(user.create_topic, Name="by-a-user", Attributes=endpoint) == ("AuthorizationError", 403)
    assert failure(user.list_topics) == ("AuthorizationError", 403)
    assert failure(user.delete_topic, TopicArn=ARN + "uploads") == ("AuthorizationError", 403)
    assert ARN + "by-a-user" not in [t["TopicArn"] for t in sns(srv).list_topics()["Topics"]]
    assert failure(client("sns", srv.endpoint, "nobody", "wrong").list_topics) == ("InvalidClientTokenId", 403)


def test_topics_deliver_without_any_declared_target(stack: Stack, tmp_path_factory: pytest.TempPathFactory,
                                                    queue: tuple[redis.Redis, str]) -> None:
    r, _ = queue
    name = f"s3gate-test-topic-{uuid.uuid4().hex[:8]}"
    plain = stack.gateway(tmp_path_factory.mktemp("sns-plain") / "data").start()
    try:
        arn = sns(plain).create_topic(Name="only", Attributes={
            "push-endpoint": f"redis://127.0.0.1:6379/0?list={name}"})["TopicArn"]
        s3 = plain.client()
        s3.create_bucket(Bucket="plain")
        s3.put_bucket_notification_configuration(Bucket="plain", NotificationConfiguration=topic_config(arn))
        s3.put_object(Bucket="plain", Key="k", Body=b"x")
        assert wait_len(r, name, 2)[1]["Records"][0]["s3"]["object"]["key"] == "k"
    finally:
        plain.stop()
        r.delete(name)
