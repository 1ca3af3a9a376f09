"""Browser POST uploads (presigned POST): policy, signature, conditions, responses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from botocore.exceptions import ClientError
from lxml import etree

from tests.harness.assertions import error_code_of
from tests.harness.clients import ACCESS_KEY, SECRET_KEY
from tests.harness.payloads import checksum

MOTO_ANONYMOUS = "moto does not enforce bucket policies and ACLs on anonymous requests"


def post(server, presigned, data: bytes = b"file body", filename: str = "photo.jpg", extra=None,
         fields_after=None):  # type: ignore[no-untyped-def]
    fields = {**presigned["fields"], **(extra or {})}
    files = {"file": (filename, data, "image/jpeg")}
    return httpx.post(presigned["url"], data=fields, files=files)


def v2_form(bucket: str, conditions: list[object], *, expiration: object = None, **fields: str) -> dict[str, str]:
    """A SigV2-signed form (``AWSAccessKeyId``/``policy``/``signature``) whose policy we write ourselves."""
    if expiration is None:
        expiration = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    policy = base64.b64encode(json.dumps({"expiration": expiration, "conditions": [{"bucket": bucket}, *conditions]})
                              .encode()).decode()
    signature = base64.b64encode(hmac.new(SECRET_KEY.encode(), policy.encode(), hashlib.sha1).digest()).decode()
    return {**fields, "AWSAccessKeyId": ACCESS_KEY, "policy": policy, "signature": signature}


def post_raw(server, bucket: str, fields: dict[str, str], data: bytes, filename: str | None) -> httpx.Response:  # type: ignore[no-untyped-def]
    """A form written byte for byte (httpx drops an empty filename and escapes backslashes)."""
    boundary = "s3gate-form-boundary"
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                    for name, value in fields.items())
    disposition = 'form-data; name="file"' + ("" if filename is None else f'; filename="{filename}"')
    body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data
    body += f"\r\n--{boundary}--\r\n".encode()
    return httpx.post(f"{server.endpoint}/{bucket}", content=body,
                      headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def error_element(response: httpx.Response, name: str) -> str | None:
    return etree.fromstring(response.content).findtext(name)


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
    ({"key": "other-key"}, b'Policy Condition failed: ["eq", "$key", "fixed-key"]'),  # simple ones print as "eq"
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
    assert error_element(no_file, "ArgumentName") == "file" and error_element(no_file, "ArgumentValue") == "0"
    garbage = httpx.post(presigned["url"], content=b"--nope\r\nrubbish",
                         headers={"Content-Type": "multipart/form-data; boundary=nope"})
    assert garbage.status_code == 400 and error_code_of(garbage) == "MalformedPOSTRequest"


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


# -- ${filename} ------------------------------------------------------------------------------------------
def test_filename_is_expanded_before_the_policy_is_checked(s3, server, bucket):
    """HTTPPOSTForms: "All variables within the form are expanded before the policy is validated", in
    every field (s3-tests' test_post_object_set_key_from_filename; aws-sdk-js-v3#7191 for the redirect)."""
    url = f"{server.endpoint}/{bucket}"
    form = v2_form(bucket, [["starts-with", "$key", "foo"]], key="${filename}")
    response = httpx.post(url, data=form, files={"file": ("foo.txt", b"bar")})
    assert response.status_code == 204, response.text
    assert s3.get_object(Bucket=bucket, Key="foo.txt")["Body"].read() == b"bar"
    # a condition on the unexpanded key no longer holds
    form = v2_form(bucket, [{"key": "up/${filename}"}], key="up/${filename}")
    refused = httpx.post(url, data=form, files={"file": ("foo.txt", b"bar")})
    assert refused.status_code == 403 and error_code_of(refused) == "AccessDenied"
    assert b'Policy Condition failed: ["eq", "$key", "up/${filename}"]' in refused.content
    # the redirect is expanded too, before its condition is checked
    done = "https://app.test/done?name="
    form = v2_form(bucket, [["starts-with", "$key", ""], {"success_action_redirect": done + "pic.png"}],
                   key="${filename}", success_action_redirect=done + "${filename}")
    redirected = httpx.post(url, data=form, files={"file": ("pic.png", b"png")})
    assert redirected.status_code == 303, redirected.text
    assert redirected.headers["location"].startswith(done + "pic.png&bucket=")


@pytest.mark.parametrize("filename,key", [
    ("C:\\Users\\ann\\photo.jpg", "uploads/photo.jpg"),  # old browsers send the whole path
    ("../../outside.txt", "uploads/outside.txt"),  # a path cannot climb out of the starts-with prefix
    ("..", "uploads/.."),  # a key like any other: keys are never paths on disk
    ("", "uploads/"),
])
def test_filename_is_the_name_after_the_last_slash(s3, server, bucket, filename, key):
    form = v2_form(bucket, [["starts-with", "$key", "uploads/"]], key="uploads/${filename}")
    response = post_raw(server, bucket, form, b"named", filename)
    assert response.status_code == 204, response.text
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"named"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]


