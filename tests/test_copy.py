"""CopyObject: directives, preconditions, copy onto itself, sizes, shared blobs."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import assert_same_bytes, error_code, status
from tests.harness.files import blob_files
from tests.harness.payloads import checksum
from tests.harness.servers import LOCAL


def test_copy_keeps_metadata_by_default(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"copy me", ContentType="text/plain", Metadata={"a": "1"},
                  StorageClass="STANDARD_IA")
    result = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert result["CopyObjectResult"]["ETag"] == s3.head_object(Bucket=bucket, Key="src")["ETag"]
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == b"copy me"
    assert got["ContentType"] == "text/plain" and got["Metadata"] == {"a": "1"}
    assert "StorageClass" not in got  # a copy defaults to STANDARD, as in S3


def test_copy_replace_metadata(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", ContentType="text/plain", Metadata={"a": "1"})
    s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/src", MetadataDirective="REPLACE",
                   ContentType="image/png", Metadata={"b": "2"})
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["ContentType"] == "image/png" and head["Metadata"] == {"b": "2"}


def test_copy_across_buckets_and_special_keys(s3, bucket):
    other = bucket + "-other"
    s3.create_bucket(Bucket=other)
    key = "dir/ünï cødé+%?.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"special")
    s3.copy_object(Bucket=other, Key="copied", CopySource={"Bucket": bucket, "Key": key})
    assert s3.get_object(Bucket=other, Key="copied")["Body"].read() == b"special"


def test_copy_onto_itself_rules(s3, bucket):
    s3.put_object(Bucket=bucket, Key="self", Body=b"x", Metadata={"a": "1"})
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    assert error_code(exc) == "InvalidRequest"
    s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"},
                   MetadataDirective="REPLACE", Metadata={"a": "2"})
    assert s3.head_object(Bucket=bucket, Key="self")["Metadata"] == {"a": "2"}
    s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"}, StorageClass="ONEZONE_IA")
    assert s3.head_object(Bucket=bucket, Key="self")["StorageClass"] == "ONEZONE_IA"


def test_copy_source_conditions(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"x")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="src")["LastModified"]
    src = {"Bucket": bucket, "Key": "src"}
    s3.copy_object(Bucket=bucket, Key="ok", CopySource=src, CopySourceIfMatch=etag)
    failing = [
        {"CopySourceIfMatch": '"nope"'},
        {"CopySourceIfNoneMatch": etag},
        {"CopySourceIfModifiedSince": modified + timedelta(days=1)},
        {"CopySourceIfUnmodifiedSince": modified - timedelta(days=1)},
    ]
    for condition in failing:
        with pytest.raises(ClientError) as exc:
            s3.copy_object(Bucket=bucket, Key="no", CopySource=src, **condition)
        assert error_code(exc) == "PreconditionFailed" and status(exc) == 412, condition
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="no")


def test_copy_errors(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "missing"})
    assert error_code(exc) == "NoSuchKey"
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": "no-such-source-bucket", "Key": "k"})
    assert error_code(exc) == "NoSuchBucket"
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/src", MetadataDirective="MERGE")
    assert error_code(exc) in ("InvalidArgument",)


@pytest.mark.backends(*LOCAL, reason="counts blob files in the local data dir")
def test_copy_shares_blobs_and_frees_on_last_delete(s3, bucket, server):
    before = blob_files(server.data_dir)
    data = os.urandom(200_000)
    s3.put_object(Bucket=bucket, Key="orig", Body=data)
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "orig"})
    assert blob_files(server.data_dir) == before + 1  # the copy shares the original's blob
    s3.delete_object(Bucket=bucket, Key="orig")
    assert_same_bytes(s3.get_object(Bucket=bucket, Key="copy")["Body"].read(), data)
    assert blob_files(server.data_dir) == before + 1
    s3.delete_object(Bucket=bucket, Key="copy")
    assert blob_files(server.data_dir) == before


def _copy_with_algorithm(s3, bucket, algorithm):  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="src", Body=b"re-hash me", ChecksumAlgorithm="CRC32")
    result = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                            ChecksumAlgorithm=algorithm)
    assert result["CopyObjectResult"][f"Checksum{algorithm}"] == checksum(algorithm, b"re-hash me")
    head = s3.head_object(Bucket=bucket, Key="dst", ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == checksum(algorithm, b"re-hash me")
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"re-hash me"


def test_copy_with_new_checksum_algorithm(s3, bucket):
    _copy_with_algorithm(s3, bucket, "SHA256")


@pytest.mark.differs("upstream-moto", reason="moto stores a SHA-256 digest under any CopyObject checksum algorithm "
                     "it does not know (SHA512, MD5, XXHASH*)")
@pytest.mark.parametrize("algorithm", ["SHA512", "MD5", "XXHASH64", "XXHASH3", "XXHASH128"])
def test_copy_with_checksum_algorithms_added_in_2026(s3, bucket, algorithm):
    _copy_with_algorithm(s3, bucket, algorithm)


@pytest.mark.backends(*LOCAL, reason="counts blob files in the local data dir")
def test_overwrite_frees_space(s3, bucket, server):
    before = blob_files(server.data_dir)
    for _ in range(3):
        s3.put_object(Bucket=bucket, Key="same", Body=os.urandom(300_000))
    assert blob_files(server.data_dir) == before + 1
    s3.delete_object(Bucket=bucket, Key="same")
    assert blob_files(server.data_dir) == before


def _cpu_s(pid: int, thread: int | None = None) -> float:
    """User + system CPU seconds of a process, or of one of its threads."""
    path = f"/proc/{pid}/task/{thread}/stat" if thread is not None else f"/proc/{pid}/stat"
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.backends(*LOCAL, reason="the local backend re-reads the source itself; an upstream copies in place")
def test_big_copies_digest_beside_the_event_loop(s3, bucket, server):
    """A copy that must compute another checksum, and UploadPartCopy, re-read the source into a new
    blob: its MD5 (and a SHA-256) run in digest threads, not on the event loop, which was held for
    each MiB's MD5 (about 1 ms) and left no other request in between. Measured as the loop's share
    of the server's CPU for 2 x 48 MiB copied."""
    body = bytes(range(256)) * (48 * 4096)
    s3.put_object(Bucket=bucket, Key="big-src", Body=body)
    pid = server.proc.pid
    loop, total = _cpu_s(pid, pid), _cpu_s(pid)
    copy = s3.copy_object(Bucket=bucket, Key="big-dst", CopySource=f"{bucket}/big-src", ChecksumAlgorithm="SHA256")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big-parts")["UploadId"]
    part = s3.upload_part_copy(Bucket=bucket, Key="big-parts", UploadId=upload, PartNumber=1,
                               CopySource=f"{bucket}/big-src")
    loop, total = _cpu_s(pid, pid) - loop, _cpu_s(pid) - total
    assert copy["CopyObjectResult"]["ChecksumSHA256"] == checksum("SHA256", body)
    assert part["CopyPartResult"]["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    s3.abort_multipart_upload(Bucket=bucket, Key="big-parts", UploadId=upload)
    assert loop < 0.5 * total, f"event loop {loop:.2f} s of {total:.2f} s"
