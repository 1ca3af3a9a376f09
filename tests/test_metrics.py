"""``/_s3gate/metrics`` on live gateways, read with prometheus_client's text parser: who may read it, and
that what clients do shows up (requests, latency, bytes, errors, denials, in flight, connections, stored
totals, lifecycle actions, notification deliveries), with ``--workers 2`` adding up across workers."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from botocore.exceptions import ClientError

from tests.harness import iam
from tests.harness.brokers import closed_port, require
from tests.harness.clients import unique_bucket_name
from tests.harness.metrics import METRICS, grew, parse, scrape, value, wait_for_value
from tests.harness.rawhttp import send, sign_v4, signed
from tests.harness.servers import LOCAL, Server, Stack

TOKEN = "scrape-" + uuid.uuid4().hex
ONCE = "the metrics door and the request tally do not depend on the backend"
LOCAL_METRICS = "the local backend's metrics (stored bytes, lifecycle, deliveries), on SQLite and PostgreSQL"


@pytest.fixture(scope="module")
def metered(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = stack.gateway(tmp_path_factory.mktemp("metered") / "data",
                        args=["--metrics-token", TOKEN, "--metrics-per-bucket"]).start()
    yield srv
    srv.stop()


def code_of(response: httpx.Response) -> tuple[int, str]:
    text = response.text
    return response.status_code, text.split("<Code>")[1].split("</Code>")[0] if "<Code>" in text else ""


@pytest.mark.backends(*LOCAL, reason=LOCAL_METRICS)
def test_who_may_read_the_metrics(metered: Server) -> None:
    url = metered.endpoint + METRICS
    assert code_of(httpx.get(url)) == (403, "AccessDenied")
    assert code_of(httpx.get(url, headers={"Authorization": "Bearer not-" + TOKEN})) == (403, "AccessDenied")
    assert code_of(httpx.get(url, headers={"Authorization": "Bearer"})) == (403, "AccessDenied")
    bad_secret = sign_v4("GET", url, secret_key="not-the-secret")
    assert code_of(send("GET", url, headers=bad_secret)) == (403, "SignatureDoesNotMatch")
    # An IAM user of the root's own account, even one allowed everything, is not the root.
    user = iam.client("iam", metered.endpoint)
    name = unique_bucket_name("u")
    user.create_user(UserName=name)
    user.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=iam.document(iam.allow("*")))
    key = user.create_access_key(UserName=name)["AccessKey"]
    time.sleep(iam.SETTLE_S)
    as_user = sign_v4("GET", url, access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert code_of(send("GET", url, headers=as_user)) == (403, "AccessDenied")
    assert code_of(signed(metered, "POST", METRICS)) == (405, "MethodNotAllowed")

    by_token = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert by_token.status_code == 200
    assert by_token.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert signed(metered, "GET", METRICS).status_code == 200
    assert signed(metered, "HEAD", METRICS).status_code == 200
    # The refusals above were counted as what they were.
    samples = parse(by_token.text)
    assert value(samples, "s3gate_requests_total", operation="GetMetrics", status_class="4xx") >= 5
    assert value(samples, "s3gate_authorization_denials_total", operation="GetMetrics") >= 4


@pytest.mark.backends("local", reason=ONCE)
def test_public_metrics(make_server: Any) -> None:
    srv = make_server(args=["--metrics-public"]).start()
    response = httpx.get(srv.endpoint + METRICS)
    assert response.status_code == 200
    assert value(parse(response.text), "s3gate_requests_total", operation="GetMetrics", status_class="2xx") == 0


def test_requests_latency_bytes_and_errors(server: Server, s3_plain: Any, bucket: str) -> None:
    before = scrape(server)
    body = b"m" * 1000
    for i in range(3):
        s3_plain.put_object(Bucket=bucket, Key=f"k{i}", Body=body)
    for i in range(2):
        assert s3_plain.get_object(Bucket=bucket, Key=f"k{i}")["Body"].read() == body
    with pytest.raises(ClientError):
        s3_plain.get_object(Bucket=bucket, Key="missing")
    after = scrape(server)

    assert grew(before, after, "s3gate_requests_total", operation="PutObject", status_class="2xx") == 3
    assert grew(before, after, "s3gate_requests_total", operation="GetObject", status_class="2xx") == 2
    assert grew(before, after, "s3gate_requests_total", operation="GetObject", status_class="4xx") == 1
    assert grew(before, after, "s3gate_errors_total", code="NoSuchKey") == 1
    assert grew(before, after, "s3gate_received_bytes_total", operation="PutObject") == 3000
    assert grew(before, after, "s3gate_sent_bytes_total", operation="GetObject") >= 2000
    assert grew(before, after, "s3gate_request_duration_seconds_count", operation="PutObject") == 3
    assert grew(before, after, "s3gate_request_duration_seconds_bucket", operation="PutObject", le="+Inf") == 3
    assert grew(before, after, "s3gate_request_duration_seconds_sum", operation="PutObject") > 0
    assert grew(before, after, "s3gate_time_to_first_byte_seconds_count", operation="GetObject") == 3
    # No key names in any label.
    assert not any(v in ("k0", "k1", "missing") for _, labels in after for _, v in labels)


@pytest.mark.backends("local", reason=ONCE)
def test_denials_by_operation(server: Server, s3: Any, bucket: str) -> None:
    _, nobody = iam.new_user(server.endpoint)  # a user without any policy
    before = scrape(server)
    for call in (lambda: nobody.put_object(Bucket=bucket, Key="x", Body=b"x"),
                 lambda: nobody.list_objects_v2(Bucket=bucket)):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Code"] == "AccessDenied"
    after = scrape(server)
    assert grew(before, after, "s3gate_authorization_denials_total", operation="PutObject") == 1
    assert grew(before, after, "s3gate_authorization_denials_total", operation="ListObjectsV2") == 1
    assert grew(before, after, "s3gate_errors_total", code="AccessDenied") == 2


@pytest.mark.backends(*LOCAL, reason=LOCAL_METRICS)
def test_in_flight_and_open_connections(metered: Server) -> None:
    bucket = unique_bucket_name()
    metered.client().create_bucket(Bucket=bucket)
    base = scrape(metered, TOKEN)
    idle = [socket.create_connection(("127.0.0.1", metered.port)) for _ in range(5)]
    stalled = socket.create_connection(("127.0.0.1", metered.port))
    url = f"{metered.endpoint}/{bucket}/k"
    headers = sign_v4("PUT", url, payload_hash="UNSIGNED-PAYLOAD")
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    # The head, and not the body it announces: the PUT waits for it.
    stalled.sendall(f"PUT /{bucket}/k HTTP/1.1\r\nHost: 127.0.0.1:{metered.port}\r\n{head}"
                    "Content-Length: 2\r\n\r\n".encode())
    time.sleep(0.3)
    try:
        during = scrape(metered, TOKEN)
        assert value(during, "s3gate_open_connections") >= value(base, "s3gate_open_connections") + 6
        assert value(during, "s3gate_requests_in_flight") == 2  # the stalled PUT and this scrape
    finally:
        for sock in [*idle, stalled]:
            sock.close()
    deadline = time.monotonic() + 5
    while True:
        after = scrape(metered, TOKEN)
        if value(after, "s3gate_requests_in_flight") == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert value(after, "s3gate_requests_in_flight") == 1  # this scrape
    assert value(after, "s3gate_open_connections") <= value(during, "s3gate_open_connections") - 6


@pytest.mark.backends(*LOCAL, reason=LOCAL_METRICS)
def test_stored_objects_and_bytes_per_bucket_and_class(metered: Server) -> None:
    """Read from the backend's running totals at scrape time (the usage accounting keeps them)."""
    s3 = metered.client()
    bucket = unique_bucket_name()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a", Body=b"a" * 100)
    s3.put_object(Bucket=bucket, Key="b", Body=b"b" * 250)
    s3.put_object(Bucket=bucket, Key="c", Body=b"c" * 4000, StorageClass="STANDARD_IA")
    samples = scrape(metered, TOKEN)
    assert value(samples, "s3gate_stored_objects", bucket=bucket, storage_class="STANDARD") == 2
    assert value(samples, "s3gate_stored_bytes", bucket=bucket, storage_class="STANDARD") == 350
    assert value(samples, "s3gate_stored_objects", bucket=bucket, storage_class="STANDARD_IA") == 1
    assert value(samples, "s3gate_stored_bytes", bucket=bucket, storage_class="STANDARD_IA") == 4000


