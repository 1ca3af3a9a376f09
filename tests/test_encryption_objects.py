"""Each encryption mode's headers round trip through boto3: PUT, GET, HEAD, copy, multipart, presigned POST.

SSE-C runs over HTTPS (``tls_server``), as S3 requires, on buckets that unblock it.
"""

from __future__ import annotations

import base64
import json
import ssl

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code, status
from tests.harness.clients import unique_bucket_name
from tests.test_encryption_requests import KEY, KEY_MD5, SSE_C, SSE_C_ARGS, unblock_sse_c

OTHER_KEY = bytes(32)
MOTO_NO_SSE_C = "moto ignores SSE-C: it neither echoes the key's MD5 nor asks for the key on reads"
MOTO_NO_KMS_ARN = "moto names no KMS key when aws:kms is asked without one (S3 reports the aws/s3 key's ARN)"
CONTEXT = base64.b64encode(json.dumps({"app": "photos"}).encode()).decode()


@pytest.fixture
def ssec_bucket(s3_tls) -> str:  # type: ignore[no-untyped-def]
    name = unique_bucket_name()
    s3_tls.create_bucket(Bucket=name)
    unblock_sse_c(s3_tls, name)
    return name


def test_sse_s3_headers_round_trip(s3, s3v4, server, bucket):
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"hello", ServerSideEncryption="AES256")
    assert put["ServerSideEncryption"] == "AES256"
    get = s3.get_object(Bucket=bucket, Key="k")
    assert (get["ServerSideEncryption"], get["Body"].read()) == ("AES256", b"hello")
    assert s3.head_object(Bucket=bucket, Key="k")["ServerSideEncryption"] == "AES256"
    copy = s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"})
    assert copy["ServerSideEncryption"] == "AES256"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ServerSideEncryption="AES256")
    assert upload["ServerSideEncryption"] == "AES256"
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"p")
    assert part["ServerSideEncryption"] == "AES256"
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert done["ServerSideEncryption"] == "AES256"
    post = s3v4.generate_presigned_post(bucket, "form", Fields={"x-amz-server-side-encryption": "AES256"},
                                        Conditions=[{"x-amz-server-side-encryption": "AES256"}])
    response = httpx.post(post["url"], data=post["fields"], files={"file": ("f", b"form body")})
    assert response.status_code == 204 and response.headers["x-amz-server-side-encryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="form")["Body"].read() == b"form body"


@pytest.mark.differs("upstream-moto", reason=MOTO_NO_KMS_ARN)
def test_sse_kms_headers_round_trip(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"hello", ServerSideEncryption="aws:kms",
                        SSEKMSEncryptionContext=CONTEXT, BucketKeyEnabled=True)
    arn = put["SSEKMSKeyId"]
    assert put["ServerSideEncryption"] == "aws:kms" and arn.startswith("arn:aws:kms:")
    assert put["SSEKMSEncryptionContext"] == CONTEXT and put["BucketKeyEnabled"] is True
    head = s3.head_object(Bucket=bucket, Key="k")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"], head["BucketKeyEnabled"]) == ("aws:kms", arn, True)
    assert "SSEKMSEncryptionContext" not in head  # GET and HEAD never answer the context
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"hello"
    copy = s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"},
                          ServerSideEncryption="aws:kms:dsse")
    assert copy["ServerSideEncryption"] == "aws:kms:dsse"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ServerSideEncryption="aws:kms")
    assert (upload["ServerSideEncryption"], upload["SSEKMSKeyId"]) == ("aws:kms", arn)


@pytest.mark.differs("upstream-moto", reason="moto accepts any KMS key id")
def test_unknown_kms_key_is_refused(s3, bucket):
    for call in (lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms",
                                       SSEKMSKeyId="no-such-key"),
                 lambda: s3.create_multipart_upload(Bucket=bucket, Key="k", ServerSideEncryption="aws:kms",
                                                    SSEKMSKeyId="alias/no-such-key")):
        with pytest.raises(ClientError) as exc:
            call()
        assert (error_code(exc), status(exc)) == ("KMS.NotFoundException", 400)


