"""Object Lock, the configuration and the locks themselves: CreateBucket with Object Lock, Put/Get
ObjectLockConfiguration, Put/GetObjectRetention and LegalHold, the x-amz-object-lock-* headers of PUT,
POST, CopyObject and CreateMultipartUpload and GET/HEAD, with S3's checks and errors. What a lock
refuses (deletes, the GOVERNANCE bypass, the lifecycle) is test_object_lock_enforcement.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code, status
from tests.harness.clients import make_client, unique_bucket_name
from tests.harness.payloads import content_md5
from tests.harness.rawhttp import signed

MOTO_NO_GET_RETENTION = "moto does not implement GetObjectRetention (it answers the object's bytes)"
MOTO_SUSPENDS = "moto lets versioning of an Object Lock bucket be suspended"
MOTO_NOT_EMPTY = "moto refuses a lock configuration on a bucket holding objects (InvalidBucket: Bucket needs to be " \
                 "empty)"
ENABLED = {"ObjectLockEnabled": "Enabled"}
NEEDED = "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters"
LOCK_FIELDS = ("ObjectLockMode", "ObjectLockRetainUntilDate", "ObjectLockLegalHoldStatus")


def later(days: float = 1) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


def lock_of(answer: dict) -> dict:  # type: ignore[type-arg]
    return {name: answer[name] for name in LOCK_FIELDS if name in answer}


def failure(call, **kwargs) -> tuple[str, int, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return error_code(exc), status(exc), exc.value.response["Error"].get("Message", "")


def xml_error(response: httpx.Response) -> tuple[int, str, str | None]:
    from lxml import etree

    doc = etree.fromstring(response.content)
    return response.status_code, str(doc.findtext("Code")), doc.findtext("ArgumentName")


@pytest.fixture
def locked(s3) -> str:  # type: ignore[no-untyped-def]
    name = unique_bucket_name("ol")
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


# -- the bucket's configuration -----------------------------------------------------------------------
@pytest.mark.differs("upstream-moto", reason=MOTO_SUSPENDS)
def test_a_bucket_made_with_object_lock_is_versioned_for_good(s3, locked):
    assert s3.get_bucket_versioning(Bucket=locked)["Status"] == "Enabled"
    assert s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"] == ENABLED
    code, http, message = failure(s3.put_bucket_versioning, Bucket=locked,
                                  VersioningConfiguration={"Status": "Suspended"})
    assert (code, http) == ("InvalidBucketState", 409)
    assert message == "An Object Lock configuration is present on this bucket, so the versioning state cannot be " \
                      "changed."
    s3.put_bucket_versioning(Bucket=locked, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=locked)["Status"] == "Enabled"


def test_a_bucket_without_object_lock_has_no_configuration(s3, bucket):
    code, http, message = failure(s3.get_object_lock_configuration, Bucket=bucket)
    assert (code, http, message) == ("ObjectLockConfigurationNotFoundError", 404,
                                     "Object Lock configuration does not exist for this bucket")


def test_default_retention_round_trip(s3, locked):
    for period in ({"Days": 30}, {"Years": 2}):
        rule = {"DefaultRetention": {"Mode": "COMPLIANCE", **period}}
        s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled",
                                                                                  "Rule": rule})
        assert s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"] == {
            "ObjectLockEnabled": "Enabled", "Rule": rule}
    s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"] == ENABLED


@pytest.mark.parametrize(("config", "code"), [
    ({}, "MalformedXML"),
    ({"ObjectLockEnabled": "Disabled"}, "MalformedXML"),
    ({"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE"}}}, "MalformedXML"),
    ({"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1, "Years": 1}}},
     "MalformedXML"),
    ({"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "governance", "Days": 1}}},
     "MalformedXML"),
    ({"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 0}}},
     "InvalidArgument"),
    ({"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": -1}}},
     "InvalidArgument"),
    ({"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 36501}}},
     "InvalidArgument"),
])
def test_invalid_configurations(s3, locked, config, code):
    assert failure(s3.put_object_lock_configuration, Bucket=locked, ObjectLockConfiguration=config)[:2] == (code, 400)


def test_configuration_documents_need_content_md5_or_a_checksum(server, locked):
    body = b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>"
    assert xml_error(signed(server, "PUT", f"/{locked}?object-lock", body=body))[:2] == (400, "InvalidRequest")
    assert signed(server, "PUT", f"/{locked}?object-lock", body=body,
                  headers={"Content-MD5": content_md5(body)}).status_code == 200


@pytest.mark.differs("upstream-moto", reason="moto answers InvalidBucketState with 400 (S3: 409) and lets versioning "
                     "of an Object Lock bucket be suspended")
def test_object_lock_can_be_enabled_on_a_versioned_bucket(s3, bucket):
    enable = {"ObjectLockEnabled": "Enabled"}
    code, http, message = failure(s3.put_object_lock_configuration, Bucket=bucket, ObjectLockConfiguration=enable)
    assert (code, http) == ("InvalidBucketState", 409)
    assert message == "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=enable)
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"] == enable
    assert failure(s3.put_bucket_versioning, Bucket=bucket,
                   VersioningConfiguration={"Status": "Suspended"})[:2] == ("InvalidBucketState", 409)


# -- a version's lock --------------------------------------------------------------------------------
def test_lock_headers_are_kept_and_shown_on_get_and_head(s3, locked):
    until = later()
    put = s3.put_object(Bucket=locked, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
                        ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus="ON")
    want = {"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": until, "ObjectLockLegalHoldStatus": "ON"}
    assert lock_of(s3.head_object(Bucket=locked, Key="k")) == want
    assert lock_of(s3.get_object(Bucket=locked, Key="k", VersionId=put["VersionId"])) == want
    assert lock_of(s3.get_object(Bucket=locked, Key="k", Range="bytes=0-0")) == want
    s3.put_object_legal_hold(Bucket=locked, Key="k", LegalHold={"Status": "OFF"})
    assert s3.head_object(Bucket=locked, Key="k")["ObjectLockLegalHoldStatus"] == "OFF"
    plain = s3.put_object(Bucket=locked, Key="plain", Body=b"x")  # never held: no legal-hold header at all
    assert lock_of(s3.head_object(Bucket=locked, Key="plain", VersionId=plain["VersionId"])) == {}


@pytest.mark.differs("upstream-moto", reason=MOTO_NO_GET_RETENTION)
def test_retention_and_legal_hold_documents(s3, locked):
    until = later(2)
    version = s3.put_object(Bucket=locked, Key="k", Body=b"x")["VersionId"]
    for call in (s3.get_object_retention, s3.get_object_legal_hold):
        code, http, message = failure(call, Bucket=locked, Key="k")
        assert (code, http, message) == ("NoSuchObjectLockConfiguration", 404,
                                         "The specified object does not have a ObjectLock configuration")
    s3.put_object_retention(Bucket=locked, Key="k", VersionId=version,
                            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until})
    s3.put_object_legal_hold(Bucket=locked, Key="k", VersionId=version, LegalHold={"Status": "ON"})
    assert s3.get_object_retention(Bucket=locked, Key="k")["Retention"] == {"Mode": "COMPLIANCE",
                                                                            "RetainUntilDate": until}
    assert s3.get_object_legal_hold(Bucket=locked, Key="k", VersionId=version)["LegalHold"] == {"Status": "ON"}
    versions = s3.list_object_versions(Bucket=locked, Prefix="k")["Versions"]
    assert [v["VersionId"] for v in versions] == [version]  # placing a lock makes no new version
    marker = s3.delete_object(Bucket=locked, Key="k")["VersionId"]
    assert failure(s3.put_object_retention, Bucket=locked, Key="k", VersionId=marker,
                   Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until})[:2] == ("MethodNotAllowed", 405)


def test_locks_need_a_bucket_with_object_lock(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    lock = {"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": later()}
    missing = ("InvalidRequest", 400, "Bucket is missing ObjectLockConfiguration")
    assert failure(s3.put_object, Bucket=bucket, Key="a", Body=b"x", **lock) == missing
    assert failure(s3.put_object, Bucket=bucket, Key="a", Body=b"x", ObjectLockLegalHoldStatus="OFF") == missing
    assert failure(s3.copy_object, Bucket=bucket, Key="a", CopySource={"Bucket": bucket, "Key": "k"}, **lock) == missing
    assert failure(s3.create_multipart_upload, Bucket=bucket, Key="a", **lock) == missing
    assert failure(s3.put_object_retention, Bucket=bucket, Key="k", Retention={
        "Mode": "GOVERNANCE", "RetainUntilDate": later()}) == ("InvalidRequest", 400,
                                                               "Bucket is missing Object Lock Configuration")
    assert failure(s3.put_object_legal_hold, Bucket=bucket, Key="k", LegalHold={"Status": "ON"})[:2] \
        == ("InvalidRequest", 400)


@pytest.mark.parametrize(("headers", "argument"), [
    ({"x-amz-object-lock-mode": "GOVERNANCE"}, "x-amz-object-lock-retain-until-date"),
    ({"x-amz-object-lock-retain-until-date": "2099-01-01T00:00:00Z"}, "x-amz-object-lock-mode"),
    ({"x-amz-object-lock-mode": "KEEP", "x-amz-object-lock-retain-until-date": "2099-01-01T00:00:00Z"},
     "x-amz-object-lock-mode"),
    ({"x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": "next week"},
     "x-amz-object-lock-retain-until-date"),
    ({"x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": "2001-01-01T00:00:00Z"},
     "x-amz-object-lock-retain-until-date"),  # in the past
    ({"x-amz-object-lock-legal-hold": "YES"}, "x-amz-object-lock-legal-hold"),
])
def test_lock_headers_are_checked_before_the_bucket(server, bucket, headers, argument):
    body = b"x"
    response = signed(server, "PUT", f"/{bucket}/k", body=body, headers={**headers, "Content-MD5": content_md5(body)})
    assert xml_error(response) == (400, "InvalidArgument", argument)


def test_retain_until_date_must_be_in_the_future(s3, locked):
    past = datetime.now(UTC) - timedelta(hours=1)
    assert failure(s3.put_object, Bucket=locked, Key="k", Body=b"x", ObjectLockMode="COMPLIANCE",
                   ObjectLockRetainUntilDate=past) == ("InvalidArgument", 400,
                                                       "The retain until date must be in the future!")
    s3.put_object(Bucket=locked, Key="k", Body=b"x")
    assert failure(s3.put_object_retention, Bucket=locked, Key="k",
                   Retention={"Mode": "COMPLIANCE", "RetainUntilDate": past})[:2] == ("InvalidArgument", 400)


def test_event_holds_are_not_implemented(server, locked):
    body = b"x"
    response = signed(server, "PUT", f"/{locked}/k", body=body,
                      headers={"x-amz-object-lock-event-hold": "ON", "Content-MD5": content_md5(body)})
    assert xml_error(response)[:2] == (501, "NotImplemented")


def test_uploads_that_will_be_locked_need_content_md5_or_a_checksum(s3_plain, locked):
    """boto3 that sends checksums only when required (s3_plain) sends neither; a payload hash does not count."""
    needed = ("InvalidRequest", 400, NEEDED)
    lock = {"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": later()}
    assert failure(s3_plain.put_object, Bucket=locked, Key="k", Body=b"x", **lock) == needed
    assert failure(s3_plain.put_object, Bucket=locked, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON") == needed
    s3_plain.put_object(Bucket=locked, Key="plain", Body=b"x")  # nothing to lock: nothing needed
    s3_plain.put_object(Bucket=locked, Key="k", Body=b"x", ContentMD5=content_md5(b"x"), **lock)
    assert s3_plain.head_object(Bucket=locked, Key="k")["ObjectLockMode"] == "GOVERNANCE"
    upload = s3_plain.create_multipart_upload(Bucket=locked, Key="big", **lock)["UploadId"]  # no body: no need
    assert failure(s3_plain.upload_part, Bucket=locked, Key="big", UploadId=upload, PartNumber=1,
                   Body=b"p")[2] == needed[2].replace("Put Object", "Put Part")
    s3_plain.upload_part(Bucket=locked, Key="big", UploadId=upload, PartNumber=1, Body=b"p",
                         ContentMD5=content_md5(b"p"))


def test_a_default_retention_needs_content_md5_or_a_checksum_too(s3, s3_plain):
    name = default_locked(s3)
    assert failure(s3_plain.put_object, Bucket=name, Key="k", Body=b"x") == ("InvalidRequest", 400, NEEDED)
    s3_plain.put_object(Bucket=name, Key="k", Body=b"x", ContentMD5=content_md5(b"x"))
    upload = s3_plain.create_multipart_upload(Bucket=name, Key="big")["UploadId"]
    assert failure(s3_plain.upload_part, Bucket=name, Key="big", UploadId=upload, PartNumber=1,
                   Body=b"p")[2] == NEEDED.replace("Put Object", "Put Part")


def default_locked(s3, mode: str = "GOVERNANCE") -> str:  # type: ignore[no-untyped-def]
    """A new bucket with Object Lock and a default retention of a day."""
    name = unique_bucket_name("old")
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": mode, "Days": 1}}})
    return name


@pytest.mark.differs("upstream-moto", reason=MOTO_NOT_EMPTY)
def test_a_default_retention_applies_to_new_versions_only(s3, locked):
    s3.put_object(Bucket=locked, Key="before", Body=b"x")
    s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    assert lock_of(s3.head_object(Bucket=locked, Key="before")) == {}
    s3.put_object(Bucket=locked, Key="before", Body=b"x")
    assert s3.head_object(Bucket=locked, Key="before")["ObjectLockMode"] == "GOVERNANCE"


@pytest.mark.differs("upstream-moto", reason="moto gives no default retention to a version written with a legal hold")
def test_a_legal_hold_keeps_the_default_retention(s3):
    locked = default_locked(s3)
    s3.put_object(Bucket=locked, Key="held", Body=b"x", ObjectLockLegalHoldStatus="ON")  # a hold is no retention
    head = s3.head_object(Bucket=locked, Key="held")
    assert (head["ObjectLockMode"], head["ObjectLockLegalHoldStatus"]) == ("GOVERNANCE", "ON")


def test_default_retention_locks_new_versions(s3, bucket):
    locked = default_locked(s3)
    s3.put_object(Bucket=locked, Key="k", Body=b"x")
    head = s3.head_object(Bucket=locked, Key="k")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert abs(head["ObjectLockRetainUntilDate"] - head["LastModified"] - timedelta(days=1)) < timedelta(minutes=2)
    until = later(5)
    s3.put_object(Bucket=locked, Key="own", Body=b"x", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until)
    assert lock_of(s3.head_object(Bucket=locked, Key="own")) == {"ObjectLockMode": "COMPLIANCE",
                                                                  "ObjectLockRetainUntilDate": until}
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": locked, "Key": "own"})
    assert lock_of(s3.head_object(Bucket=bucket, Key="copy")) == {}  # a copy never takes its source's lock


LOCK = {"ObjectLockMode": "COMPLIANCE", "ObjectLockLegalHoldStatus": "ON"}


@pytest.mark.differs("upstream-moto", reason="moto wants Content-MD5 or a checksum on a CopyObject with lock headers, "
                     "which has no body to check (S3 does not)")
def test_copies_take_lock_headers(s3, locked):
    lock = {**LOCK, "ObjectLockRetainUntilDate": later(3)}
    s3.put_object(Bucket=locked, Key="src", Body=b"x")
    s3.copy_object(Bucket=locked, Key="copy", CopySource={"Bucket": locked, "Key": "src"}, **lock)
    assert lock_of(s3.head_object(Bucket=locked, Key="copy")) == lock


@pytest.mark.differs("upstream-moto", reason="moto gives a completed multipart upload none of the lock headers its "
                     "CreateMultipartUpload named")
def test_multipart_uploads_take_lock_headers(s3, locked):
    lock = {**LOCK, "ObjectLockRetainUntilDate": later(3)}
    upload = s3.create_multipart_upload(Bucket=locked, Key="mpu", **lock)["UploadId"]
    part = s3.upload_part(Bucket=locked, Key="mpu", UploadId=upload, PartNumber=1, Body=b"part")
    s3.complete_multipart_upload(Bucket=locked, Key="mpu", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert lock_of(s3.head_object(Bucket=locked, Key="mpu")) == lock


@pytest.mark.differs("upstream-s3gate", "upstream-moto", reason="a form's file has no length known before it is "
                     "read, so the gateway forwards it as a chunked PUT with no checksum, which an upstream refuses "
                     "for an Object Lock write")
def test_forms_take_lock_fields(s3, s3v4, locked):
    until = later(3)
    fields = {"x-amz-object-lock-mode": "GOVERNANCE",
              "x-amz-object-lock-retain-until-date": until.strftime("%Y-%m-%dT%H:%M:%SZ")}
    form = s3v4.generate_presigned_post(locked, "form", Fields=fields, Conditions=[{k: v} for k, v in fields.items()])
    response = httpx.post(form["url"], data=form["fields"], files={"file": ("f.txt", b"form", "text/plain")})
    assert response.status_code == 204, response.text
    assert lock_of(s3.head_object(Bucket=locked, Key="form")) == {"ObjectLockMode": "GOVERNANCE",
                                                                   "ObjectLockRetainUntilDate": until}


def test_sigv2_requests_cannot_set_locks(server, locked):
    v2 = make_client(server.endpoint, signature_version="s3")
    code, http, message = failure(v2.put_object, Bucket=locked, Key="k", Body=b"x", ContentMD5=content_md5(b"x"),
                                  ObjectLockLegalHoldStatus="ON")
    assert (code, http, message) == ("InvalidArgument", 400,
                                     "Put Object requests with Object Lock parameters require AWS Signature Version 4")