@pytest.mark.backends(*LOCAL, reason=LOCAL_METRICS)
def test_lifecycle_actions(metered: Server) -> None:
    s3 = metered.client()
    bucket = unique_bucket_name()
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "gone", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}]})
    for i in range(3):
        s3.put_object(Bucket=bucket, Key=f"tmp/{i}", Body=b"x")
    before = scrape(metered, TOKEN)
    report = signed(metered, "POST", "/_s3gate/admin/lifecycle?advance-days=2").json()
    assert report["expired"] == 3
    after = scrape(metered, TOKEN)
    assert grew(before, after, "s3gate_lifecycle_actions_total", action="expired") == 3


@pytest.mark.backends(*LOCAL, reason=LOCAL_METRICS)
def test_notification_deliveries_failures_and_queue(stack: Stack, tmp_path: Path) -> None:
    """Delivered by the dispatcher's own process: its counts reach the workers' scrapes."""
    require("redis")
    queue = f"s3gate-metrics-{uuid.uuid4().hex[:8]}"
    srv = stack.gateway(tmp_path / "data", args=["--metrics-public", "--notify-target",
                                                 f"ok=redis://127.0.0.1:6379/0?list={queue}", "--notify-target",
                                                 f"down=redis://127.0.0.1:{closed_port()}/0?list={queue}"]).start()
    try:
        s3 = srv.client()
        bucket = unique_bucket_name("ev")
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
            {"QueueArn": f"arn:aws:sqs:us-east-1:000000000000:{target}", "Events": ["s3:ObjectCreated:*"],
             "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": f"{target}/"}]}}}
            for target in ("ok", "down")]})
        for key in ("ok/1", "ok/2", "ok/3", "down/1", "down/2"):
            s3.put_object(Bucket=bucket, Key=key, Body=b"x")

        def read() -> Any:
            return parse(httpx.get(srv.endpoint + METRICS).text)

        # Each target's three or two events, after the s3:TestEvent the configuration sent it.
        wait_for_value(read, "s3gate_notification_deliveries_total", 4, target="ok")
        samples = wait_for_value(read, "s3gate_notification_queue_depth", 3, target="down")
        assert value(samples, "s3gate_notification_queue_depth", target="ok") == 0
        assert value(samples, "s3gate_notification_failures_total", target="down") >= 1
        assert value(samples, "s3gate_notification_failures_total", target="ok") == 0
    finally:
        srv.stop()
        redis.Redis(host="127.0.0.1", port=6379).delete(queue)


def test_two_workers_add_up(tmp_path: Path) -> None:
    files = tmp_path / "prometheus"
    srv = Server(tmp_path / "data", args=["--workers", "2", "--metrics-public"],
                 env={"PROMETHEUS_MULTIPROC_DIR": str(files)}).start()
    try:
        s3 = srv.client()
        bucket = unique_bucket_name()
        s3.create_bucket(Bucket=bucket)

        def five_puts(client: Any) -> None:
            for _ in range(5):
                client.put_object(Bucket=bucket, Key=uuid.uuid4().hex, Body=b"x")

        puts = 0
        # New connections at once, each with a few PUTs: the kernel hands them to both workers.
        while len(list(files.glob("counter_*.db"))) < 2 and puts < 800:
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(five_puts, [srv.client() for _ in range(8)]))
            puts += 40
            time.sleep(1.2)  # both have published
        assert len(list(files.glob("counter_*.db"))) >= 2, "one worker served every request"

        def read() -> Any:
            return parse(httpx.get(srv.endpoint + METRICS).text)

        for _ in range(4):  # whichever worker answers, the whole count
            wait_for_value(read, "s3gate_requests_total", puts, operation="PutObject", status_class="2xx")
    finally:
        srv.stop()