@pytest.mark.differs("upstream-moto", reason=MOTO_NO_SSE_C)
def test_sse_c_round_trip_needs_the_key(s3_tls, ssec_bucket):
    bucket = ssec_bucket
    put = s3_tls.put_object(Bucket=bucket, Key="k", Body=b"secret", **SSE_C_ARGS)
    assert (put["SSECustomerAlgorithm"], put["SSECustomerKeyMD5"]) == ("AES256", KEY_MD5)
    assert "ServerSideEncryption" not in put
    get = s3_tls.get_object(Bucket=bucket, Key="k", **SSE_C_ARGS)
    assert (get["SSECustomerKeyMD5"], get["Body"].read()) == (KEY_MD5, b"secret")
    assert s3_tls.head_object(Bucket=bucket, Key="k", **SSE_C_ARGS)["SSECustomerAlgorithm"] == "AES256"
    with pytest.raises(ClientError) as exc:
        s3_tls.get_object(Bucket=bucket, Key="k")
    assert (error_code(exc), status(exc)) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:
        s3_tls.get_object(Bucket=bucket, Key="k", SSECustomerAlgorithm="AES256", SSECustomerKey=OTHER_KEY)
    assert status(exc) == 403
    with pytest.raises(ClientError) as exc:  # a copy needs the source's key
        s3_tls.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"})
    assert (error_code(exc), status(exc)) == ("InvalidRequest", 400)
    copy = s3_tls.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"},
                              CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=KEY)
    assert copy["ServerSideEncryption"] == "AES256"  # the target takes the bucket's default, not the source's
    assert s3_tls.get_object(Bucket=bucket, Key="c")["Body"].read() == b"secret"
    rekeyed = s3_tls.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k"},
                                 CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=KEY,
                                 SSECustomerAlgorithm="AES256", SSECustomerKey=OTHER_KEY)
    assert rekeyed["SSECustomerAlgorithm"] == "AES256"
    assert s3_tls.get_object(Bucket=bucket, Key="k", SSECustomerAlgorithm="AES256",
                             SSECustomerKey=OTHER_KEY)["Body"].read() == b"secret"


@pytest.mark.differs("upstream-moto", reason=MOTO_NO_SSE_C)
def test_sse_c_multipart_parts_carry_the_key(s3_tls, ssec_bucket):
    bucket = ssec_bucket
    s3_tls.put_object(Bucket=bucket, Key="src", Body=b"s" * 1000, **SSE_C_ARGS)
    upload = s3_tls.create_multipart_upload(Bucket=bucket, Key="mp", **SSE_C_ARGS)
    assert upload["SSECustomerKeyMD5"] == KEY_MD5
    upload_id = upload["UploadId"]
    with pytest.raises(ClientError) as exc:
        s3_tls.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1, Body=b"p")
    assert (error_code(exc), status(exc)) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:
        s3_tls.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1, Body=b"p",
                           SSECustomerAlgorithm="AES256", SSECustomerKey=OTHER_KEY)
    assert (error_code(exc), status(exc)) == ("InvalidRequest", 400)
    first = s3_tls.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=1, Body=b"a" * (5 << 20),
                               **SSE_C_ARGS)
    assert first["SSECustomerKeyMD5"] == KEY_MD5
    second = s3_tls.upload_part_copy(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=2,
                                     CopySource={"Bucket": bucket, "Key": "src"},
                                     CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=KEY,
                                     **SSE_C_ARGS)
    assert second["SSECustomerAlgorithm"] == "AES256"
    s3_tls.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": first["ETag"]}, {"PartNumber": 2, "ETag": second["CopyPartResult"]["ETag"]}]})
    ranged = s3_tls.get_object(Bucket=bucket, Key="mp", Range=f"bytes={(5 << 20) - 2}-{(5 << 20) + 1}", **SSE_C_ARGS)
    assert ranged["Body"].read() == b"aass"


@pytest.mark.differs("upstream-moto", reason=MOTO_NO_SSE_C)
def test_sse_c_presigned_post(s3_tls, tls_server, ssec_bucket):
    post = s3_tls.generate_presigned_post(ssec_bucket, "form", Fields=dict(SSE_C),
                                          Conditions=[{k: v} for k, v in SSE_C.items()])
    tls = ssl.create_default_context(cafile=tls_server.ca_path)
    response = httpx.post(post["url"], data=post["fields"], files={"file": ("f", b"form body")}, verify=tls)
    assert response.status_code == 204
    assert response.headers["x-amz-server-side-encryption-customer-key-md5"] == KEY_MD5
    assert s3_tls.get_object(Bucket=ssec_bucket, Key="form", **SSE_C_ARGS)["Body"].read() == b"form body"
