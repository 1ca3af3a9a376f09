"""S3 server access logging: Put/GetBucketLogging as S3 validates them, and log objects delivered in AWS's
record format by the log delivery service, which the target bucket's policy or ACL lets in (or not)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest

from tests.harness.assertions import error_code_of
from tests.harness.clients import unique_bucket_name
from tests.harness.iam import allow, failure, new_user
from tests.harness.payloads import content_md5
from tests.harness.rawhttp import signed
from tests.harness.servers import LOCAL, Server, Stack
from tests.harness.website import get, public_read, website

pytestmark = pytest.mark.backends(*LOCAL, reason="an upstream keeps the configuration and delivers its own logs")

FLUSH = 0.2
ACCOUNT = "000000000000"
# AWS's fields: quoted ones may hold spaces; [time] holds one.
FIELD = re.compile(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+')


@pytest.fixture(scope="module")
def log_server(tmp_path_factory: pytest.TempPathFactory, stack: Stack):  # type: ignore[no-untyped-def]
    srv = stack.gateway(tmp_path_factory.mktemp("logging") / "data", args=["--flush-interval", str(FLUSH)],
                        website=True).start()
    yield srv
    srv.stop()


@pytest.fixture
def s3(log_server: Server) -> Any:
    return log_server.client()


def delivery_policy(target: str, *, account: str = ACCOUNT, effect: str = "Allow") -> str:
    """AWS's documented target-bucket policy for server access logs."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "S3ServerAccessLogsPolicy", "Effect": effect, "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{target}/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}}}]})


def buckets(s3: Any, *, policy: bool = True, prefix: str = "logs/", **key_format: Any) -> tuple[str, str]:
    source, target = unique_bucket_name("src"), unique_bucket_name("logs")
    s3.create_bucket(Bucket=source)
    s3.create_bucket(Bucket=target)
    if policy:
        s3.put_bucket_policy(Bucket=target, Policy=delivery_policy(target))
    s3.put_bucket_logging(Bucket=source, BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": target, "TargetPrefix": prefix, **key_format}})
    return source, target


def delivered(s3: Any, target: str, wait: float = FLUSH * 6, prefix: str = "") -> dict[str, list[list[str]]]:
    """Each log object's records, split into fields."""
    time.sleep(wait)
    found = {}
    for o in s3.list_objects_v2(Bucket=target, Prefix=prefix).get("Contents", []):
        text = s3.get_object(Bucket=target, Key=o["Key"])["Body"].read().decode()
        found[o["Key"]] = [FIELD.findall(line) for line in text.splitlines()]
    return found


def records(found: dict[str, list[list[str]]]) -> list[list[str]]:
    return [r for rs in found.values() for r in rs]


def test_configuration_round_trips(s3: Any) -> None:
    source, target = buckets(s3, TargetObjectKeyFormat={"PartitionedPrefix": {"PartitionDateSource": "DeliveryTime"}})
    got = s3.get_bucket_logging(Bucket=source)["LoggingEnabled"]
    assert got == {"TargetBucket": target, "TargetPrefix": "logs/",
                   "TargetObjectKeyFormat": {"PartitionedPrefix": {"PartitionDateSource": "DeliveryTime"}}}
    s3.put_bucket_logging(Bucket=source, BucketLoggingStatus={})  # off again
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=source)


def test_a_user_needs_the_logging_actions(s3: Any, log_server: Server) -> None:
    source, target = buckets(s3)
    _, user = new_user(log_server.endpoint, allow("s3:GetBucketLogging"))
    assert "LoggingEnabled" in user.get_bucket_logging(Bucket=source)
    assert failure(user.put_bucket_logging, Bucket=source, BucketLoggingStatus={}) == ("AccessDenied", 403)
    assert s3.get_bucket_logging(Bucket=source)["LoggingEnabled"]["TargetBucket"] == target


