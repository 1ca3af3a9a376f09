"""Authentication: SigV4 header and presigned, SigV2, errors, addressing styles, 100-continue."""

from __future__ import annotations

import datetime as dt
import re
import socket
import time
from urllib.parse import urlsplit

import botocore.auth
import botocore.crt.auth
import httpx
import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code, error_code_of, status
from tests.harness.clients import make_client, unique_bucket_name
from tests.harness.rawhttp import presign_v2, presign_v4, read_reply, send, sign_v2, sign_v4, signed


def test_unknown_access_key(server, bucket):
    client = make_client(server.endpoint, access_key="nobody", secret_key="x")
    with pytest.raises(ClientError) as exc:
        client.list_objects_v2(Bucket=bucket)
    assert error_code(exc) == "InvalidAccessKeyId" and status(exc) == 403


def test_wrong_secret(server, bucket):
    client = make_client(server.endpoint, secret_key="wrong")
    with pytest.raises(ClientError) as exc:
        client.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert error_code(exc) == "SignatureDoesNotMatch" and status(exc) == 403
    assert "StringToSign" in exc.value.response["Error"]
    assert "CanonicalRequest" in exc.value.response["Error"]


def test_anonymous_request_is_denied(server, bucket, s3):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    response = httpx.get(f"{server.endpoint}/{bucket}/k")
    assert response.status_code == 403 and error_code_of(response) == "AccessDenied"
    assert response.headers["x-amz-request-id"]


def test_tampered_request_fails(server, bucket):
    url = f"{server.endpoint}/{bucket}/k"
    headers = sign_v4("PUT", url, body=b"data", headers={"x-amz-meta-a": "1"})
    headers["x-amz-meta-a"] = "2"
    response = send("PUT", url, headers=headers, body=b"data")
    assert response.status_code == 403 and error_code_of(response) == "SignatureDoesNotMatch"


@pytest.mark.parametrize("mutate,code,http_status", [
    (lambda a: a.replace("Signature=", "Sig="), "AuthorizationHeaderMalformed", 400),
    (lambda a: a.replace("/s3/", "/ec2/"), "AuthorizationHeaderMalformed", 400),
    (lambda a: a.replace("/aws4_request", "/aws5_request"), "AuthorizationHeaderMalformed", 400),
    (lambda a: a.replace("Credential=s3gate/", "Credential=s3gate/2026/"), "AuthorizationHeaderMalformed", 400),
    (lambda a: "AWS4-ECDSA-P256-SHA256" + a[len("AWS4-HMAC-SHA256"):], "InvalidArgument", 400),
])
def test_malformed_authorization(server, bucket, mutate, code, http_status):
    url = f"{server.endpoint}/{bucket}"
    headers = sign_v4("GET", url)
    headers["Authorization"] = mutate(headers["Authorization"])
    response = send("GET", url, headers=headers)
    assert response.status_code == http_status and error_code_of(response) == code


def test_missing_content_sha256(server, bucket):
    url = f"{server.endpoint}/{bucket}"
    headers = sign_v4("GET", url)
    del headers["X-Amz-Content-SHA256"]
    response = send("GET", url, headers=headers)
    assert response.status_code == 400 and error_code_of(response) == "InvalidRequest"


def test_invalid_content_sha256(server, bucket):
    response = signed(server, "PUT", f"/{bucket}/k", body=b"x", payload_hash="not-a-hash")
    assert response.status_code == 400 and error_code_of(response) == "InvalidArgument"


def _shift_clock(monkeypatch, minutes: int) -> None:
    """Make botocore's signers (pure-Python and CRT) sign with a skewed clock."""
    real = botocore.auth.get_current_datetime
    for module in (botocore.auth, botocore.crt.auth):
        monkeypatch.setattr(module, "get_current_datetime",
                            lambda *a, **kw: real(*a, **kw) + dt.timedelta(minutes=minutes))


