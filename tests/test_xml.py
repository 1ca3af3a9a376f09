"""Hostile and malformed request documents, and the shape of error documents."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.harness.assertions import error_code_of
from tests.harness.payloads import content_md5
from tests.harness.rawhttp import signed
from tests.harness.servers import LOCAL

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Delete><Object><Key>&lol3;</Key></Object></Delete>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Delete><Object><Key>&xxe;</Key></Object></Delete>"""


def _delete(server, bucket, body: bytes):  # type: ignore[no-untyped-def]
    md5 = content_md5(body)
    return signed(server, "POST", f"/{bucket}?delete", body=body, headers={"Content-MD5": md5})


@pytest.mark.parametrize("body", [
    BILLION_LAUGHS,
    XXE,
    b"<Delete><Object><Key>unclosed</Object></Delete>",
    b"not xml at all",
    b"<Wrong><Object><Key>k</Key></Object></Wrong>",
    b"<Delete>" + b"<Object><Key>k</Key></Object>" * 200_000 + b"</Delete>",  # ~5.6 MB
])
def test_hostile_or_malformed_documents(server, s3, bucket, body):
    s3.put_object(Bucket=bucket, Key="k", Body=b"keep me")
    response = _delete(server, bucket, body)
    assert response.status_code == 400 and error_code_of(response) == "MalformedXML"
    assert b"root:" not in response.content  # nothing from /etc/passwd
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"keep me"


def test_malformed_create_bucket_configuration(server):
    response = signed(server, "PUT", "/xml-bad-config", body=b"<CreateBucketConfiguration><Location")
    assert response.status_code == 400 and error_code_of(response) == "MalformedXML"


def test_documents_with_and_without_namespace(server, s3, bucket):
    for body in (b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a</Key></Object></Delete>',
                 b"<Delete><Object><Key>a</Key></Object></Delete>"):
        response = _delete(server, bucket, body)
        assert response.status_code == 200 and b"<Deleted><Key>a</Key></Deleted>" in response.content


def test_error_document_shape(server, bucket):
    response = signed(server, "GET", f"/{bucket}/missing-key")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/xml"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Error>')
    doc = etree.fromstring(response.content)
    assert doc.findtext("Code") == "NoSuchKey"
    assert doc.findtext("Message") == "The specified key does not exist."
    assert doc.findtext("Key") == "missing-key"
    assert doc.findtext("Resource") == f"/{bucket}/missing-key"
    assert doc.findtext("RequestId") == response.headers["x-amz-request-id"]
    assert len(response.headers["x-amz-request-id"]) == 16


def test_head_errors_have_no_body(server, bucket):
    response = signed(server, "HEAD", f"/{bucket}/missing-key")
    assert response.status_code == 404 and response.content == b""
    assert response.headers["x-amz-request-id"]


def test_method_not_allowed(server, bucket):
    response = signed(server, "PATCH", f"/{bucket}/k")
    assert response.status_code == 405 and error_code_of(response) == "MethodNotAllowed"
    assert b"<Method>PATCH</Method><ResourceType>OBJECT</ResourceType>" in response.content


@pytest.mark.backends(*LOCAL, reason="deletes a blob file from the local data dir")
def test_internal_error_hides_the_traceback(server, s3, bucket):
    """A blob lost behind the server's back: 500 InternalError as XML, the traceback only in the log."""
    s3.put_object(Bucket=bucket, Key="lost", Body=b"x" * 200_000)
    blobs = [blob for blob in (server.data_dir / "blobs").rglob("*") if blob.is_file()]
    max(blobs, key=lambda blob: blob.stat().st_mtime_ns).unlink()  # its own (sealed: SSE-S3 by default)
    response = signed(server, "GET", f"/{bucket}/lost")
    assert response.status_code == 500 and error_code_of(response) == "InternalError"
    assert b"Traceback" not in response.content and b"File " not in response.content
    assert "Traceback" in server.log()