def test_validation_is_aws_s(s3: Any, log_server: Server) -> None:
    source = unique_bucket_name("src")
    s3.create_bucket(Bucket=source)

    def put(**enabled: Any) -> None:
        s3.put_bucket_logging(Bucket=source, BucketLoggingStatus={"LoggingEnabled": enabled})

    assert failure(put, TargetBucket=unique_bucket_name("none"), TargetPrefix="x") == \
        ("InvalidTargetBucketForLogging", 400)
    # The default (BucketOwnerEnforced) target takes no TargetGrants: its policy grants access.
    grants = [{"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
               "Permission": "READ"}]
    assert failure(put, TargetBucket=source, TargetPrefix="x", TargetGrants=grants) == \
        ("InvalidTargetBucketForLogging", 400)
    both = ("<TargetObjectKeyFormat><SimplePrefix/><PartitionedPrefix/></TargetObjectKeyFormat>"
            "<TargetPrefix>x</TargetPrefix>")
    bad_source = "<TargetPrefix>x</TargetPrefix><TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>" \
                 "Now</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat>"
    for inner in (both, bad_source, ""):  # "": no TargetPrefix
        body = (f'<BucketLoggingStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LoggingEnabled>'
                f"<TargetBucket>{source}</TargetBucket>{inner}</LoggingEnabled></BucketLoggingStatus>").encode()
        response = signed(log_server, "PUT", f"/{source}?logging", body=body,
                          headers={"Content-MD5": content_md5(body)})
        assert (response.status_code, error_code_of(response)) == (400, "MalformedXML"), inner
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=source)


def test_records_are_aws_s_format_and_redact_signatures(s3: Any, log_server: Server) -> None:
    source, target = buckets(s3)
    s3.put_object(Bucket=source, Key="dir/a b.txt", Body=b"x" * 1000)
    s3.get_object(Bucket=source, Key="dir/a b.txt")["Body"].read()
    url = log_server.client(signature_version="s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": source, "Key": "dir/a b.txt"})
    assert httpx.get(url).status_code == 200
    assert failure(s3.get_object, Bucket=source, Key="missing") == ("NoSuchKey", 404)
    found = delivered(s3, target)
    key = next(iter(found))
    assert re.fullmatch(r"logs/\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9A-F]{16}", key), key
    # 0 owner, 1 bucket, 2 [time], 3 remote IP, 4 requester, 5 request id, 6 operation, 7 key, 8 "Request-URI",
    # 9 status, 10 error, 11 bytes sent, 12 object size, 13 total ms, 14 turn-around ms, 15 "referer",
    # 16 "user agent", 17 version id, 18 host id, 19 signature version, 20 cipher suite, 21 auth type,
    # 22 host header, 23 TLS version, 24 access point ARN, 25 aclRequired, 26 source region
    every = records(found)
    assert {len(r) for r in every} == {27}
    put = next(r for r in every if r[6] == "REST.PUT.OBJECT")
    assert put[1] == source and put[3] == "127.0.0.1" and put[7] == "dir/a%20b.txt"
    assert re.fullmatch(r"\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\]", put[2])
    assert put[8] == f'"PUT /{source}/dir/a%20b.txt HTTP/1.1"' and put[9] == "200" and put[10] == "-"
    assert put[0] == put[4] and len(put[0]) == 64  # the owner's root: its canonical id
    assert put[12] == "1000" and put[15] == '"-"' and put[16].startswith('"Boto3/')
    assert (put[19], put[21]) == ("SigV4", "AuthHeader")
    gets = [r for r in every if r[6] == "REST.GET.OBJECT"]
    assert sorted(r[9] for r in gets) == ["200", "200", "404"]
    assert [r[10] for r in gets if r[9] == "404"] == ["NoSuchKey"]
    presigned = [r for r in gets if "X-Amz-Signature" in r[8]]
    assert len(presigned) == 1 and "X-Amz-Signature=REDACTED" in presigned[0][8]
    assert "X-Amz-Credential=REDACTED" in presigned[0][8] and presigned[0][21] == "QueryString"
    assert {r[11] for r in gets if r[9] == "200"} == {"1000"}  # bytes sent


def test_website_requests_are_logged_as_website_operations(s3: Any, log_server: Server) -> None:
    source, target = buckets(s3)
    public_read(s3, source)
    website(s3, source)
    s3.put_object(Bucket=source, Key="index.html", Body=b"<p>hi</p>", ContentType="text/html")
    assert get(log_server, source, "/index.html").status_code == 200
    assert get(log_server, source, "/index.html", method="HEAD").status_code == 200
    every = records(delivered(s3, target))
    site = sorted((r[6], r[7], r[9], r[4]) for r in every if r[6].startswith("WEBSITE."))
    assert site == [("WEBSITE.GET.OBJECT", "index.html", "200", "-"), ("WEBSITE.HEAD.OBJECT", "index.html", "200", "-")]


