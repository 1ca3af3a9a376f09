"""Bucket default encryption: what new buckets start with (``--bucket-defaults``), Put/Get/DeleteBucketEncryption
with BlockedEncryptionTypes, and the default applied to writes that name no encryption."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code, error_code_of
from tests.harness.clients import unique_bucket_name
from tests.harness.payloads import content_md5
from tests.harness.rawhttp import signed
from tests.harness.servers import LOCAL

SSE_S3 = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}
BLOCKED = {"BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]}}
MOTO_DROPS_BLOCKED = "moto's GetBucketEncryption leaves BlockedEncryptionTypes out (it keeps only the default)"


def rules(s3, bucket: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    return s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]


@pytest.mark.differs("upstream-moto", reason=MOTO_DROPS_BLOCKED)
def test_new_buckets_have_sse_s3_with_sse_c_blocked(s3, bucket):
    """S3's defaults: SSE-S3 since January 2023, SSE-C blocked since April 2026."""
    assert rules(s3, bucket) == [{**SSE_S3, **BLOCKED}]


@pytest.mark.differs("upstream-moto", reason=MOTO_DROPS_BLOCKED)
def test_bucket_encryption_reads_back_and_keeps_its_block(s3, bucket):
    """CDK's and Terraform's bucket encryption resources write a rule and read it back."""
    kms = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/app"},
           "BucketKeyEnabled": True}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [kms]})
    assert rules(s3, bucket) == [{**kms, **BLOCKED}]  # a rule that states no block keeps the bucket's
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"BlockedEncryptionTypes": {"EncryptionType": ["NONE"]}}]})
    assert rules(s3, bucket) == [{**SSE_S3, "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]}}]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{**SSE_S3, **BLOCKED}]})
    s3.delete_bucket_encryption(Bucket=bucket)  # S3: resets to SSE-S3
    assert rules(s3, bucket) == [{**SSE_S3, **BLOCKED}]


@pytest.mark.parametrize("rule,code", [
    ({"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "alias/app"}},
     "InvalidArgument"),
    ({"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "ROT13"}}, "MalformedXML"),
    ({"BlockedEncryptionTypes": {"EncryptionType": ["SSE-KMS"]}}, "MalformedXML"),
    ({"BlockedEncryptionTypes": {"EncryptionType": ["NONE", "SSE-C"]}}, "MalformedXML"),
])
@pytest.mark.backends(*LOCAL, "upstream-s3gate", reason="moto accepts these rules")
def test_bad_encryption_rules_are_refused(s3, bucket, rule, code):
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    assert error_code(exc) == code


@pytest.mark.backends(*LOCAL, "upstream-s3gate", reason="moto accepts these rules")
def test_two_rules_are_malformed(server, bucket):
    rule = "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>" \
           "</ApplyServerSideEncryptionByDefault></Rule>"
    body = f"<ServerSideEncryptionConfiguration>{rule}{rule}</ServerSideEncryptionConfiguration>".encode()
    response = signed(server, "PUT", f"/{bucket}?encryption", body=body,
                      headers={"content-md5": content_md5(body)})
    assert response.status_code == 400 and error_code_of(response) == "MalformedXML"


@pytest.mark.differs("upstream-moto", reason="moto names no KMS key for a bucket default of aws:kms without one")
def test_writes_that_name_no_encryption_get_the_default(s3, bucket):
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"x")["ServerSideEncryption"] == "AES256"
    assert s3.head_object(Bucket=bucket, Key="k")["ServerSideEncryption"] == "AES256"
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]})
    put = s3.put_object(Bucket=bucket, Key="kms", Body=b"x")
    assert put["ServerSideEncryption"] == "aws:kms" and put["BucketKeyEnabled"] is True
    assert put["SSEKMSKeyId"].startswith("arn:aws:kms:")
    head = s3.head_object(Bucket=bucket, Key="kms")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", put["SSEKMSKeyId"])
    asked = s3.put_object(Bucket=bucket, Key="s3", Body=b"x", ServerSideEncryption="AES256")
    assert asked["ServerSideEncryption"] == "AES256" and "BucketKeyEnabled" not in asked  # the request wins
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    assert upload["ServerSideEncryption"] == "aws:kms"


@pytest.mark.backends(*LOCAL, reason="an upstream keeps its own bucket defaults (the upstream s3gate's are aws)")
def test_legacy_buckets_have_no_default_encryption(make_server):
    srv = make_server(args=["--bucket-defaults", "legacy", "--allow-sse-c-over-http"]).start()
    s3 = srv.client()
    bucket = unique_bucket_name()
    s3.create_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_encryption(Bucket=bucket)
    assert error_code(exc) == "ServerSideEncryptionConfigurationNotFoundError"
    assert "ServerSideEncryption" not in s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert "ServerSideEncryption" not in s3.head_object(Bucket=bucket, Key="k")
    key = bytes(range(32))
    s3.put_object(Bucket=bucket, Key="c", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=key)  # not blocked
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    assert rules(s3, bucket) == [SSE_S3]
    s3.delete_bucket_encryption(Bucket=bucket)  # legacy: removed, as before 2023
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_encryption(Bucket=bucket)
    assert error_code(exc) == "ServerSideEncryptionConfigurationNotFoundError"
