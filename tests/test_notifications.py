"""Event notifications against real receivers: an in-test webhook, the machine's Redis, moto's SQS.

One gateway (local backend) declares a target of each kind; each test uses its own buckets. A
missing Redis fails loudly (it runs in CI), never skips.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import redis
from botocore.exceptions import ClientError

from tests.harness.clients import unique_bucket_name
from tests.harness.rawhttp import signed
from tests.harness.servers import LOCAL, MotoServer, Server, Stack, free_port

pytestmark = pytest.mark.backends(*LOCAL, reason="the local backend's outbox and dispatcher")

ACCOUNT = "000000000000"
REGION = "us-east-1"
SECRET = "hook-secret"


class Receiver:
    """A webhook endpoint: records each POST; answers ``status`` (set it to 503 to play a dead broker)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.status = 200
        self.refused = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["content-length"]))
                with receiver.lock:
                    status = receiver.status
                    if status == 200:
                        receiver.bodies.append(json.loads(body))
                        receiver.headers.append({k.lower(): v for k, v in self.headers.items()} | {"raw": body.hex()})
                    else:
                        receiver.refused += 1
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def records(self, bucket: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for b in self.bodies for r in b.get("Records", []) if r["s3"]["bucket"]["name"] == bucket]

    def tests_for(self, bucket: str) -> list[dict[str, Any]]:
        with self.lock:
            return [b for b in self.bodies if b.get("Event") == "s3:TestEvent" and b["Bucket"] == bucket]

    def stop(self) -> None:
        self.httpd.shutdown()


def wait_for(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting; last value {value!r}")
        time.sleep(0.05)


def at_least(count: int, items: list[Any]) -> list[Any] | None:
    return items if len(items) >= count else None


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def redis_client() -> redis.Redis:
    client = redis.Redis(host="127.0.0.1", port=6379, db=0)
    client.ping()  # no Redis: the module fails here, loudly
    return client


@pytest.fixture(scope="module")
def sqs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    moto = MotoServer(tmp_path_factory.mktemp("moto") / "moto.log").start()
    client = boto3.client("sqs", endpoint_url=moto.endpoint, region_name=REGION, aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    client.create_queue(QueueName="uploads")
    yield client, f"sqs+{moto.endpoint}/{ACCOUNT}/uploads".replace("://", "://testing:testing@", 1)
    moto.stop()


def gateway(stack: Stack, tmp: Path, targets: dict[str, str], *extra: str) -> Server:
    args = [arg for name, url in targets.items() for arg in ("--notify-target", f"{name}={url}")]
    return stack.gateway(tmp, args=[*args, *extra]).start()


@pytest.fixture(scope="module")
def names() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {"list": f"s3gate-test-{tag}", "stream": f"s3gate-test-stream-{tag}"}


@pytest.fixture(scope="module")
def server(stack: Stack, tmp_path_factory: pytest.TempPathFactory, receiver: Receiver, sqs: tuple[Any, str],
           names: dict[str, str], redis_client: redis.Redis) -> Iterator[Server]:
    srv = gateway(stack, tmp_path_factory.mktemp("notify") / "data", {
        "hook": f"http://127.0.0.1:{receiver.port}/events?secret={SECRET}",
        "jobs": f"redis://127.0.0.1:6379/0?list={names['list']}",
        "stream": f"redis://127.0.0.1:6379/0?stream={names['stream']}",
        "uploads": sqs[1],
    }, "--lifecycle-day-seconds", "1", "--restore-delay-seconds", "0", "--bucket-defaults", "legacy")
    yield srv
    srv.stop()
    redis_client.delete(names["list"], names["stream"])


@pytest.fixture(scope="module")
def s3(server: Server) -> Any:
    return server.client()


def arn(kind: str, name: str) -> str:
    service = {"Queue": "sqs", "Topic": "sns", "LambdaFunction": "lambda"}[kind]
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:" + (f"function:{name}" if kind == "LambdaFunction" else name)


def hook_config(events: list[str], *, prefix: str | None = None, suffix: str | None = None,
                target: str = "hook", rule_id: str = "hooked") -> dict[str, Any]:
    rule: dict[str, Any] = {"Id": rule_id, "QueueArn": arn("Queue", target), "Events": events}
    rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v is not None]
    if rules:
        rule["Filter"] = {"Key": {"FilterRules": rules}}
    return {"QueueConfigurations": [rule]}


def new_bucket(s3: Any, *, versioned: bool = False) -> str:
    name = unique_bucket_name("ev")
    s3.create_bucket(Bucket=name)
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def names_of(records: list[dict[str, Any]], key: str | None = None) -> list[str]:
    return [r["eventName"] for r in records if key is None or r["s3"]["object"]["key"] == key]


# -- configuration ---------------------------------------------------------------------------------
def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def test_configuration_validation(s3: Any) -> None:
    bucket = new_bucket(s3)

    def put(config: dict[str, Any]) -> Callable[[], Any]:
        return lambda: s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)

    assert error_of(put(hook_config(["s3:ObjectCreated:Bogus"]))) == \
        ("InvalidArgument", "The event is not supported for notifications")
    overlapping = {"QueueConfigurations": [
        hook_config(["s3:ObjectCreated:*"], prefix="images/")["QueueConfigurations"][0],
        hook_config(["s3:ObjectCreated:Put"], prefix="images/thumbs/", target="jobs",
                    rule_id="other")["QueueConfigurations"][0]]}
    code, message = error_of(put(overlapping))
    assert code == "InvalidArgument" and message.startswith("Configurations overlap")
    assert error_of(put(hook_config(["s3:ObjectCreated:*"], target="nobody"))) == \
        ("InvalidArgument", "Unable to validate the following destination configurations")
    other_account = {"QueueConfigurations": [{"QueueArn": f"arn:aws:sqs:{REGION}:123456789012:hook",
                                              "Events": ["s3:ObjectCreated:*"]}]}
    assert error_of(put(other_account))[0] == "InvalidArgument"
    bad_filter = hook_config(["s3:ObjectCreated:*"])
    bad_filter["QueueConfigurations"][0]["Filter"] = {"Key": {"FilterRules": [{"Name": "contains", "Value": "x"}]}}
    assert error_of(put(bad_filter))[0] == "InvalidArgument"
    # Distinct prefixes do not overlap; nothing was stored by the refused ones.
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)
    fine = {"QueueConfigurations": [
        hook_config(["s3:ObjectCreated:*"], prefix="images/")["QueueConfigurations"][0],
        hook_config(["s3:ObjectCreated:*"], prefix="docs/", target="jobs", rule_id="other")["QueueConfigurations"][0]]}
    put(fine)()


