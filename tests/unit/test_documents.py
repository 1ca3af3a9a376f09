"""Wire documents and header codecs, without a server.

Each golden file in ``golden/`` is what the server (or the upstream backend) sent before the
documents moved to ``gateway.wire.documents``: rendering the same value must give the same
bytes, and parsing the file must give the value back. AWS's documented examples parse too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.wire import xml
from gateway.wire.checksums import Checksum
from gateway.wire.documents import buckets, delete, multipart, restore, tagging, versioning
from gateway.wire.errors import Code, S3Error
from gateway.wire.headers import (
    checksum_headers,
    content_range,
    expiration_header,
    http_date,
    http_date_ms,
    parse_checksum,
    parse_content_range,
    parse_expiration,
    parse_http_date,
    parse_restore,
    parse_tagging_header,
    quote_etag,
    restore_header,
    tagging_header,
    unquote_etag,
)

GOLDEN = Path(__file__).parent / "golden"
TAGS = {"project": "blue", "a&b <c>": 'quote " and \u00e9', "empty": ""}
ITEMS: list[tuple[str, str | None]] = [("plain.txt", None), ("versioned.txt", "v1"), ("marker.txt", None),
                                       ("", None), ("denied.txt", "v2"), ("a&b <c>", None)]
RESULT: list[delete.Deleted | delete.Failed] = [
    delete.Deleted("plain.txt"), delete.Deleted("versioned.txt", "v1"), delete.Deleted("marker.txt", None, True, "m1"),
    delete.Failed("", None, "InvalidArgument", "The key must not be empty"),
    delete.Failed("denied.txt", "v2", "AccessDenied", "Access Denied"), delete.Deleted("a&b <c>", None, True)]
PARTS = [multipart.CompletedPart(1, "0cc175b9c0f1b6a831c399e269772661", {"CRC32": "6Dk7zw=="}),
         multipart.CompletedPart(2, "92eb5ffee6ae2fec3ad71c777531578f", {}),
         multipart.CompletedPart(3, "4a8a08f09d37b73795649038408b5f33-1",
                                 {"SHA256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "CRC32": "AAAAAA=="})]


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def parsed(name: str, root: str) -> xml.Element:
    return xml.parse(golden(name), root)


# -- golden: render gives the bytes, parse gives the value back --------------------------------------
def test_tagging() -> None:
    assert xml.render(tagging.render_tagging(TAGS)) == golden("tagging.xml")
    assert dict(tagging.parse_tagging(parsed("tagging.xml", "Tagging"))) == TAGS
    assert xml.render(tagging.render_tagging({})) == golden("tagging-empty.xml")
    assert tagging.parse_tagging(parsed("tagging-empty.xml", "Tagging")) == []


@pytest.mark.parametrize(("name", "status"), [("versioning-enabled.xml", "Enabled"),
                                              ("versioning-suspended.xml", "Suspended"),
                                              ("versioning-never.xml", None)])
def test_versioning(name: str, status: str | None) -> None:
    assert xml.render(versioning.render_versioning(versioning.Versioning(status))) == golden(name)
    assert versioning.parse_versioning(parsed(name, "VersioningConfiguration")) == versioning.Versioning(status)


def test_create_bucket_configuration() -> None:
    assert xml.render(buckets.render_create_bucket("eu-west-1")) == golden("create-bucket-configuration.xml")
    assert buckets.parse_create_bucket(parsed("create-bucket-configuration.xml", "CreateBucketConfiguration")) \
        == "eu-west-1"


def test_delete_request() -> None:
    assert xml.render(delete.render_delete(delete.DeleteRequest(ITEMS))) == golden("delete.xml")
    assert delete.parse_delete(parsed("delete.xml", "Delete")) == delete.DeleteRequest(ITEMS)


def test_delete_result() -> None:
    assert xml.render(delete.render_delete_result(RESULT)) == golden("delete-result.xml")
    assert delete.parse_delete_result(parsed("delete-result.xml", "DeleteResult")) == RESULT
    errors = [e for e in RESULT if isinstance(e, delete.Failed)]
    assert xml.render(delete.render_delete_result(errors)) == golden("delete-result-quiet.xml")
    assert delete.parse_delete_result(parsed("delete-result-quiet.xml", "DeleteResult")) == errors


def test_complete_multipart_upload() -> None:
    assert xml.render(multipart.render_complete(PARTS)) == golden("complete-multipart-upload.xml")
    assert multipart.parse_complete(parsed("complete-multipart-upload.xml", "CompleteMultipartUpload")) == PARTS


def test_restore_request() -> None:
    assert xml.render(restore.render_restore_request(restore.RestoreRequest(7))) == golden("restore-request.xml")
    assert restore.parse_restore_request(parsed("restore-request.xml", "RestoreRequest")) == restore.RestoreRequest(7)


def test_round_trips_of_what_no_golden_file_holds() -> None:
    quiet = delete.DeleteRequest([("k", None)], quiet=True)
    assert delete.parse_delete(delete.render_delete(quiet)) == quiet
    tiered = restore.RestoreRequest(3, "Bulk")
    assert restore.parse_restore_request(restore.render_restore_request(tiered)) == tiered


# -- AWS's documented examples (S3 API reference) ---------------------------------------------------
AWS_NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


def test_aws_examples() -> None:
    doc = xml.parse(f"<Tagging {AWS_NS}><TagSet><Tag><Key>Key1</Key><Value>Value1</Value></Tag>"
                    "<Tag><Key>Key2</Key><Value>Value2</Value></Tag></TagSet></Tagging>".encode(), "Tagging")
    assert tagging.parse_tagging(doc) == [("Key1", "Value1"), ("Key2", "Value2")]
    doc = xml.parse(f"<VersioningConfiguration {AWS_NS}><Status>Enabled</Status></VersioningConfiguration>"
                    .encode(), "VersioningConfiguration")
    assert versioning.requested_status(doc) == "Enabled"
    doc = xml.parse(f"<CreateBucketConfiguration {AWS_NS}><LocationConstraint>eu-west-1</LocationConstraint>"
                    "</CreateBucketConfiguration>".encode(), "CreateBucketConfiguration")
    assert buckets.parse_create_bucket(doc) == "eu-west-1"
    doc = xml.parse(f'<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint {AWS_NS}>EU</LocationConstraint>'
                    .encode(), "LocationConstraint")
    assert buckets.parse_location(doc) == "eu-west-1"
    assert buckets.parse_location(xml.parse(f"<LocationConstraint {AWS_NS}/>".encode())) == "us-east-1"
    doc = xml.parse(b"<Delete><Object><Key>sample1.txt</Key></Object><Object><Key>sample2.txt</Key></Object>"
                    b"</Delete>", "Delete")
    assert delete.parse_delete(doc) == delete.DeleteRequest([("sample1.txt", None), ("sample2.txt", None)])
    doc = xml.parse(f"<DeleteResult {AWS_NS}><Deleted><Key>sample1.txt</Key></Deleted><Error><Key>sample2.txt</Key>"
                    "<Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>".encode(),
                    "DeleteResult")
    assert delete.parse_delete_result(doc) == [delete.Deleted("sample1.txt"),
                                               delete.Failed("sample2.txt", None, "AccessDenied", "Access Denied")]
    doc = xml.parse(b'<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>'
                    b'<ETag>"a54357aff0632cce46d942af68356b38"</ETag></Part><Part><PartNumber>2</PartNumber>'
                    b'<ETag>"0c78aef83f66abc1fa1e8477f296d394"</ETag></Part></CompleteMultipartUpload>',
                    "CompleteMultipartUpload")
    assert multipart.parse_complete(doc) == [multipart.CompletedPart(1, "a54357aff0632cce46d942af68356b38"),
                                             multipart.CompletedPart(2, "0c78aef83f66abc1fa1e8477f296d394")]
    doc = xml.parse(b"<RestoreRequest><Days>2</Days><GlacierJobParameters><Tier>Standard</Tier>"
                    b"</GlacierJobParameters></RestoreRequest>", "RestoreRequest")
    assert restore.parse_restore_request(doc) == restore.RestoreRequest(2, "Standard")


# -- the server's errors for bad request documents -------------------------------------------------
@pytest.mark.parametrize(("parse", "body", "code"), [
    (tagging.parse_tagging, b"<Tagging/>", "MalformedXML"),
    (tagging.parse_tagging, b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>", "MalformedXML"),
    (versioning.requested_status, b"<VersioningConfiguration><Status>On</Status></VersioningConfiguration>",
     "MalformedXML"),
    (versioning.requested_status, b"<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Enabled</MfaDelete>"
     b"</VersioningConfiguration>", "NotImplemented"),
    (delete.parse_delete, b"<Delete><Quiet>true</Quiet></Delete>", "MalformedXML"),
    (delete.parse_delete, b"<Delete><Object><VersionId>v</VersionId></Object></Delete>", "MalformedXML"),
    (delete.parse_delete, b"<Delete>" + b"<Object><Key>k</Key></Object>" * 1001 + b"</Delete>", "MalformedXML"),
    (multipart.parse_complete, b"<CompleteMultipartUpload/>", "MalformedXML"),
    (multipart.parse_complete, b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part>"
     b"</CompleteMultipartUpload>", "MalformedXML"),
    (multipart.parse_complete, b"<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>e</ETag></Part>"
     b"<Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>", "InvalidPartOrder"),
    (restore.parse_restore_request, b"<RestoreRequest><Days>x</Days></RestoreRequest>", "MalformedXML"),
    (restore.parse_restore_request, b"<RestoreRequest><Days>0</Days></RestoreRequest>", "InvalidArgument"),
    (restore.parse_restore_request, b"<RestoreRequest><Days>1</Days><GlacierJobParameters><Tier>Fast</Tier>"
     b"</GlacierJobParameters></RestoreRequest>", "MalformedXML"),
])
def test_bad_documents(parse: object, body: bytes, code: str) -> None:
    with pytest.raises(S3Error) as caught:
        parse(xml.parse(body))  # type: ignore[operator]
    assert caught.value.code == code


def test_lenient_tagging_reads_missing_as_empty() -> None:
    doc = xml.parse(b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>")
    assert tagging.parse_tagging(doc, strict=False) == [("k", "")]
    assert tagging.parse_tagging(xml.parse(b"<Tagging/>"), strict=False) == []


# -- header codecs ---------------------------------------------------------------------------------
def test_http_date_round_trip() -> None:
    assert http_date(1764086477123) == "Tue, 25 Nov 2025 16:01:17 GMT"
    assert http_date_ms(http_date(1764086477123)) == 1764086477000
    assert parse_http_date("Tue, 25 Nov 2025 16:01:17 GMT") == datetime(2025, 11, 25, 16, 1, 17, tzinfo=UTC)


@pytest.mark.parametrize("value", ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                                   "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:37 -0000",
                                   "Sun, 06 Nov 1994 10:49:37 +0200"])
def test_http_date_forms(value: str) -> None:
    assert parse_http_date(value) == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert http_date_ms(value) == 784111777000


@pytest.mark.parametrize("value", [None, "", "x", "Mon,", "a b c d e"])
def test_http_date_unreadable(value: str | None) -> None:
    assert parse_http_date(value) is None
    assert http_date_ms(value) == 0


def test_etags() -> None:
    assert quote_etag("abc") == '"abc"'
    assert unquote_etag(quote_etag("abc-2")) == "abc-2"
    assert unquote_etag(' W/"abc" ') == "abc"
    assert unquote_etag(None) == ""


def test_expiration_and_restore_headers() -> None:
    header = expiration_header(1764086477000, "rule 1")
    assert header == 'expiry-date="Tue, 25 Nov 2025 16:01:17 GMT", rule-id="rule 1"'
    assert parse_expiration(header) == (1764086477000, "rule 1")
    header = restore_header(False, 1764172877000)
    assert header == 'ongoing-request="false", expiry-date="Wed, 26 Nov 2025 16:01:17 GMT"'
    assert parse_restore(header) == (False, 1764172877000)
    assert restore_header(True, None) == 'ongoing-request="true"'
    assert parse_restore('ongoing-request="true"') == (True, None)
    assert parse_expiration(None) is None and parse_restore("") is None


def test_checksum_tagging_and_range_headers() -> None:
    checksum = Checksum("CRC32C", "yZRlqg==", "COMPOSITE")
    headers = checksum_headers(checksum)
    assert headers == {"x-amz-checksum-crc32c": "yZRlqg==", "x-amz-checksum-type": "COMPOSITE"}
    assert parse_checksum(headers) == checksum
    assert parse_checksum({"x-amz-checksum-sha1": "v"}) == Checksum("SHA1", "v", "FULL_OBJECT")
    assert tagging_header({"a b": "c&d", "e": ""}) == "a%20b=c%26d&e="
    assert parse_tagging_header("a%20b=c%26d&e=") == [("a b", "c&d"), ("e", "")]
    assert content_range(0, 9, 10) == "bytes 0-9/10"
    assert parse_content_range("bytes 0-9/10") == (0, 9, 10)
    assert parse_content_range("bytes */10") is None


# -- resource controls: ACLs, ownership controls, public access block, policy status ------------------
def test_access_control_policy() -> None:
    from gateway.wire.documents import acl
    from tests.unit.document_fixtures import NAMES, OTHER, OWNER

    policy = acl.AccessControlPolicy(OWNER, (acl.Grant.user(OWNER), acl.Grant.user(OTHER, "READ_ACP"),
                                             acl.Grant.group(acl.ALL_USERS, "READ"),
                                             acl.Grant.group(acl.LOG_DELIVERY, "WRITE")))
    rendered = acl.render_acl(policy, lambda cid: NAMES.get(cid, cid[:16]))
    assert xml.render(rendered) == golden("access-control-policy.xml")
    assert acl.parse_acl(parsed("access-control-policy.xml", "AccessControlPolicy")) == policy
    assert acl.grants_of(acl.grants_json(policy.grants)) == policy.grants
    assert acl.grants_json(None) is None and acl.grants_of(None) is None


@pytest.mark.parametrize(("body", "code"), [
    (b"<AccessControlPolicy/>", "MalformedACLError"),
    (b"<AccessControlPolicy><AccessControlList><Grant><Permission>READ</Permission></Grant></AccessControlList>"
     b"</AccessControlPolicy>", "MalformedACLError"),
    (b"<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'"
     b" xsi:type='CanonicalUser'><ID>x</ID></Grantee><Permission>ALL</Permission></Grant></AccessControlList>"
     b"</AccessControlPolicy>", "MalformedACLError"),
    (b"<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'"
     b" xsi:type='Bogus'/><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>",
     "MalformedACLError"),
    (b"<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'"
     b" xsi:type='Group'><URI>http://example.com/everyone</URI></Grantee><Permission>READ</Permission></Grant>"
     b"</AccessControlList></AccessControlPolicy>", "InvalidArgument"),
])
def test_bad_access_control_policies(body: bytes, code: str) -> None:
    from gateway.wire.documents import acl

    with pytest.raises(S3Error) as caught:
        acl.parse_acl(xml.parse(body))
    assert caught.value.code == code


def test_resource_control_documents() -> None:
    from gateway.wire.documents import controls

    assert xml.render(controls.render_ownership("BucketOwnerPreferred")) == golden("ownership-controls.xml")
    assert controls.parse_ownership(parsed("ownership-controls.xml", "OwnershipControls")) == "BucketOwnerPreferred"
    block = controls.PublicAccessBlock(True, False, True, False)
    assert xml.render(controls.render_public_access_block(block)) == golden("public-access-block.xml")
    assert controls.parse_public_access_block(parsed("public-access-block.xml",
                                                     "PublicAccessBlockConfiguration")) == block
    assert controls.parse_public_access_block(xml.parse(
        b"<PublicAccessBlockConfiguration><IgnorePublicAcls>TRUE</IgnorePublicAcls>"
        b"</PublicAccessBlockConfiguration>")) == controls.PublicAccessBlock(ignore_public_acls=True)
    assert xml.render(controls.render_policy_status(True)) == golden("policy-status.xml")
    assert controls.parse_policy_status(parsed("policy-status.xml", "PolicyStatus")) is True
    for bad in (b"<OwnershipControls/>", b"<OwnershipControls><Rule><ObjectOwnership>Me</ObjectOwnership></Rule>"
                b"</OwnershipControls>"):
        with pytest.raises(S3Error):
            controls.parse_ownership(xml.parse(bad))


def test_object_lock_documents() -> None:
    from gateway.wire.documents import object_lock as lock_doc
    from gateway.wire.lock_rules import DefaultRetention, LockConfiguration, Retention

    config = LockConfiguration(DefaultRetention("GOVERNANCE", days=30))
    assert xml.render(lock_doc.render_configuration(config)) == golden("object-lock-configuration.xml")
    assert lock_doc.parse_configuration(parsed("object-lock-configuration.xml", "ObjectLockConfiguration")) == config
    assert xml.render(lock_doc.render_configuration(LockConfiguration())) \
        == golden("object-lock-configuration-enabled.xml")
    assert lock_doc.parse_configuration(parsed("object-lock-configuration-enabled.xml", "ObjectLockConfiguration")) \
        == LockConfiguration()
    retention = Retention("COMPLIANCE", 1764086477123)  # milliseconds are kept
    assert xml.render(lock_doc.render_retention(retention)) == golden("retention.xml")
    assert lock_doc.parse_retention(parsed("retention.xml", "Retention")) == retention
    assert lock_doc.parse_retention(xml.parse(b"<Retention/>")) is None  # removal (a GOVERNANCE bypass)
    assert xml.render(lock_doc.render_legal_hold(True)) == golden("legal-hold.xml")
    assert lock_doc.parse_legal_hold(parsed("legal-hold.xml", "LegalHold")) is True
    # An upstream's answer is read leniently: moto writes an empty rule for "no default retention".
    lenient = (b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>"
               b"<Mode></Mode><Days>0</Days><Years>0</Years></DefaultRetention></Rule></ObjectLockConfiguration>")
    assert lock_doc.parse_configuration(xml.parse(lenient), strict=False) == LockConfiguration()


_ENABLED = b"<ObjectLockEnabled>Enabled</ObjectLockEnabled>"


@pytest.mark.parametrize(("body", "code"), [
    (b"<ObjectLockConfiguration/>", "MalformedXML"),
    (b"<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled></ObjectLockConfiguration>",
     "MalformedXML"),
    (b"<ObjectLockConfiguration>" + _ENABLED + b"<Rule/></ObjectLockConfiguration>", "MalformedXML"),
    (b"<ObjectLockConfiguration>" + _ENABLED + b"<Rule><DefaultRetention/></Rule></ObjectLockConfiguration>",
     "MalformedXML"),
    (b"<ObjectLockConfiguration>" + _ENABLED + b"<Rule><DefaultRetention><Mode>GOVERNANCE</Mode></DefaultRetention>"
     b"</Rule></ObjectLockConfiguration>", "MalformedXML"),
    (b"<ObjectLockConfiguration>" + _ENABLED + b"<Rule><DefaultRetention><Mode>governance</Mode><Days>1</Days>"
     b"</DefaultRetention></Rule></ObjectLockConfiguration>", "MalformedXML"),
    (b"<ObjectLockConfiguration>" + _ENABLED + b"<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days>"
     b"<Years>1</Years></DefaultRetention></Rule></ObjectLockConfiguration>", "MalformedXML"),
    (b"<ObjectLockConfiguration>" + _ENABLED + b"<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>x</Days>"
     b"</DefaultRetention></Rule></ObjectLockConfiguration>", "MalformedXML"),
    (b"<ObjectLockConfiguration>" + _ENABLED + b"<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>0</Days>"
     b"</DefaultRetention></Rule></ObjectLockConfiguration>", "InvalidArgument"),
    (b"<ObjectLockConfiguration>" + _ENABLED + b"<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Years>101</Years>"
     b"</DefaultRetention></Rule></ObjectLockConfiguration>", "InvalidArgument"),
    (b"<ObjectLockConfiguration>" + _ENABLED + b"<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days>"
     b"<DefaultEventHold><Days>1</Days></DefaultEventHold></DefaultRetention></Rule></ObjectLockConfiguration>",
     "NotImplemented"),
    (b"<Retention><Mode>GOVERNANCE</Mode></Retention>", "MalformedXML"),
    (b"<Retention><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>", "MalformedXML"),
    (b"<Retention><Mode>X</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>", "MalformedXML"),
    (b"<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>soon</RetainUntilDate></Retention>", "MalformedXML"),
    (b"<Retention><EventHold>ON</EventHold></Retention>", "NotImplemented"),
    (b"<LegalHold><Status>on</Status></LegalHold>", "MalformedXML"),
    (b"<LegalHold/>", "MalformedXML"),
])
def test_bad_object_lock_documents(body: bytes, code: str) -> None:
    from gateway.wire.documents import object_lock as lock_doc

    parse = {"ObjectLockConfiguration": lock_doc.parse_configuration, "Retention": lock_doc.parse_retention,
             "LegalHold": lock_doc.parse_legal_hold}[xml.local(xml.parse(body))]
    with pytest.raises(S3Error) as caught:
        parse(xml.parse(body))  # type: ignore[operator]
    assert caught.value.code == code


def test_no_error_code_is_an_alias_of_another() -> None:
    """Two codes with the same status and message would be one (an Enum alias), rendered by the first's name."""
    assert len(Code) == len(Code.__members__)


