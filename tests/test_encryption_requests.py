"""Server-side encryption requests the gateway refuses, as S3 refuses them, before anything is stored.

The header checks (bad algorithms, KMS headers without aws:kms, contexts, SSE-C keys), SSE-C over
plain HTTP, SSE-C on a bucket that blocks it, x-amz-server-side-encryption on reads, and that the
SSE condition keys of a policy are honoured. They hold on every backend: the gateway checks them
before it forwards a request.
"""

from __future__ import annotations

import base64
import hashlib
import ssl

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code, error_code_of, status
from tests.harness.clients import unique_bucket_name
from tests.harness.iam import allow, deny, failure, new_user
from tests.harness.rawhttp import signed

KEY = bytes(range(32))
KEY_B64 = base64.b64encode(KEY).decode()
KEY_MD5 = base64.b64encode(hashlib.md5(KEY).digest()).decode()
SSE_C = {"x-amz-server-side-encryption-customer-algorithm": "AES256",
         "x-amz-server-side-encryption-customer-key": KEY_B64,
         "x-amz-server-side-encryption-customer-key-MD5": KEY_MD5}
SSE_C_ARGS = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": KEY}
INSECURE = ("Requests specifying Server Side Encryption with Customer provided keys must be made over a secure "
            "connection.")


def _error(response):  # type: ignore[no-untyped-def]
    return response.status_code, error_code_of(response), response.text


def unblock_sse_c(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
         "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]}}]})


@pytest.fixture
def tls_bucket(s3_tls) -> str:  # type: ignore[no-untyped-def]
    name = unique_bucket_name()
    s3_tls.create_bucket(Bucket=name)
    return name


@pytest.mark.parametrize("headers,message", [
    ({"x-amz-server-side-encryption": "AES512"}, "The encryption method specified is not supported"),
    ({"x-amz-server-side-encryption": ""}, "The encryption method specified is not supported"),
    ({"x-amz-server-side-encryption-aws-kms-key-id": "alias/app"},
     "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms"),
    ({"x-amz-server-side-encryption": "AES256", "x-amz-server-side-encryption-aws-kms-key-id": "alias/app"},
     "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms"),
    ({"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-context": "not base64!"},
     "shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map"),
    ({"x-amz-server-side-encryption": "aws:kms",
      "x-amz-server-side-encryption-context": base64.b64encode(b'["a list"]').decode()},
     "shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map"),
])
def test_bad_sse_headers_are_refused(server, bucket, headers, message):
    for path in (f"/{bucket}/k", f"/{bucket}/k?uploads"):
        response = signed(server, "PUT" if "?" not in path else "POST", path, headers=headers, body=b"x")
        code, error, text = _error(response)
        assert (code, error) == (400, "InvalidArgument") and message in text


def test_reads_refuse_the_sse_header(s3, server, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    for method in ("GET", "HEAD"):
        response = signed(server, method, f"/{bucket}/k", headers={"x-amz-server-side-encryption": "AES256"})
        assert response.status_code == 400
    response = signed(server, "GET", f"/{bucket}/k", headers={"x-amz-server-side-encryption": "AES256"})
    assert error_code_of(response) == "InvalidArgument"
    assert "x-amz-server-side-encryption header is not supported for this operation." in response.text


def test_sse_c_over_plain_http_is_refused_unless_allowed(s3, server, bucket, make_server):
    for method, path in (("PUT", f"/{bucket}/k"), ("GET", f"/{bucket}/k"), ("POST", f"/{bucket}/k?uploads")):
        code, error, text = _error(signed(server, method, path, headers=SSE_C, body=b"x" if method == "PUT" else b""))
        assert (code, error) == (400, "InvalidRequest") and INSECURE in text
    copy_source = {"x-amz-copy-source": f"/{bucket}/k",
                   **{"x-amz-copy-source-" + k.removeprefix("x-amz-"): v for k, v in SSE_C.items()}}
    code, error, text = _error(signed(server, "PUT", f"/{bucket}/c", headers=copy_source))
    assert (code, error) == (400, "InvalidRequest") and INSECURE in text
    dev = make_server(args=["--allow-sse-c-over-http"]).start()
    local = dev.client()
    name = unique_bucket_name()
    local.create_bucket(Bucket=name)
    unblock_sse_c(local, name)
    local.put_object(Bucket=name, Key="k", Body=b"secret", **SSE_C_ARGS)
    assert local.get_object(Bucket=name, Key="k", **SSE_C_ARGS)["Body"].read() == b"secret"


@pytest.mark.differs("upstream-moto", reason="moto keeps no BlockedEncryptionTypes (and ignores SSE-C)")
def test_new_buckets_block_sse_c_writes(s3_tls, tls_server, tls_bucket):
    """S3 since April 2026: every SSE-C write to a new bucket is 403, whatever the key; reads are not writes."""
    bucket = tls_bucket
    s3_tls.put_object(Bucket=bucket, Key="plain", Body=b"x")
    writes = [
        lambda: s3_tls.put_object(Bucket=bucket, Key="k", Body=b"x", **SSE_C_ARGS),
        lambda: s3_tls.put_object(Bucket=bucket, Key="k", Body=b"x", SSECustomerAlgorithm="AES256",
                                  SSECustomerKey="c2hvcnQ=", SSECustomerKeyMD5="wrong"),
        lambda: s3_tls.create_multipart_upload(Bucket=bucket, Key="k", **SSE_C_ARGS),
        lambda: s3_tls.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "plain"},
                                   **SSE_C_ARGS),
    ]
    for write in writes:
        with pytest.raises(ClientError) as exc:
            write()
        assert (error_code(exc), status(exc)) == ("AccessDenied", 403)
        assert "because this bucket has blocked upload requests that specify Server Side Encryption with Customer " \
               "provided keys (SSE-C)" in exc.value.response["Error"]["Message"]
    post = s3_tls.generate_presigned_post(bucket, "form", Fields=dict(SSE_C), Conditions=[
        {k: v} for k, v in SSE_C.items()])
    tls = ssl.create_default_context(cafile=tls_server.ca_path)
    response = httpx.post(post["url"], data=post["fields"], files={"file": ("f", b"x")}, verify=tls)
    assert response.status_code == 403 and error_code_of(response) == "AccessDenied"
    unblock_sse_c(s3_tls, bucket)
    s3_tls.put_object(Bucket=bucket, Key="k", Body=b"x", **SSE_C_ARGS)