def test_file_part_without_a_filename_keeps_the_variable(s3, server, bucket):
    """S3 was recorded storing ``file-as-field-${filename}`` literally for a file part with no filename
    (LocalStack's AWS-validated snapshot), though its docs say the variable becomes empty."""
    form = v2_form(bucket, [["starts-with", "$key", "raw-"]], key="raw-${filename}")
    response = post_raw(server, bucket, form, b"unnamed", None)
    assert response.status_code == 204, response.text
    assert s3.get_object(Bucket=bucket, Key="raw-${filename}")["Body"].read() == b"unnamed"


# -- the policy document ----------------------------------------------------------------------------------
@pytest.mark.parametrize("expiration", [
    "2099-12-01 07:40:00.123456+00:00",  # Python's str(datetime)
    "2099-12-01T07:40:00+00:00",
    "2099-12-01T09:40:00.000+02:00",
    "2099-12-01T07:40:00",
    "2099-12-01 07:40:00Z",
    "2099-12-01T07:40Z",
    "2099-12-01",
    "2099-12-01T07:40:00z",
    "2099-13-01T07:40:00.000Z",
    4099999999,
])
def test_expiration_not_in_aws_form_is_an_invalid_policy(server, bucket, expiration):
    form = v2_form(bucket, [{"key": "late"}], expiration=expiration, key="late")
    response = httpx.post(f"{server.endpoint}/{bucket}", data=form, files={"file": ("f", b"x")})
    assert response.status_code == 400 and error_code_of(response) == "InvalidPolicyDocument"
    assert error_element(response, "Message") == f"Invalid Policy: Invalid 'expiration' value: '{expiration}'"


@pytest.mark.parametrize("expiration", ["2099-12-01T07:40:00.000Z", "2099-12-01T07:40:00Z",
                                        "2099-12-01T07:40:00.123456Z"])
def test_expiration_in_aws_form(server, bucket, expiration):
    form = v2_form(bucket, [{"key": "on-time"}], expiration=expiration, key="on-time")
    response = httpx.post(f"{server.endpoint}/{bucket}", data=form, files={"file": ("f", b"x")})
    assert response.status_code == 204, response.text


@pytest.mark.parametrize("document,message", [
    ({"conditions": []}, "Policy missing expiration."),
    ({"expiration": "2099-12-01T07:40:00Z"}, "Policy missing conditions."),
    ({"expiration": "2099-12-01T07:40:00Z", "conditions": {}}, "Invalid 'conditions' value: must be a List."),
    ({"expiration": "2099-12-01T07:40:00Z", "conditions": [{"key": "k", "acl": "private"}]},
     "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."),
    ({"expiration": "2099-12-01T07:40:00Z", "conditions": [{}]},
     "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."),
    ({"expiration": "2099-12-01T07:40:00Z", "conditions": [{"key": 7}]},
     "Invalid Simple-Condition: value must be a string."),
])
def test_malformed_policy_documents(server, bucket, document, message):
    policy = base64.b64encode(json.dumps(document).encode()).decode()
    signature = base64.b64encode(hmac.new(SECRET_KEY.encode(), policy.encode(), hashlib.sha1).digest()).decode()
    form = {"key": "k", "AWSAccessKeyId": ACCESS_KEY, "policy": policy, "signature": signature}
    response = httpx.post(f"{server.endpoint}/{bucket}", data=form, files={"file": ("f", b"x")})
    assert response.status_code == 400 and error_code_of(response) == "InvalidPolicyDocument"
    assert error_element(response, "Message") == f"Invalid Policy: {message}"