def test_bucket_logging_status() -> None:
    from gateway.wire.documents import logging as logging_doc
    from gateway.wire.documents.acl import Grant

    enabled = logging_doc.LoggingEnabled(
        "logs", "web/", (Grant.user("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", "READ"),
                         Grant.group("http://acs.amazonaws.com/groups/global/AuthenticatedUsers", "WRITE")),
        "EventTime")
    assert xml.render(logging_doc.render_logging(enabled)) == golden("logging-enabled.xml")
    assert logging_doc.parse_logging(parsed("logging-enabled.xml", "BucketLoggingStatus")) == enabled
    assert xml.render(logging_doc.render_logging(None)) == golden("logging-disabled.xml")
    assert logging_doc.parse_logging(parsed("logging-disabled.xml", "BucketLoggingStatus")) is None
    # SimplePrefix (the default) round-trips as no key format; PartitionedPrefix defaults to EventTime.
    simple = xml.parse(b"<BucketLoggingStatus><LoggingEnabled><TargetBucket>b</TargetBucket>"
                       b"<TargetPrefix></TargetPrefix><TargetObjectKeyFormat><SimplePrefix/></TargetObjectKeyFormat></LoggingEnabled>"
                       b"</BucketLoggingStatus>")
    assert logging_doc.parse_logging(simple) == logging_doc.LoggingEnabled("b", "")
    bad_permission = b"""<BucketLoggingStatus><LoggingEnabled><TargetBucket>b</TargetBucket>
        <TargetPrefix>p</TargetPrefix><TargetGrants><Grant>
        <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">
        <URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ_ACP</Permission></Grant>
        </TargetGrants></LoggingEnabled></BucketLoggingStatus>"""
    with pytest.raises(S3Error) as exc:
        logging_doc.parse_logging(xml.parse(bad_permission))
    assert exc.value.code == "MalformedXML"
