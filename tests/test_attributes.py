"""GetObjectAttributes: size, ETag, checksum, storage class and parts of a stored object, without its body."""

from __future__ import annotations

import base64
import hashlib

import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code, error_code_of, status
from tests.harness.clients import upload
from tests.harness.payloads import DIGESTS, MiB, checksum, checksum_args
from tests.harness.rawhttp import signed

ALL = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_single_part_object(s3, bucket):
    body = b"a photo" * 1000
    put = s3.put_object(Bucket=bucket, Key="cat.jpg", Body=body, ChecksumAlgorithm="SHA256",
                        StorageClass="STANDARD_IA")
    got = s3.get_object_attributes(Bucket=bucket, Key="cat.jpg", ObjectAttributes=ALL)
    assert got["ETag"] == hashlib.md5(body).hexdigest()  # S3 sends this one ETag without quotes
    assert got["ETag"] == put["ETag"].strip('"')
    assert got["ObjectSize"] == len(body) and got["StorageClass"] == "STANDARD_IA"
    assert got["Checksum"]["ChecksumSHA256"] == sha256_b64(body)
    assert "ObjectParts" not in got  # not uploaded in parts
    assert got["LastModified"] == s3.head_object(Bucket=bucket, Key="cat.jpg")["LastModified"]
    only_size = s3.get_object_attributes(Bucket=bucket, Key="cat.jpg", ObjectAttributes=["ObjectSize"])
    assert only_size["ObjectSize"] == len(body) and "ETag" not in only_size and "Checksum" not in only_size


@pytest.mark.differs("upstream-moto", reason="moto returns no ObjectParts from GetObjectAttributes")
def test_multipart_object_lists_its_parts_a_page_at_a_time(s3, bucket):
    parts = [b"1" * (5 * MiB), b"2" * (5 * MiB), b"3" * 100]
    upload_id, done = upload(s3, bucket, "video.mp4", parts, ChecksumAlgorithm="SHA256")
    s3.complete_multipart_upload(Bucket=bucket, Key="video.mp4", UploadId=upload_id, MultipartUpload={"Parts": done})
    got = s3.get_object_attributes(Bucket=bucket, Key="video.mp4", ObjectAttributes=ALL)
    composite = base64.b64encode(hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest())
    assert got["Checksum"] == {"ChecksumSHA256": composite.decode(), "ChecksumType": "COMPOSITE"}  # no "-3" here
    assert got["ETag"].endswith("-3") and got["ObjectSize"] == 10 * MiB + 100
    listed = got["ObjectParts"]
    assert listed["TotalPartsCount"] == 3 and listed["IsTruncated"] is False and listed["MaxParts"] == 1000
    assert [(p["PartNumber"], p["Size"], p["ChecksumSHA256"]) for p in listed["Parts"]] == \
        [(i, len(p), sha256_b64(p)) for i, p in enumerate(parts, start=1)]
    first = s3.get_object_attributes(Bucket=bucket, Key="video.mp4", ObjectAttributes=["ObjectParts"], MaxParts=2)
    assert first["ObjectParts"]["IsTruncated"] is True and first["ObjectParts"]["NextPartNumberMarker"] == 2
    assert [p["PartNumber"] for p in first["ObjectParts"]["Parts"]] == [1, 2]
    rest = s3.get_object_attributes(Bucket=bucket, Key="video.mp4", ObjectAttributes=["ObjectParts"],
                                    MaxParts=2, PartNumberMarker=2)
    assert rest["ObjectParts"]["IsTruncated"] is False
    assert [p["PartNumber"] for p in rest["ObjectParts"]["Parts"]] == [3]


@pytest.mark.parametrize("algorithm", ["SHA512", "MD5", "XXHASH64", "XXHASH3", "XXHASH128"])
def test_new_algorithms_single_part(s3, bucket, algorithm):
    body = b"newer checksums" * 100
    s3.put_object(Bucket=bucket, Key="k", Body=body, **checksum_args(algorithm, body))
    got = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["Checksum"])
    assert got["Checksum"] == {f"Checksum{algorithm}": checksum(algorithm, body), "ChecksumType": "FULL_OBJECT"}


@pytest.mark.differs("upstream-moto", reason="moto returns no ObjectParts from GetObjectAttributes and computes no "
                     "checksum of a completed multipart upload")
@pytest.mark.parametrize("algorithm", ["MD5", "XXHASH3"])
def test_new_algorithms_multipart(s3, bucket, algorithm):
    parts = [b"a" * (5 * MiB), b"b" * 10]
    upload_id, done = upload(s3, bucket, "mp", parts, ChecksumAlgorithm=algorithm)
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={"Parts": done})
    got = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["Checksum", "ObjectParts"])
    raw = DIGESTS[algorithm]
    composite = base64.b64encode(raw(b"".join(raw(p) for p in parts))).decode()
    assert got["Checksum"] == {f"Checksum{algorithm}": composite, "ChecksumType": "COMPOSITE"}
    assert [p[f"Checksum{algorithm}"] for p in got["ObjectParts"]["Parts"]] == [checksum(algorithm, p) for p in parts]


def test_versions_and_delete_markers(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="doc", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="doc", Body=b"second")["VersionId"]
    latest = s3.get_object_attributes(Bucket=bucket, Key="doc", ObjectAttributes=["ObjectSize"])
    assert latest["ObjectSize"] == 6 and latest["VersionId"] == v2
    old = s3.get_object_attributes(Bucket=bucket, Key="doc", VersionId=v1, ObjectAttributes=["ObjectSize"])
    assert old["ObjectSize"] == 3 and old["VersionId"] == v1
    s3.delete_object(Bucket=bucket, Key="doc")
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket, Key="doc", ObjectAttributes=["ObjectSize"])
    assert error_code(exc) == "NoSuchKey" and status(exc) == 404
    assert exc.value.response["ResponseMetadata"]["HTTPHeaders"].get("x-amz-delete-marker") == "true"


def test_errors(s3, server, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket, Key="missing", ObjectAttributes=["ETag"])
    assert error_code(exc) == "NoSuchKey" and status(exc) == 404
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket="no-such-bucket-here", Key="k", ObjectAttributes=["ETag"])
    assert error_code(exc) == "NoSuchBucket"
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ETag", "Owner"])
    assert error_code(exc) == "InvalidArgument" and status(exc) == 400
    response = signed(server, "GET", f"/{bucket}/k?attributes")  # no x-amz-object-attributes header at all
    assert response.status_code == 400 and error_code_of(response) == "InvalidArgument"
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectParts"], MaxParts=-1)
    assert error_code(exc) == "InvalidArgument"
