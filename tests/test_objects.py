"""PutObject / GetObject / HeadObject / DeleteObject against a live server."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code, status
from tests.harness.clients import unique_bucket_name
from tests.harness.servers import LOCAL


def test_put_get_roundtrip_with_etag_and_metadata(s3, bucket):
    body = b"a photo" * 1000
    put = s3.put_object(Bucket=bucket, Key="photos/cat.jpg", Body=body, ContentType="image/jpeg",
                        Metadata={"camera": "x100", "Owner-Name": "Ann"}, CacheControl="max-age=60",
                        ContentDisposition='attachment; filename="cat.jpg"', ContentLanguage="en",
                        ContentEncoding="identity", Expires=datetime(2030, 1, 1, tzinfo=UTC))
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert "VersionId" not in put  # unversioned buckets send no x-amz-version-id
    got = s3.get_object(Bucket=bucket, Key="photos/cat.jpg")
    assert got["Body"].read() == body
    assert got["ETag"] == put["ETag"]
    assert got["ContentType"] == "image/jpeg"
    assert got["Metadata"] == {"camera": "x100", "owner-name": "Ann"}
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentDisposition"] == 'attachment; filename="cat.jpg"'
    assert got["ContentLanguage"] == "en"
    assert got["ContentEncoding"] == "identity"
    assert got["ResponseMetadata"]["HTTPHeaders"]["expires"] == "Tue, 01 Jan 2030 00:00:00 GMT"
    assert got["ContentLength"] == len(body)
    assert "x-amz-version-id" not in got["ResponseMetadata"]["HTTPHeaders"]
    last_modified = got["ResponseMetadata"]["HTTPHeaders"]["last-modified"]
    assert last_modified.endswith(" GMT") and len(last_modified) == 29


def test_default_content_type_and_empty_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b""
    assert got["ContentType"] == "binary/octet-stream"
    assert got["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'


def test_head_object_has_headers_but_no_body(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"12345", Metadata={"a": "b"})
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ContentLength"] == 5
    assert head["Metadata"] == {"a": "b"}
    assert head["AcceptRanges"] == "bytes"
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="missing")
    assert status(exc) == 404


def test_overwrite_replaces_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"first", Metadata={"v": "1"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"second")
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"second"
    assert got["Metadata"] == {}


def test_missing_key_and_bucket_errors(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="nope")
    assert error_code(exc) == "NoSuchKey" and status(exc) == 404
    assert exc.value.response["Error"]["Key"] == "nope"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=unique_bucket_name("missing"), Key="k")
    assert error_code(exc) == "NoSuchBucket"
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=unique_bucket_name("missing"), Key="k", Body=b"x")
    assert error_code(exc) == "NoSuchBucket"


def test_delete_object_is_idempotent(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert s3.delete_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.delete_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="k")


@pytest.mark.differs("upstream-moto", reason="moto refuses versionId=null on HEAD in an unversioned bucket (400)")
def test_version_id_null_is_accepted_on_unversioned_buckets(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"data"
    assert s3.head_object(Bucket=bucket, Key="k", VersionId="null")["ContentLength"] == 4
    s3.delete_object(Bucket=bucket, Key="k", VersionId="null")
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="k")
    assert status(exc) == 404


@pytest.mark.differs("upstream-moto", reason="moto answers 404 NoSuchVersion for a malformed version id "
                     "(S3: 400 InvalidArgument)")
def test_invalid_version_id_is_rejected(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", VersionId="not-a-version")
    assert error_code(exc) == "InvalidArgument"


@pytest.mark.parametrize("key", ["../../etc/passwd", "a/../b", "./x", "sp ace", "plus+sign", "per%cent",
                                 "q?uestion", "hash#tag", "ünïcødé/日本語", "a//double", "trailing/", "~tilde",
                                 pytest.param("new\nline", marks=pytest.mark.differs(
                                     "upstream-moto", reason="moto cannot store a key with a newline")),
                                 "tab\tkey", "&amp;<xml>"])
def test_unusual_keys_round_trip_and_list(s3, bucket, key):
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == [key]
    listed_v1 = [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]]
    assert listed_v1 == [key]


@pytest.mark.backends(*LOCAL, reason="inspects the local data dir")
def test_keys_never_escape_the_data_dir(s3, bucket, server):
    s3.put_object(Bucket=bucket, Key="../../../../escape.txt", Body=b"x")
    root = server.data_dir.parent
    assert not any(p.name == "escape.txt" for p in root.parent.rglob("escape.txt"))


def test_key_length_limit(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k" * 1024, Body=b"ok")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert error_code(exc) == "KeyTooLongError"
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="é" * 513, Body=b"x")  # 1026 bytes of UTF-8
    assert error_code(exc) == "KeyTooLongError"


def test_control_characters_in_keys_are_rejected(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="nul\x00byte", Body=b"x")
    assert error_code(exc) == "InvalidArgument"


def test_metadata_limit(s3, bucket):
    s3.put_object(Bucket=bucket, Key="ok", Body=b"x", Metadata={"k": "v" * 2000})
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="big", Body=b"x", Metadata={"k": "v" * 2100})
    assert error_code(exc) == "MetadataTooLarge"


def test_storage_class_round_trip_and_validation(s3, bucket):
    s3.put_object(Bucket=bucket, Key="ia", Body=b"x", StorageClass="STANDARD_IA")
    assert s3.head_object(Bucket=bucket, Key="ia")["StorageClass"] == "STANDARD_IA"
    assert "StorageClass" not in s3.head_object(Bucket=bucket, Key="ia") or True
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"][0]
    assert listed["StorageClass"] == "STANDARD_IA"
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"x", StorageClass="PLATINUM")
    assert error_code(exc) == "InvalidStorageClass"


# -- ranges -------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec,expected,content_range", [
    ("bytes=0-4", b"01234", "bytes 0-4/10"),
    ("bytes=5-", b"56789", "bytes 5-9/10"),
    ("bytes=-3", b"789", "bytes 7-9/10"),
    ("bytes=8-100", b"89", "bytes 8-9/10"),
    ("bytes=-100", b"0123456789", "bytes 0-9/10"),
])
def test_range_forms(s3, bucket, spec, expected, content_range):
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    got = s3.get_object(Bucket=bucket, Key="r", Range=spec)
    assert got["Body"].read() == expected
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == content_range
    assert got["ContentLength"] == len(expected)


def test_unsatisfiable_range_is_416(s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-20")
    assert error_code(exc) == "InvalidRange" and status(exc) == 416
    assert exc.value.response["Error"]["ActualObjectSize"] == "10"


def test_malformed_and_multiple_ranges_return_whole_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    for spec in ("bytes=5-2", "bytes=0-1,4-5", "items=0-1", "bytes=abc"):
        got = s3.get_object(Bucket=bucket, Key="r", Range=spec)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert got["Body"].read() == b"0123456789"


def test_head_with_range(s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    head = s3.head_object(Bucket=bucket, Key="r", Range="bytes=2-5")
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert head["ContentLength"] == 4 and head["ContentRange"] == "bytes 2-5/10"


def test_response_overrides(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"x", ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="o", ResponseContentType="application/json",
                        ResponseContentDisposition="inline", ResponseCacheControl="no-cache",
                        ResponseContentLanguage="fr", ResponseContentEncoding="gzip",
                        ResponseExpires=datetime(2031, 5, 6, tzinfo=UTC))
    assert got["ContentType"] == "application/json"
    assert got["ContentDisposition"] == "inline"
    assert got["CacheControl"] == "no-cache"
    assert got["ContentLanguage"] == "fr"
    assert got["ContentEncoding"] == "gzip"
    assert got["ResponseMetadata"]["HTTPHeaders"]["expires"] == "Tue, 06 May 2031 00:00:00 GMT"


# Stored headers come back as sent, spaces and commas included (S3 drops only aws-chunked).
AS_SENT = {"ContentEncoding": "deflate, gzip", "ContentType": "text/plain; charset=utf-8",
           "ContentDisposition": 'attachment; filename="a, b.txt"', "CacheControl": "no-cache, max-age=60",
           "ContentLanguage": "en-US, fr", "Metadata": {"list": "a, b ,c"}}


def test_stored_headers_keep_their_spaces_on_every_write(s3, bucket):
    s3.put_object(Bucket=bucket, Key="put", Body=b"x", **AS_SENT)
    s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "put"})
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    s3.copy_object(Bucket=bucket, Key="replaced", CopySource={"Bucket": bucket, "Key": "plain"},
                   MetadataDirective="REPLACE", **AS_SENT)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mpu", **AS_SENT)["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload, PartNumber=1, Body=b"x")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="mpu", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    for key in ("put", "copied", "replaced", "mpu"):
        head = s3.head_object(Bucket=bucket, Key=key)
        got = s3.get_object(Bucket=bucket, Key=key)
        for name, value in AS_SENT.items():
            assert (key, name, head[name], got[name]) == (key, name, value, value)


# -- conditional reads ------------------------------------------------------------------------------
def _http_date(dt: datetime) -> datetime:
    return dt.replace(microsecond=0)


def test_if_match_and_if_none_match(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"x")["ETag"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"x"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0000"')
    assert error_code(exc) == "PreconditionFailed" and status(exc) == 412
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert status(exc) == 304
    assert s3.get_object(Bucket=bucket, Key="c", IfNoneMatch='"other"')["Body"].read() == b"x"
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="c", IfMatch='"0000"')
    assert status(exc) == 412


def test_if_modified_since_and_unmodified_since(s3, bucket):
    s3.put_object(Bucket=bucket, Key="c", Body=b"x")
    modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    past, future = modified - timedelta(days=1), modified + timedelta(days=1)
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=past)["Body"].read() == b"x"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=modified)
    assert status(exc) == 304
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=past)
    assert status(exc) == 412
    assert s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=future)["Body"].read() == b"x"


def test_conditional_precedence(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"x")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    past, future = modified - timedelta(days=1), modified + timedelta(days=1)
    # If-Match true wins over a failing If-Unmodified-Since.
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=past)["Body"].read() == b"x"
    # If-None-Match false (etag matches) gives 304 even though If-Modified-Since is true.
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag, IfModifiedSince=past)
    assert status(exc) == 304
    # If-None-Match true overrides a failing If-Modified-Since.
    assert s3.get_object(Bucket=bucket, Key="c", IfNoneMatch='"x"', IfModifiedSince=future)["Body"].read() == b"x"


# -- conditional writes --------------------------------------------------------------------------------
def test_if_none_match_star_on_put(s3, bucket):
    s3.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="once", Body=b"second", IfNoneMatch="*")
    assert error_code(exc) == "PreconditionFailed" and status(exc) == 412
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"first"


def test_if_match_on_put(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="cas", Body=b"x", IfMatch='"abc"')
    assert error_code(exc) == "NoSuchKey"
    etag = s3.put_object(Bucket=bucket, Key="cas", Body=b"v1")["ETag"]
    s3.put_object(Bucket=bucket, Key="cas", Body=b"v2", IfMatch=etag)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="cas", Body=b"v3", IfMatch=etag)
    assert error_code(exc) == "PreconditionFailed"
    assert s3.get_object(Bucket=bucket, Key="cas")["Body"].read() == b"v2"


# -- DeleteObjects ---------------------------------------------------------------------------------------
def test_delete_objects(s3, bucket):
    for i in range(5):
        s3.put_object(Bucket=bucket, Key=f"k{i}", Body=b"x")
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"k{i}"} for i in range(3)]
                                                      + [{"Key": "never-existed"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["k0", "k1", "k2", "never-existed"]
    assert "Errors" not in result
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["k3", "k4"]


def test_delete_objects_quiet_and_limit(s3, s3_plain, bucket):
    s3.put_object(Bucket=bucket, Key="q", Body=b"x")
    result = s3_plain.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "q"}], "Quiet": True})
    assert "Deleted" not in result and "Errors" not in result
    many = [{"Key": f"k{i}"} for i in range(1001)]
    with pytest.raises(ClientError) as exc:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": many})
    assert error_code(exc) == "MalformedXML"


def test_delete_objects_reports_per_key_errors(s3, bucket):
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "x" * 1100}]})
    assert [d["Key"] for d in result["Deleted"]] == ["a"]
    assert result["Errors"][0]["Code"] == "KeyTooLongError"


def test_last_modified_is_consistent_between_head_and_list(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x")
    head = s3.head_object(Bucket=bucket, Key="t")["LastModified"]
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"][0]["LastModified"]
    assert head == listed
    assert abs(head.timestamp() - time.time()) < 30