# -- which fields make a form signed ------------------------------------------------------------------------
@pytest.mark.parametrize("version,dropped,named", [
    ("s3", {"signature"}, "Signature"),
    ("s3", {"awsaccesskeyid"}, "AWSAccessKeyId"),
    ("s3", {"policy"}, "Policy"),
    ("s3", {"key"}, "key"),
    ("s3v4", {"x-amz-signature"}, "X-Amz-Signature"),
    ("s3v4", {"x-amz-algorithm", "x-amz-credential"}, "X-Amz-Algorithm"),
    ("s3v4", {"x-amz-credential"}, "X-Amz-Credential"),
    ("s3v4", {"x-amz-date"}, "X-Amz-Date"),
    ("s3v4", {"policy"}, "Policy"),
    ("s3v4", {"key", "x-amz-signature"}, "key"),
])
def test_signed_form_missing_a_field_is_malformed(s3, s3v4, bucket, version, dropped, named):
    """Any signing field makes a form signed, and then it needs them all: 400 naming the first one
    missing, as LocalStack recorded S3 answering (s3-tests' test_post_object_missing_signature: 400)."""
    presigned = (s3 if version == "s3" else s3v4).generate_presigned_post(bucket, "k")
    fields = {name: value for name, value in presigned["fields"].items() if name.lower() not in dropped}
    response = httpx.post(presigned["url"], data=fields, files={"file": ("f", b"x")})
    assert response.status_code == 400 and error_code_of(response) == "InvalidArgument", response.text
    assert error_element(response, "Message") == (f"Bucket POST must contain a field named '{named}'.  "
                                                  "If it is specified, please check the order of the fields.")
    assert error_element(response, "ArgumentName") == named and error_element(response, "ArgumentValue") == ""


@pytest.mark.differs("upstream-moto", reason=MOTO_ANONYMOUS)
@pytest.mark.parametrize("kept", [{"key"}, {"key", "policy"}])
def test_form_without_signing_fields_is_anonymous(s3, s3v4, bucket, kept):
    """A policy alone signs nothing: the caller is anonymous, refused by a private bucket."""
    presigned = s3v4.generate_presigned_post(bucket, "anon")
    fields = {name: value for name, value in presigned["fields"].items() if name in kept}
    response = httpx.post(presigned["url"], data=fields, files={"file": ("f", b"x")})
    assert response.status_code == 403 and error_code_of(response) == "AccessDenied"
    assert error_element(response, "Message") == "Access Denied"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="anon")


def test_anonymous_form_through_a_public_bucket_policy(s3, server, bucket):
    """HTTPPOSTForms: "Requests without a security policy are considered anonymous and will succeed only on
    publicly writable buckets" (s3-tests' test_post_object_anonymous_request)."""
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/drop/*"}]}))
    response = httpx.post(f"{server.endpoint}/{bucket}", data={"key": "drop/${filename}"},
                          files={"file": ("note.txt", b"anonymous")})
    assert response.status_code == 204, response.text
    assert s3.get_object(Bucket=bucket, Key="drop/note.txt")["Body"].read() == b"anonymous"
    # a PUT, the same (on an upstream, the gateway reads the bucket's controls with its own credentials)
    assert httpx.put(f"{server.endpoint}/{bucket}/drop/put.txt", content=b"put").status_code == 200