def test_configuration_round_trip_test_event_and_removal(s3: Any, receiver: Receiver) -> None:
    bucket = new_bucket(s3)
    config = {
        "QueueConfigurations": [{"Id": "q", "QueueArn": arn("Queue", "hook"), "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}}],
        "TopicConfigurations": [{"Id": "t", "TopicArn": arn("Topic", "jobs"), "Events": ["s3:ObjectRemoved:*"]}],
        "LambdaFunctionConfigurations": [{"Id": "l", "LambdaFunctionArn": arn("LambdaFunction", "stream"),
                                          "Events": ["s3:ObjectTagging:*"]}],
    }
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert got["QueueConfigurations"] == [{"Id": "q", "QueueArn": arn("Queue", "hook"),
                                           "Events": ["s3:ObjectCreated:*"],
                                           "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "in/"}]}}}]
    assert got["TopicConfigurations"][0]["TopicArn"] == arn("Topic", "jobs")
    assert got["LambdaFunctionConfigurations"][0]["LambdaFunctionArn"] == arn("LambdaFunction", "stream")
    test = wait_for(lambda: receiver.tests_for(bucket))
    assert test[0]["Service"] == "Amazon S3" and set(test[0]) == {"Service", "Event", "Time", "Bucket", "RequestId",
                                                                   "HostId"}
    # The same destination again: no second test event.
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert not any(k.endswith("Configurations") for k in got)
    s3.put_object(Bucket=bucket, Key="in/after-removal", Body=b"x")
    time.sleep(0.5)
    assert receiver.records(bucket) == [] and len(receiver.tests_for(bucket)) == 1


# -- events and their message --------------------------------------------------------------------
# AWS's documented example of an event record (version 2.1), with the values AWS fills in: the shape
# every record must have (the SDKs' S3EventNotification parsers read exactly these fields).
AWS_EXAMPLE = {
    "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-west-2",
    "eventTime": "1970-01-01T00:00:00.000Z", "eventName": "ObjectCreated:Put",
    "userIdentity": {"principalId": "AIDAJDPLRKLG7UEXAMPLE"},
    "requestParameters": {"sourceIPAddress": "127.0.0.1"},
    "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810",
                         "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
    "s3": {"s3SchemaVersion": "1.0", "configurationId": "testConfigRule",
           "bucket": {"name": "amzn-s3-demo-bucket", "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                      "arn": "arn:aws:s3:::amzn-s3-demo-bucket"},
           "object": {"key": "HappyFace.jpg", "size": 1024, "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                      "versionId": "096fKKXTRTtl3on89fVO.nfljtsv6qko", "sequencer": "0055AED6DCD90281E5"}},
}


def shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    return type(value).__name__


def test_object_events_in_order_with_aws_shape(s3: Any, receiver: Receiver, server: Server) -> None:
    bucket = new_bucket(s3, versioned=True)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=hook_config(
        ["s3:ObjectCreated:*", "s3:ObjectRemoved:*", "s3:ObjectTagging:*", "s3:ObjectAcl:Put"]))
    key = "photos/red flower+1.jpg"
    put = s3.put_object(Bucket=bucket, Key=key, Body=b"hello")
    s3.copy_object(Bucket=bucket, Key="copy.jpg", CopySource={"Bucket": bucket, "Key": key})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big.bin")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="big.bin", UploadId=upload, PartNumber=1, Body=b"p" * 10)
    s3.complete_multipart_upload(Bucket=bucket, Key="big.bin", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    s3.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.delete_object_tagging(Bucket=bucket, Key=key)
    s3.put_object_acl(Bucket=bucket, Key=key, ACL="private")
    marker = s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_object(Bucket=bucket, Key=key, VersionId=put["VersionId"])
    records = wait_for(lambda: at_least(8, receiver.records(bucket)))
    assert names_of(records, "photos/red+flower%2B1.jpg") == [
        "ObjectCreated:Put", "ObjectTagging:Put", "ObjectTagging:Delete", "ObjectAcl:Put",
        "ObjectRemoved:DeleteMarkerCreated", "ObjectRemoved:Delete"]
    assert names_of(records, "copy.jpg") == ["ObjectCreated:Copy"]
    assert names_of(records, "big.bin") == ["ObjectCreated:CompleteMultipartUpload"]
    first = [r for r in records if r["eventName"] == "ObjectCreated:Put"][0]  # (keys deliver concurrently)
    assert shape(first) == shape(AWS_EXAMPLE)  # every field AWS documents, of AWS's types, and no other
    assert first["awsRegion"] == REGION and first["eventTime"].endswith("Z")
    assert first["responseElements"]["x-amz-request-id"] == put["ResponseMetadata"]["RequestId"]
    assert first["responseElements"]["x-amz-id-2"] == put["ResponseMetadata"]["HTTPHeaders"]["x-amz-id-2"]
    assert first["userIdentity"]["principalId"] == ACCOUNT and first["requestParameters"]["sourceIPAddress"] \
        == "127.0.0.1"
    obj = first["s3"]["object"]
    assert (obj["size"], obj["eTag"], obj["versionId"]) == (5, put["ETag"].strip('"'), put["VersionId"])
    assert first["s3"]["configurationId"] == "hooked" and first["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    removed = [r for r in records if r["eventName"] == "ObjectRemoved:DeleteMarkerCreated"][0]
    assert removed["s3"]["object"]["versionId"] == marker["VersionId"]
    assert [r["eventVersion"] for r in records if r["eventName"].startswith(("ObjectTagging", "ObjectAcl"))] \
        == ["2.3"] * 3
    for k in {r["s3"]["object"]["key"] for r in records}:  # ordered per key (keys deliver concurrently)
        sequencers = [r["s3"]["object"]["sequencer"] for r in records if r["s3"]["object"]["key"] == k]
        assert sequencers == sorted(sequencers) and len(set(sequencers)) == len(sequencers)
    assert len({r["s3"]["object"]["sequencer"] for r in records}) == len(records)
    # The signature header: HMAC-SHA256 of the exact body under the URL's secret.
    raw = bytes.fromhex(receiver.headers[-1]["raw"])
    assert receiver.headers[-1]["x-s3gate-signature"] == \
        "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()


def test_filters_and_event_types(s3: Any, receiver: Receiver) -> None:
    bucket = new_bucket(s3)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=hook_config(
        ["s3:ObjectCreated:Put"], prefix="images/", suffix=".jpg"))
    for key in ("images/a.jpg", "images/a.png", "docs/a.jpg", "images/b.jpg"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    s3.delete_object(Bucket=bucket, Key="images/a.jpg")  # ObjectRemoved: not subscribed
    s3.copy_object(Bucket=bucket, Key="images/c.jpg", CopySource={"Bucket": bucket, "Key": "images/b.jpg"})
    records = wait_for(lambda: at_least(2, receiver.records(bucket)))
    time.sleep(0.5)
    assert sorted((r["eventName"], r["s3"]["object"]["key"]) for r in receiver.records(bucket)) == \
        [("ObjectCreated:Put", "images/a.jpg"), ("ObjectCreated:Put", "images/b.jpg")]  # (keys deliver concurrently)
    assert "versionId" not in records[0]["s3"]["object"]  # not versioned: AWS leaves it out


def test_post_upload_is_object_created_post(s3: Any, receiver: Receiver, server: Server) -> None:
    bucket = new_bucket(s3)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=hook_config(
        ["s3:ObjectCreated:Post"]))
    post = s3.generate_presigned_post(bucket, "form.txt")
    response = httpx.post(post["url"], data=post["fields"], files={"file": ("form.txt", b"posted")})
    assert response.status_code == 204, response.text
    records = wait_for(lambda: receiver.records(bucket))
    assert names_of(records) == ["ObjectCreated:Post"]


def test_redis_list_stream_and_sqs(s3: Any, redis_client: redis.Redis, names: dict[str, str],
                                   sqs: tuple[Any, str]) -> None:
    bucket = new_bucket(s3)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
        {"Id": "list", "QueueArn": arn("Queue", "jobs"), "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "a"}]}}},
        {"Id": "stream", "QueueArn": arn("Queue", "stream"), "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "b"}]}}},
        {"Id": "sqs", "QueueArn": arn("Queue", "uploads"), "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "c"}]}}}]})
    for key in ("a1", "b1", "c1"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")

    def from_list() -> list[dict[str, Any]]:
        items = [json.loads(m) for m in redis_client.lrange(names["list"], 0, -1)]
        return [i for i in items if i.get("Records", [{}])[0].get("s3", {}).get("bucket", {}).get("name") == bucket]

    assert from_list() or wait_for(from_list)
    assert wait_for(from_list)[0]["Records"][0]["s3"]["object"]["key"] == "a1"

    def from_stream() -> list[dict[str, Any]]:
        entries = redis_client.xrange(names["stream"])
        bodies = [json.loads(fields[b"event"]) for _, fields in entries if bucket.encode() in fields[b"event"]]
        return [b for b in bodies if "Records" in b]  # (the s3:TestEvent came first)

    assert wait_for(from_stream)[0]["Records"][0]["s3"]["object"]["key"] == "b1"
    client, _ = sqs
    queue = client.get_queue_url(QueueName="uploads")["QueueUrl"]

    def from_sqs() -> list[dict[str, Any]]:
        messages = client.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        bodies = [json.loads(m["Body"]) for m in messages.get("Messages", []) if bucket in m["Body"]]
        return [b for b in bodies if "Records" in b]

    body = wait_for(from_sqs)[0]
    assert body["Records"][0]["s3"]["object"]["key"] == "c1"
    assert body["Records"][0]["eventSource"] == "aws:s3"


def test_webhook_down_then_everything_arrives_in_order(s3: Any, receiver: Receiver, server: Server) -> None:
    bucket = new_bucket(s3)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=hook_config(
        ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]))
    wait_for(lambda: receiver.tests_for(bucket))
    receiver.status = 503
    try:
        started = time.monotonic()
        for i in range(20):
            s3.put_object(Bucket=bucket, Key=f"k{i % 3}", Body=str(i).encode())
            if i % 5 == 4:
                s3.delete_object(Bucket=bucket, Key=f"k{i % 3}")
        assert time.monotonic() - started < 5  # a dead broker does not slow requests down
        wait_for(lambda: receiver.refused >= 3)
        status = admin(server, "GET", "/_s3gate/admin/notifications").json()
        hook = [t for t in status["targets"] if t["name"] == "hook"][0]
        assert hook["pending"] >= 24 and "HTTP 503" in hook["last_error"] and hook["url"].endswith("secret=***")
    finally:
        receiver.status = 200
    records = wait_for(lambda: at_least(24, receiver.records(bucket)), timeout=40)
    for k in range(3):
        expected = []
        for i in range(20):
            if i % 3 == k:
                expected.append("ObjectCreated:Put")
                if i % 5 == 4:
                    expected.append("ObjectRemoved:Delete")
        assert names_of(records, f"k{k}") == expected
    time.sleep(0.5)
    assert len(receiver.records(bucket)) == 24  # each once: no redelivery in normal operation


def admin(server: Server, method: str, path: str) -> httpx.Response:
    return signed(server, method, path)


def test_admin_endpoint_is_root_only(server: Server) -> None:
    assert httpx.get(f"{server.endpoint}/_s3gate/admin/notifications").status_code == 403  # anonymous
    status = admin(server, "GET", "/_s3gate/admin/notifications")
    assert status.status_code == 200
    assert {t["name"] for t in status.json()["targets"]} >= {"hook", "jobs", "stream", "uploads"}


def test_lifecycle_and_restore_events(s3: Any, receiver: Receiver, server: Server) -> None:
    bucket = new_bucket(s3)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=hook_config(
        ["s3:LifecycleExpiration:*", "s3:LifecycleTransition", "s3:ObjectRestore:*"]))
    s3.put_object(Bucket=bucket, Key="old/a", Body=b"x")
    s3.put_object(Bucket=bucket, Key="cold/b", Body=b"y" * 200_000)  # (S3 transitions nothing under 128 KiB)
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "old/"}, "Expiration": {"Days": 1}},
        {"ID": "freeze", "Status": "Enabled", "Filter": {"Prefix": "cold/"},
         "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]}]})
    assert admin(server, "POST", "/_s3gate/admin/lifecycle?advance-days=2").status_code == 200
    s3.restore_object(Bucket=bucket, Key="cold/b", RestoreRequest={"Days": 1})
    assert admin(server, "POST", "/_s3gate/admin/lifecycle").status_code == 200
    records = wait_for(lambda: at_least(4, receiver.records(bucket)))
    assert names_of(records, "old/a") == ["LifecycleExpiration:Delete"]
    assert names_of(records, "cold/b") == ["LifecycleTransition", "ObjectRestore:Post", "ObjectRestore:Completed"]
    transition = [r for r in records if r["eventName"] == "LifecycleTransition"][0]
    assert transition["eventVersion"] == "2.3" and transition["userIdentity"]["principalId"] == "s3.amazonaws.com"
    assert transition["lifecycleEventData"] == {"transitionEventData": {"destinationStorageClass": "GLACIER"}}
    completed = [r for r in records if r["eventName"] == "ObjectRestore:Completed"][0]
    assert completed["glacierEventData"]["restoreEventData"]["lifecycleRestoreStorageClass"] == "GLACIER"


def test_sigkill_mid_burst_loses_no_acknowledged_upload(stack: Stack, tmp_path: Path, redis_client: redis.Redis
                                                         ) -> None:
    queue = f"s3gate-kill-{uuid.uuid4().hex[:8]}"
    srv = gateway(stack, tmp_path / "data", {"jobs": f"redis://127.0.0.1:6379/0?list={queue}"})
    try:
        s3 = srv.client()
        bucket = new_bucket(s3)
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=hook_config(
            ["s3:ObjectCreated:*"], target="jobs"))
        acknowledged: list[str] = []
        stop = threading.Event()

        def upload(worker: int) -> None:
            client = srv.client()
            for i in range(10_000):
                if stop.is_set():
                    return
                key = f"w{worker}/{i}"
                try:
                    client.put_object(Bucket=bucket, Key=key, Body=b"x" * 100)
                except Exception:  # noqa: BLE001 - the kill: this one was not acknowledged
                    return
                acknowledged.append(key)

        with ThreadPoolExecutor(8) as pool:
            for w in range(8):
                pool.submit(upload, w)
            wait_for(lambda: len(acknowledged) >= 300, timeout=30)
            srv.kill()
            stop.set()
        srv.start()

        def delivered() -> set[str]:
            keys = set()
            for m in redis_client.lrange(queue, 0, -1):
                body = json.loads(m)
                for r in body.get("Records", []):
                    keys.add(urllib.parse.unquote_plus(r["s3"]["object"]["key"]))
            return keys

        wait_for(lambda: set(acknowledged) <= delivered(), timeout=30)
    finally:
        srv.stop()
        redis_client.delete(queue)