def test_partitioned_event_time_keys(s3: Any) -> None:
    source, target = buckets(s3, TargetObjectKeyFormat={"PartitionedPrefix": {"PartitionDateSource": "EventTime"}})
    s3.put_object(Bucket=source, Key="k", Body=b"1")
    key = next(iter(delivered(s3, target)))
    day = time.strftime("%Y/%m/%d", time.gmtime())
    assert re.fullmatch(rf"logs/{ACCOUNT}/us-east-1/{source}/{day}/{day.replace('/', '-')}-00-00-00-[0-9A-F]{{16}}",
                        key), key


def test_delivery_needs_the_target_to_let_the_log_service_in(s3: Any) -> None:
    source, target = buckets(s3, policy=False)  # no policy, ACLs disabled: nothing lets it write
    s3.put_object(Bucket=source, Key="k", Body=b"1")
    assert delivered(s3, target) == {}
    # A policy for another source account does not either (aws:SourceAccount).
    s3.put_bucket_policy(Bucket=target, Policy=delivery_policy(target, account="111122223333"))
    s3.put_object(Bucket=source, Key="k", Body=b"2")
    assert delivered(s3, target) == {}
    # An explicit Deny wins over the Allow.
    both = json.loads(delivery_policy(target))
    both["Statement"] += json.loads(delivery_policy(target, effect="Deny"))["Statement"]
    both["Statement"][1]["Sid"] = "NoLogs"
    s3.put_bucket_policy(Bucket=target, Policy=json.dumps(both))
    s3.put_object(Bucket=source, Key="k", Body=b"3")
    assert delivered(s3, target) == {}
    s3.put_bucket_policy(Bucket=target, Policy=delivery_policy(target))
    s3.put_object(Bucket=source, Key="k", Body=b"4")
    assert [r[6] for r in records(delivered(s3, target))] == ["REST.PUT.OBJECT"]


def test_the_log_delivery_group_acl_lets_it_in(s3: Any) -> None:
    source, target = unique_bucket_name("src"), unique_bucket_name("logs")
    s3.create_bucket(Bucket=source)
    s3.create_bucket(Bucket=target, ObjectOwnership="ObjectWriter")
    s3.put_bucket_logging(Bucket=source, BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": target, "TargetPrefix": "acl/"}})
    s3.put_object(Bucket=source, Key="k", Body=b"1")
    assert delivered(s3, target) == {}  # the owner's ACL alone does not let the service in
    s3.put_bucket_acl(Bucket=target, GrantWrite='uri="http://acs.amazonaws.com/groups/s3/LogDelivery"',
                      GrantFullControl=f"id={s3.list_buckets()['Owner']['ID']}")
    s3.put_object(Bucket=source, Key="k", Body=b"2")
    assert [r[6] for r in records(delivered(s3, target))] == ["REST.PUT.OBJECT"]


def test_a_bucket_logging_to_itself_does_not_log_its_log_objects(s3: Any) -> None:
    bucket = unique_bucket_name("self")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=delivery_policy(bucket))
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": bucket, "TargetPrefix": "self/"}})
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    time.sleep(FLUSH * 6)  # several deliveries: had they been logged, each would have made another
    found = delivered(s3, bucket, prefix="self/")
    logged = [(r[6], r[7]) for r in records(found)]
    assert ("REST.PUT.OBJECT", "k") in logged
    assert not [key for op, key in logged if op == "REST.PUT.OBJECT" and key.startswith("self/")]
    assert len(found) <= 3  # the test's own requests (a PUT, then the LISTs and GETs reading the logs)


def test_buffered_records_are_delivered_at_shutdown(tmp_path: Any, stack: Stack) -> None:
    srv = stack.gateway(tmp_path / "data", args=["--flush-interval", "3600"]).start()
    try:
        s3 = srv.client()
        source, target = buckets(s3)
        s3.put_object(Bucket=source, Key="k", Body=b"1")
    finally:
        srv.stop()
    srv.start()
    try:
        assert "REST.PUT.OBJECT" in [r[6] for r in records(delivered(srv.client(), target, wait=0))]
    finally:
        srv.stop()
