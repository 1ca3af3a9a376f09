"""Browser POST uploads (presigned POST): policy, signature, conditions, responses."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code_of
from tests.harness.payloads import checksum


def post(server, presigned, data: bytes = b"file body", filename: str = "photo.jpg", extra=None,
         fields_after=None):  # type: ignore[no-untyped-def]
    fields = {**presigned["fields"], **(extra or {})}
    files = {"file": (filename, data, "image/jpeg")}
    return httpx.post(presigned["url"], data=fields, files=files)


def test_presigned_post_upload(s3, s3v4, server, bucket):
    presigned = s3v4.generate_presigned_post(bucket, "uploads/a.jpg")
    response = post(server, presigned, b"jpeg bytes")
    assert response.status_code == 204, response.text
    assert response.headers["etag"] == f'"{hashlib.md5(b"jpeg bytes").hexdigest()}"'
    assert response.headers["location"].endswith(f"/{bucket}/uploads/a.jpg")
    assert s3.get_object(Bucket=bucket, Key="uploads/a.jpg")["Body"].read() == b"jpeg bytes"


def test_filename_substitution_and_metadata(s3, s3v4, server, bucket):
    presigned = s3v4.generate_presigned_post(
        bucket, "users/ann/${filename}",
        Fields={"Content-Type": "image/png", "x-amz-meta-camera": "x100", "success_action_status": "201"},
        Conditions=[["starts-with", "$Content-Type", "image/"], {"x-amz-meta-camera": "x100"},
                    {"success_action_status": "201"}])
    response = post(server, presigned, b"png!", filename="holiday.png")
    assert response.status_code == 201, response.text
    assert b"<Key>users/ann/holiday.png</Key>" in response.content and b"<PostResponse>" in response.content
    head = s3.head_object(Bucket=bucket, Key="users/ann/holiday.png")
    assert head["ContentType"] == "image/png" and head["Metadata"] == {"camera": "x100"}


def test_success_action_redirect(s3, s3v4, server, bucket):
    presigned = s3v4.generate_presigned_post(bucket, "r.txt", Fields={"success_action_redirect": "https://app.test/done"},
                                           Conditions=[{"success_action_redirect": "https://app.test/done"}])
    response = post(server, presigned)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("https://app.test/done?bucket=") and "key=r.txt" in location and "etag=" in location


def test_content_length_range(s3, s3v4, server, bucket):
    presigned = s3v4.generate_presigned_post(bucket, "sized", Conditions=[["content-length-range", 5, 10]])
    too_big = post(server, presigned, b"x" * 11)
    assert too_big.status_code == 400 and error_code_of(too_big) == "EntityTooLarge"
    too_small = post(server, presigned, b"x" * 4)
    assert too_small.status_code == 400 and error_code_of(too_small) == "EntityTooSmall"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="sized")
    assert post(server, presigned, b"x" * 7).status_code == 204


@pytest.mark.parametrize("extra,message", [
    ({"key": "other-key"}, b"Policy Condition failed"),
    ({"x-amz-meta-unexpected": "1"}, b"Extra input fields: x-amz-meta-unexpected"),
    ({"acl": "public-read"}, b"Extra input fields: acl"),
])
def test_policy_violations_are_denied(s3, s3v4, server, bucket, extra, message):
    presigned = s3v4.generate_presigned_post(bucket, "fixed-key")
    response = post(server, presigned, extra=extra)
    assert response.status_code == 403 and error_code_of(response) == "AccessDenied"
    assert message in response.content
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="other-key")


def test_x_ignore_fields_need_no_condition(s3, s3v4, server, bucket):
    presigned = s3v4.generate_presigned_post(bucket, "ign")
    assert post(server, presigned, extra={"x-ignore-tracking": "abc"}).status_code == 204


def test_expired_policy(s3, s3v4, server, bucket):
    presigned = s3v4.generate_presigned_post(bucket, "late", ExpiresIn=-5)
    response = post(server, presigned)
    assert response.status_code == 403 and b"Policy expired" in response.content


def test_bad_signature_and_tampered_policy(s3, s3v4, server, bucket):
    presigned = s3v4.generate_presigned_post(bucket, "sig")
    assert "x-amz-signature" in presigned["fields"]
    bad = dict(presigned, fields={**presigned["fields"], "x-amz-signature": "0" * 64})
    response = post(server, bad)
    assert response.status_code == 403 and error_code_of(response) == "SignatureDoesNotMatch"
    v2 = s3.generate_presigned_post(bucket, "sig")  # boto3's default: SigV2 fields
    bad_v2 = dict(v2, fields={**v2["fields"], "signature": "AAAA" + v2["fields"]["signature"][4:]})
    response = post(server, bad_v2)
    assert response.status_code == 403 and error_code_of(response) == "SignatureDoesNotMatch"
    policy = json.loads(base64.b64decode(presigned["fields"]["policy"]))
    policy["conditions"] = [c for c in policy["conditions"] if "key" not in json.dumps(c)]
    tampered = dict(presigned, fields={**presigned["fields"], "policy": base64.b64encode(
        json.dumps(policy).encode()).decode()})
    response = post(server, tampered)
    assert response.status_code == 403 and error_code_of(response) == "SignatureDoesNotMatch"


def test_wrong_bucket_in_policy(s3, s3v4, server, bucket):
    other = bucket + "-b"
    s3.create_bucket(Bucket=other)
    presigned = s3v4.generate_presigned_post(bucket, "k")
    response = httpx.post(presigned["url"].replace(f"/{bucket}", f"/{other}"), data=presigned["fields"],
                          files={"file": ("f", b"x")})
    assert response.status_code == 403 and b"Policy Condition failed" in response.content


def test_malformed_policy_and_form(s3, s3v4, server, bucket):
    presigned = s3v4.generate_presigned_post(bucket, "k")
    response = post(server, dict(presigned, fields={**presigned["fields"], "policy": "bm90IGpzb24="}))
    assert response.status_code in (400, 403)
    no_file = httpx.post(presigned["url"], data=presigned["fields"], files={"other": ("f", b"x")})
    assert no_file.status_code == 400 and error_code_of(no_file) == "InvalidArgument"
    garbage = httpx.post(presigned["url"], content=b"--nope\r\nrubbish",
                         headers={"Content-Type": "multipart/form-data; boundary=nope"})
    assert garbage.status_code == 400 and error_code_of(garbage) == "MalformedPOSTRequest"
    anonymous = httpx.post(presigned["url"], files={"key": (None, "k"), "file": ("f", b"x")})
    assert anonymous.status_code == 403 and error_code_of(anonymous) == "AccessDenied"


@pytest.mark.parametrize("algorithm", ["CRC32", "SHA512", "MD5", "XXHASH64", "XXHASH3", "XXHASH128"])
def test_checksum_field_is_verified(s3, s3v4, server, bucket, algorithm):
    field = f"x-amz-checksum-{algorithm.lower()}"
    expected = checksum(algorithm, b"expected")
    presigned = s3v4.generate_presigned_post(bucket, "ck", Fields={field: expected}, Conditions=[{field: expected}])
    bad = post(server, presigned, b"different")
    assert bad.status_code == 400 and error_code_of(bad) == "BadDigest"
    assert post(server, presigned, b"expected").status_code == 204
    assert s3.head_object(Bucket=bucket, Key="ck", ChecksumMode="ENABLED")[f"Checksum{algorithm}"] == expected


def test_large_file_streams(s3, s3v4, server, bucket):
    data = b"0123456789abcdef" * (4 * 1024 * 1024 // 16) * 5  # 20 MiB
    presigned = s3v4.generate_presigned_post(bucket, "big.bin")
    assert post(server, presigned, data).status_code == 204
    assert s3.head_object(Bucket=bucket, Key="big.bin")["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'


def test_sigv2_policy(s3, s3v4, server, bucket):
    """Older clients sign the policy with HMAC-SHA1 and AWSAccessKeyId/signature fields."""
    import hmac

    policy = base64.b64encode(json.dumps({
        "expiration": (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "conditions": [{"bucket": bucket}, {"key": "v2.txt"}],
    }).encode()).decode()
    signature = base64.b64encode(hmac.new(b"s3gate-secret-key", policy.encode(), hashlib.sha1).digest()).decode()
    response = httpx.post(f"{server.endpoint}/{bucket}", data={"key": "v2.txt", "AWSAccessKeyId": "s3gate",
                                                               "policy": policy, "signature": signature},
                          files={"file": ("f", b"v2 body")})
    assert response.status_code == 204, response.text
    assert s3.get_object(Bucket=bucket, Key="v2.txt")["Body"].read() == b"v2 body"