def test_request_time_too_skewed(server, bucket, monkeypatch):
    _shift_clock(monkeypatch, -20)
    client = make_client(server.endpoint)
    with pytest.raises(ClientError) as exc:
        client.head_bucket(Bucket=bucket)
    assert status(exc) == 403
    with pytest.raises(ClientError) as exc:
        client.list_objects_v2(Bucket=bucket)
    assert error_code(exc) == "RequestTimeTooSkewed"
    _shift_clock(monkeypatch, 10)
    client.list_objects_v2(Bucket=bucket)  # within 15 minutes: fine


def test_any_signing_region_is_accepted(server, bucket):
    make_client(server.endpoint, region="ap-southeast-2").list_objects_v2(Bucket=bucket)


# -- presigned URLs ------------------------------------------------------------------------------
@pytest.fixture
def v4(server):  # type: ignore[no-untyped-def]
    """boto3 presigns with SigV2 unless told otherwise; these tests want SigV4 URLs."""
    return server.client(signature_version="s3v4")


def test_presigned_v2_by_default_in_boto3(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v2")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    assert "AWSAccessKeyId=" in url and httpx.get(url).content == b"v2"


def test_presigned_get_and_put(v4, server, bucket):
    s3 = v4
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "p.txt"})
    assert httpx.put(put_url, content=b"presigned!").status_code == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p.txt"})
    response = httpx.get(get_url)
    assert response.status_code == 200 and response.content == b"presigned!"


def test_presigned_url_with_localhost_host_and_port(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"hi")
    client = make_client(f"http://localhost:{server.port}", signature_version="s3v4")
    url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    assert httpx.get(url).content == b"hi"
    # The Host is signed: the same URL sent to another host name fails.
    other = url.replace(f"localhost:{server.port}", f"127.0.0.1:{server.port}")
    response = httpx.get(other)
    assert response.status_code == 403 and error_code_of(response) == "SignatureDoesNotMatch"


def _get_with_host(port: int, url: str, host: str) -> bytes:
    parts = urlsplit(url)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        return sock.makefile("rb").read()


@pytest.mark.parametrize("signed_host,sent_host", [("example.test:80", "example.test"),
                                                   ("example.test", "example.test:80")])