@pytest.mark.parametrize("args,code,message", [
    ({"SSECustomerAlgorithm": "AES256", "SSECustomerKey": b"k" * 16}, "InvalidArgument",
     "The secret key was invalid for the specified algorithm."),
    ({"SSECustomerAlgorithm": "AES256", "SSECustomerKey": KEY_B64, "SSECustomerKeyMD5": KEY_MD5[::-1]},
     "InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided."),
    ({"SSECustomerAlgorithm": "AES128", "SSECustomerKey": KEY}, "InvalidEncryptionAlgorithmError",
     "The Encryption request you specified is not valid. Supported value: AES256."),
    ({"SSECustomerKey": KEY}, "InvalidArgument",
     "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption "
     "algorithm."),
    ({"SSECustomerAlgorithm": "AES256"}, "InvalidArgument",
     "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret "
     "key."),
    ({"ServerSideEncryption": "AES256", **SSE_C_ARGS}, "InvalidArgument",
     "Server Side Encryption with Customer provided key is incompatible with the encryption method specified"),
])
def test_bad_sse_c_keys_are_refused(s3_tls, tls_bucket, args, code, message):
    unblock_sse_c(s3_tls, tls_bucket)
    for call in (lambda: s3_tls.put_object(Bucket=tls_bucket, Key="k", Body=b"x", **args),
                 lambda: s3_tls.create_multipart_upload(Bucket=tls_bucket, Key="k", **args)):
        with pytest.raises(ClientError) as exc:
            call()
        assert (error_code(exc), status(exc)) == (code, 400)
        assert exc.value.response["Error"]["Message"] == message
    if "ServerSideEncryption" not in args:  # a read checks the key the same way
        with pytest.raises(ClientError) as exc:
            s3_tls.head_object(Bucket=tls_bucket, Key="k", **args)
        assert status(exc) == 400


def test_policy_condition_keys_on_encryption_are_enforced(s3, server, bucket):
    """Encryption headers bypass no authorization: a policy requiring SSE-KMS (with one key) is enforced."""
    arn = f"arn:aws:s3:::{bucket}/*"
    _, user = new_user(server.endpoint, allow("s3:PutObject", arn),
                       deny("s3:PutObject", arn, Condition={
                           "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}),
                       deny("s3:PutObject", arn, Condition={
                           "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "alias/app"}}))
    assert failure(user.put_object, Bucket=bucket, Key="plain", Body=b"x") == ("AccessDenied", 403)
    assert failure(user.put_object, Bucket=bucket, Key="s3", Body=b"x", ServerSideEncryption="AES256") == \
        ("AccessDenied", 403)
    assert failure(user.put_object, Bucket=bucket, Key="other", Body=b"x", ServerSideEncryption="aws:kms",
                   SSEKMSKeyId="alias/other") == ("AccessDenied", 403)
    assert failure(user.create_multipart_upload, Bucket=bucket, Key="mp") == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="plain")
    assert status(exc) == 404  # nothing was stored by the refused writes
