"""A full disk: writes are refused with a retryable 503 before the disk is full (``--min-free-space``),
deletes still work and free space at once, ENOSPC gets the same answer, nothing acknowledged is lost.

The data directory is a small tmpfs of the test's own (mounting needs root, as CI runs the tests):
a test that cannot mount it fails, it never skips.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.harness.clients import ACCESS_KEY, SECRET_KEY
from tests.harness.servers import LOCAL, Server

pytestmark = pytest.mark.backends(*LOCAL, reason="the local backend's own disks (an upstream keeps the objects)")

MB = 1_000_000


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str, str], Path]]:
    """``mount(name, size)``: a tmpfs at ``tmp_path/name``, unmounted after the test (after its servers stop)."""
    mounted: list[Path] = []

    def mount(name: str, size: str) -> Path:
        where = tmp_path / name
        where.mkdir(parents=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
        mounted.append(where)
        return where

    yield mount
    for where in reversed(mounted):
        subprocess.run(["umount", str(where)], check=True)


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(s3, bucket: str, *, size: int = MB, storage_class: str = "STANDARD", limit: int = 100
         ) -> tuple[dict[str, str], ClientError]:  # type: ignore[no-untyped-def]
    """PUT objects of ``size`` bytes until one is refused: the acknowledged ones (key -> MD5), the refusal."""
    acknowledged: dict[str, str] = {}
    for i in range(limit):
        body = os.urandom(size)
        key = f"{storage_class.lower()}/{i}"
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=body, StorageClass=storage_class)
        except ClientError as exc:
            return acknowledged, exc
        acknowledged[key] = hashlib.md5(body).hexdigest()
    raise AssertionError(f"{limit} objects of {size} bytes fit: the disk is not small")


def assert_disk_full(exc: ClientError, disk: str = "the data directory's disk") -> None:
    assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert exc.response["Error"]["Code"] == "ServiceUnavailable"
    assert disk in exc.response["Error"]["Message"]


def refused(call: Callable[[], object]) -> None:
    with pytest.raises(ClientError) as caught:
        call()
    assert_disk_full(caught.value)


def health(srv: Server) -> dict[str, dict[str, object]]:
    document = httpx.get(f"{srv.endpoint}/_s3gate/health").json()
    assert document["status"] == "ok"
    return {v["name"]: v for v in document["volumes"]}


def assert_intact(s3, bucket: str, acknowledged: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    for key, digest in acknowledged.items():
        assert hashlib.md5(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest() == digest, key


def assert_clean_log(srv: Server) -> None:
    assert srv.proc is not None and srv.proc.returncode == 0  # it stopped on SIGINT, it was not killed
    log = srv.log()
    assert "Traceback" not in log and "internal error" not in log and "Task was destroyed" not in log, log[-3000:]
    assert "WARNING:  write refused:" in log and "(--min-free-space)" in log, log[-3000:]


def test_below_the_reserve_writes_are_a_retryable_503_and_deletes_free_space(small_disk, make_server):
    data = small_disk("disk/data", "40m")
    srv = make_server("disk/data", args=["--min-free-space", "4MB", "--bucket-defaults", "legacy"]).start()
    s3 = srv.client()
    s3.create_bucket(Bucket="full")
    s3.put_object(Bucket="full", Key="tagged", Body=b"t", Tagging="a=b")
    s3.put_bucket_tagging(Bucket="full", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    upload_id = s3.create_multipart_upload(Bucket="full", Key="mpu")["UploadId"]
    part = s3.upload_part(Bucket="full", Key="mpu", UploadId=upload_id, PartNumber=1, Body=b"part")
    abandoned = s3.create_multipart_upload(Bucket="full", Key="abandoned")["UploadId"]
    s3.upload_part(Bucket="full", Key="abandoned", UploadId=abandoned, PartNumber=1, Body=os.urandom(MB))

    acknowledged, exc = fill(s3, "full")
    assert len(acknowledged) > 25
    assert_disk_full(exc)
    assert free_bytes(data) > 4 * MB - 100_000  # refused before the disk was full: the reserve is kept
    assert health(srv)["data"]["writes_refused"] is False  # what still fits is taken: a small write, say
    (data / "filler").write_bytes(bytes(free_bytes(data) - 3 * MB))  # something else eats into the reserve
    volume = health(srv)["data"]
    assert volume["reserve_bytes"] == 4 * MB and volume["writes_refused"] is True
    assert abs(volume["free_bytes"] - free_bytes(data)) < 100_000  # type: ignore[operator]

    # Every kind of write is refused, the small and the metadata-only ones too.
    refused(lambda: s3.put_object(Bucket="full", Key="small", Body=b"x"))
    refused(lambda: s3.copy_object(Bucket="full", Key="copy", CopySource={"Bucket": "full", "Key": "tagged"}))
    refused(lambda: s3.put_object_tagging(Bucket="full", Key="tagged",
                                          Tagging={"TagSet": [{"Key": "c", "Value": "d"}]}))
    refused(lambda: s3.put_object_acl(Bucket="full", Key="tagged", ACL="public-read"))
    refused(lambda: s3.create_bucket(Bucket="another"))
    refused(lambda: s3.put_bucket_versioning(Bucket="full", VersioningConfiguration={"Status": "Enabled"}))
    refused(lambda: s3.create_multipart_upload(Bucket="full", Key="mpu2"))
    refused(lambda: s3.upload_part(Bucket="full", Key="mpu", UploadId=upload_id, PartNumber=2, Body=b"p2"))
    refused(lambda: s3.upload_part_copy(Bucket="full", Key="mpu", UploadId=upload_id, PartNumber=3,
                                        CopySource={"Bucket": "full", "Key": "tagged"}))
    refused(lambda: s3.complete_multipart_upload(Bucket="full", Key="mpu", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}))
    post = s3.generate_presigned_post("full", "posted")
    answer = httpx.post(post["url"], data=post["fields"], files={"file": ("f", b"form body")})
    assert answer.status_code == 503 and b"<Code>ServiceUnavailable</Code>" in answer.content

    # AWS SDKs retry it (with backoff) before giving up: the answer says "later", not "never".
    retrying = boto3.client("s3", endpoint_url=srv.endpoint, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
                            config=Config(retries={"max_attempts": 3, "mode": "standard"}))
    with pytest.raises(ClientError) as caught:
        retrying.put_object(Bucket="full", Key="retried", Body=b"x")
    assert_disk_full(caught.value)
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] >= 2

    # Deletes always work below the reserve, and free the space at once.
    s3.delete_object_tagging(Bucket="full", Key="tagged")
    s3.delete_bucket_tagging(Bucket="full")
    s3.abort_multipart_upload(Bucket="full", Key="abandoned", UploadId=abandoned)
    before = free_bytes(data)
    doomed = list(acknowledged)[:5]
    s3.delete_object(Bucket="full", Key=doomed[0])
    s3.delete_objects(Bucket="full", Delete={"Objects": [{"Key": k} for k in doomed[1:]]})
    assert free_bytes(data) > before + 4.5 * MB  # (less what the metadata of the deletes took)
    for key in doomed:
        del acknowledged[key]
    assert health(srv)["data"]["writes_refused"] is False

    s3.put_object(Bucket="full", Key="after", Body=b"writes work again")
    s3.complete_multipart_upload(Bucket="full", Key="mpu", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert s3.get_object(Bucket="full", Key="mpu")["Body"].read() == b"part"
    assert_intact(s3, "full", acknowledged)
    srv.stop()
    assert_clean_log(srv)


def test_a_full_disk_without_reserve_is_the_same_503_and_leaves_nothing_behind(small_disk, make_server):
    data = small_disk("disk/data", "40m")
    srv = make_server("disk/data", args=["--min-free-space", "0"]).start()
    s3 = srv.client()
    s3.create_bucket(Bucket="full")
    acknowledged, exc = fill(s3, "full")
    assert_disk_full(exc)  # a body of known size that does not fit is refused before it is read
    assert free_bytes(data) < MB
    blobs = sorted(p.name for p in (data / "blobs").rglob("*") if p.is_file())

    # A POST form's file has no announced size: it is written until the disk is full (ENOSPC).
    post = s3.generate_presigned_post("full", "posted")
    answer = httpx.post(post["url"], data=post["fields"], files={"file": ("f", os.urandom(3 * MB))})
    assert answer.status_code == 503 and b"<Code>ServiceUnavailable</Code>" in answer.content, answer.text
    assert b"the data directory's disk" in answer.content
    assert sorted(p.name for p in (data / "blobs").rglob("*") if p.is_file()) == blobs
    assert [p for p in (data / "tmp").rglob("*") if p.is_file() and "lock" not in p.name] == []
    assert "posted" not in [o["Key"] for o in s3.list_objects_v2(Bucket="full")["Contents"]]

    s3.delete_object(Bucket="full", Key=next(iter(acknowledged)))
    del acknowledged[next(iter(acknowledged))]
    s3.put_object(Bucket="full", Key="after", Body=b"writes work again")
    assert_intact(s3, "full", acknowledged)
    srv.stop()
    assert_clean_log(srv)


def test_each_storage_class_directory_keeps_its_own_reserve(small_disk, make_server):
    data = small_disk("disk/data", "40m")
    cold = small_disk("cold", "10m")
    srv = make_server("disk/data", args=["--min-free-space", "10%",
                                         "--storage-class-dir", f"STANDARD_IA={cold}"]).start()
    s3 = srv.client()
    s3.create_bucket(Bucket="tiers")
    acknowledged, exc = fill(s3, "tiers", storage_class="STANDARD_IA")
    assert_disk_full(exc, "the disk of storage class STANDARD_IA")
    assert free_bytes(cold) > 0.9 * MB and free_bytes(data) > 30 * MB
    (cold / "filler").write_bytes(bytes(free_bytes(cold) - MB // 2))
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket="tiers", Key="small", Body=b"x", StorageClass="STANDARD_IA")
    assert_disk_full(caught.value, "the disk of storage class STANDARD_IA")
    volumes = health(srv)
    assert volumes["STANDARD_IA"]["writes_refused"] is True and volumes["data"]["writes_refused"] is False
    assert volumes["STANDARD_IA"]["reserve_bytes"] == pytest.approx(MB, rel=0.1)
    s3.put_object(Bucket="tiers", Key="standard", Body=os.urandom(MB))  # the data directory's disk has room
    (cold / "filler").unlink()
    s3.delete_object(Bucket="tiers", Key=next(iter(acknowledged)))
    del acknowledged[next(iter(acknowledged))]
    s3.put_object(Bucket="tiers", Key="cold-again", Body=b"x", StorageClass="STANDARD_IA")
    assert_intact(s3, "tiers", acknowledged)
    srv.stop()
    assert_clean_log(srv)