def test_presigned_url_and_default_port(server, s3, bucket, signed_host, sent_host):
    """A URL signed with (or without) :80 still works when a proxy forwards it the other way."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"port")
    url = presign_v4("GET", f"http://127.0.0.1:{server.port}/{bucket}/k", headers={"host": signed_host})
    reply = _get_with_host(server.port, url, sent_host)
    assert reply.startswith(b"HTTP/1.1 200"), reply[:300]
    assert reply.endswith(b"port")
    reply = _get_with_host(server.port, url, "example.test:8080")
    assert reply.startswith(b"HTTP/1.1 403"), reply[:300]


def test_presigned_method_is_bound(s3, v4, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    url = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    response = httpx.put(url, content=b"overwrite")
    assert response.status_code == 403 and error_code_of(response) == "SignatureDoesNotMatch"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"


def test_presigned_tampered_key(s3, v4, bucket):
    s3.put_object(Bucket=bucket, Key="secret", Body=b"x")
    url = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "public"})
    response = httpx.get(url.replace("/public?", "/secret?"))
    assert response.status_code == 403 and error_code_of(response) == "SignatureDoesNotMatch"


def test_presigned_expiry(s3, v4, server, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    url = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=1)
    time.sleep(2.1)
    response = httpx.get(url)
    assert response.status_code == 403 and error_code_of(response) == "AccessDenied"
    assert b"Request has expired" in response.content


@pytest.mark.parametrize("expires,message", [
    # AWS's words, as its answers are quoted in aws/aws-cli#5464, fog/fog#3528 and
    # kitware-resonant/cookiecutter-resonant#369.
    ("604801", "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be "
               "less than 604800 seconds"),
    ("-1", "X-Amz-Expires must be non-negative"),
    ("21600.0", "X-Amz-Expires should be a number"),
    ("1_0", "X-Amz-Expires should be a number"),
    (str(2**63), "X-Amz-Expires should be a number"),  # beyond a 64-bit number
])
def test_presigned_expiry_limit(server, bucket, expires, message):
    url = presign_v4("GET", f"{server.endpoint}/{bucket}/k").replace("X-Amz-Expires=3600", f"X-Amz-Expires={expires}")
    response = httpx.get(url)
    assert response.status_code == 400 and error_code_of(response) == "AuthorizationQueryParametersError"
    assert f"<Message>{message}</Message>".encode() in response.content
    url = presign_v4("GET", f"{server.endpoint}/{bucket}/k", expires=604800)
    assert httpx.get(url).status_code == 404  # a week is allowed; the key just does not exist


def test_presigned_not_yet_valid(server, bucket, monkeypatch):
    _shift_clock(monkeypatch, 20)
    url = presign_v4("GET", f"{server.endpoint}/{bucket}/k")
    response = httpx.get(url)
    assert response.status_code == 403 and error_code_of(response) == "AccessDenied"
    assert b"<Message>Request is not yet valid</Message>" in response.content  # minio/minio#2638 quotes AWS


def test_presigned_with_wrong_secret(server, bucket):
    url = presign_v4("GET", f"{server.endpoint}/{bucket}/k", headers={}, secret_key="nope")
    response = httpx.get(url)
    assert response.status_code == 403 and error_code_of(response) == "SignatureDoesNotMatch"


def test_presigned_checksum_in_query_is_enforced(s3, server, bucket):
    # The AWS SDK for JavaScript v3 signs the CRC32 of an empty body into presigned PUT URLs as a
    # query parameter; AWS rejects the upload of any other body, and so do we.
    url = presign_v4("PUT", f"{server.endpoint}/{bucket}/js?x-amz-checksum-crc32=AAAAAA%3D%3D")
    response = httpx.put(url, content=b"not empty")
    assert response.status_code == 400 and error_code_of(response) == "BadDigest"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="js")
    assert httpx.put(url, content=b"").status_code == 200
    assert s3.head_object(Bucket=bucket, Key="js", ChecksumMode="ENABLED")["ChecksumCRC32"] == "AAAAAA=="


def test_presigned_checksum_header_from_boto3(v4, bucket):
    url = v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "b3", "ChecksumCRC32": "AAAAAA=="})
    response = httpx.put(url, content=b"body", headers={"x-amz-checksum-crc32": "AAAAAA=="})
    assert response.status_code == 400 and error_code_of(response) == "BadDigest"


def test_header_and_query_auth_together(server, bucket):
    url = presign_v4("GET", f"{server.endpoint}/{bucket}")
    headers = sign_v4("GET", f"{server.endpoint}/{bucket}")
    response = send("GET", url, headers={"Authorization": headers["Authorization"]})
    assert response.status_code == 400 and error_code_of(response) == "InvalidArgument"


# -- SigV2 ----------------------------------------------------------------------------------------
def test_sigv2_header(server, s3, bucket):
    url = f"{server.endpoint}/{bucket}/v2.txt"
    headers = sign_v2("PUT", url, headers={"Content-Type": "text/plain", "x-amz-meta-tool": "s3cmd"})
    assert send("PUT", url, headers=headers, body=b"old school").status_code == 200
    got = s3.get_object(Bucket=bucket, Key="v2.txt")
    assert got["Body"].read() == b"old school" and got["Metadata"] == {"tool": "s3cmd"}
    list_url = f"{server.endpoint}/{bucket}?acl"
    assert send("GET", list_url, headers=sign_v2("GET", list_url)).status_code == 200
    bad = sign_v2("GET", url, secret_key="wrong")
    response = send("GET", url, headers=bad)
    assert response.status_code == 403 and error_code_of(response) == "SignatureDoesNotMatch"


def test_sigv2_presigned_query(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="signurl", Body=b"s3cmd signurl")
    url = presign_v2("GET", f"{server.endpoint}/{bucket}/signurl")
    assert httpx.get(url).content == b"s3cmd signurl"
    expired = presign_v2("GET", f"{server.endpoint}/{bucket}/signurl", expires=-10)
    response = httpx.get(expired)
    assert response.status_code == 403 and error_code_of(response) == "AccessDenied"
    assert b"<Message>Request has expired</Message>" in response.content and b"<ServerTime>" in response.content


@pytest.mark.parametrize("expires", ["soon", str(2**31)])
def test_sigv2_presigned_expires_must_be_an_epoch_second(server, bucket, expires):
    """AWS: "Invalid date (should be seconds since epoch)" (transloadit/uppy#1130, a millisecond Expires)."""
    url = presign_v2("GET", f"{server.endpoint}/{bucket}/k")
    response = httpx.get(re.sub(r"Expires=\d+", f"Expires={expires}", url))
    assert response.status_code == 403 and error_code_of(response) == "AccessDenied"
    assert f"<Message>Invalid date (should be seconds since epoch): {expires}</Message>".encode() in response.content


def test_sigv2_boto3_client_at_bucket_level(server):
    """botocore signs a bucket as ``/bucket/`` whatever the URL (its comment: servers need the slash)."""
    v2 = server.client(signature_version="s3")
    name = unique_bucket_name()
    v2.create_bucket(Bucket=name)
    v2.head_bucket(Bucket=name)
    v2.put_object(Bucket=name, Key="k", Body=b"v2")
    assert [o["Key"] for o in v2.list_objects(Bucket=name)["Contents"]] == ["k"]
    assert "Status" not in v2.get_bucket_versioning(Bucket=name)
    assert httpx.get(v2.generate_presigned_url("list_objects", Params={"Bucket": name})).status_code == 200
    v2.delete_object(Bucket=name, Key="k")
    v2.delete_bucket(Bucket=name)


@pytest.mark.parametrize("slash", ["/", ""])
def test_sigv2_bucket_resource_with_or_without_slash(server, bucket, slash):
    """S3 takes ``/bucket`` and ``/bucket/`` alike as a bucket's resource, path- or virtual-host-style."""
    auth_path = f"/{bucket}{slash}"
    for url, connect_to in ((f"{server.endpoint}/{bucket}?versioning", None),
                            (f"http://{bucket}.localhost:{server.port}/?versioning", f"127.0.0.1:{server.port}")):
        response = send("GET", url, headers=sign_v2("GET", url, auth_path=auth_path),
                        connect_to=connect_to)
        assert response.status_code == 200, response.content
        presigned = presign_v2("GET", url, auth_path=auth_path)
        assert send("GET", presigned, connect_to=connect_to).status_code == 200


@pytest.mark.parametrize("amz_date,date,code", [
    # As ceph/s3-tests' *_aws2 header tests expect of S3: an x-amz-date that is present rules,
    # even empty; an unreadable or pre-1970 time stamp is invalid, a readable one skewed.
    ("", None, "AccessDenied"),
    ("Bad Date", None, "AccessDenied"),
    ("Tue, 07 Jul 1950 21:53:04 GMT", None, "AccessDenied"),
    (None, "Tue, 07 Jul 1950 21:53:04 GMT", "AccessDenied"),
    ("Tue, 07 Jul 2010 21:53:04 GMT", None, "RequestTimeTooSkewed"),
    ("Tue, 07 Jul 9999 21:53:04 GMT", None, "RequestTimeTooSkewed"),
])
def test_sigv2_request_time(server, bucket, amz_date, date, code):
    url = f"{server.endpoint}/{bucket}/k"
    headers = sign_v2("PUT", url, headers={} if amz_date is None else {"x-amz-date": amz_date}, date=date)
    response = send("PUT", url, headers=headers, body=b"x")
    assert response.status_code == 403 and error_code_of(response) == code


@pytest.mark.parametrize("amz_date,code", [
    ("", "AccessDenied"),
    ("Bad Date", "AccessDenied"),  # AWS's answer to an unreadable one: hubrick/vertx-s3-client#5
    ("19500707T215304Z", "AccessDenied"),
    ("20100707T215304Z", "RequestTimeTooSkewed"),
])
def test_sigv4_request_time(server, bucket, amz_date, code):
    url = f"{server.endpoint}/{bucket}"
    headers = sign_v4("GET", url)
    headers["X-Amz-Date"] = amz_date
    response = send("GET", url, headers=headers)
    assert response.status_code == 403 and error_code_of(response) == code


# -- addressing ---------------------------------------------------------------------------------------
def test_virtual_host_style(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="dir/file.txt", Body=b"vhost")
    url = f"http://{bucket}.localhost:{server.port}/dir/file.txt"
    response = send("GET", url, headers=sign_v4("GET", url), connect_to=f"127.0.0.1:{server.port}")
    assert response.status_code == 200 and response.content == b"vhost"
    list_url = f"http://{bucket}.localhost:{server.port}/?list-type=2"
    response = send("GET", list_url, headers=sign_v4("GET", list_url), connect_to=f"127.0.0.1:{server.port}")
    assert b"<Key>dir/file.txt</Key>" in response.content


def test_virtual_host_with_dotted_bucket_and_custom_domain(make_server):
    srv = make_server(args=["--domain", "s3.example.test,localhost"]).start()
    try:
        make_client(srv.endpoint).create_bucket(Bucket="my.dotted.bucket")
        url = f"http://my.dotted.bucket.s3.example.test:{srv.port}/key"
        response = send("PUT", url, headers=sign_v4("PUT", url, body=b"dots"), body=b"dots",
                        connect_to=f"127.0.0.1:{srv.port}")
        assert response.status_code == 200
        assert make_client(srv.endpoint).get_object(Bucket="my.dotted.bucket", Key="key")["Body"].read() == b"dots"
    finally:
        srv.stop()


def test_encoded_slash_in_key(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="a/b", Body=b"slash")
    response = signed(server, "GET", f"/{bucket}/a%2Fb")
    assert response.status_code == 200 and response.content == b"slash"


# -- Expect: 100-continue --------------------------------------------------------------------------
def _raw_exchange(port: int, head: bytes, body: bytes | None = None, wait: float = 2.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(head)
        first = sock.recv(65536)
        if body is not None and first.startswith(b"HTTP/1.1 100"):
            sock.sendall(body)
        return read_reply(sock, first)


def test_failed_auth_is_answered_before_the_body(server, bucket):
    url = f"{server.endpoint}/{bucket}/big"
    headers = sign_v4("PUT", url, body=b"x" * 10, secret_key="wrong", payload_hash="UNSIGNED-PAYLOAD")
    head = f"PUT /{bucket}/big HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n".encode()
    for name, value in headers.items():
        head += f"{name}: {value}\r\n".encode()
    head += b"Content-Length: 1000000000\r\nExpect: 100-continue\r\n\r\n"
    reply = _raw_exchange(server.port, head)
    assert reply.startswith(b"HTTP/1.1 403"), reply[:200]
    assert b"100 Continue" not in reply and b"SignatureDoesNotMatch" in reply


def test_expect_100_continue_upload(server, s3, bucket):
    body = b"continued" * 100
    url = f"{server.endpoint}/{bucket}/cont"
    headers = sign_v4("PUT", url, body=body)
    head = f"PUT /{bucket}/cont HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n".encode()
    for name, value in headers.items():
        head += f"{name}: {value}\r\n".encode()
    head += f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n".encode()
    reply = _raw_exchange(server.port, head, body)
    assert reply.startswith(b"HTTP/1.1 100 Continue"), reply[:200]
    assert b"HTTP/1.1 200" in reply
    assert s3.get_object(Bucket=bucket, Key="cont")["Body"].read() == body
