"""The upstream backend's own promises.

Upstream errors reach the client unchanged (code, status, message) without the upstream's
credentials; an unreachable or silent upstream is a quick 503 that names it; a body that fails
verification never lands upstream; the gateway's and the upstream's credentials stay apart;
TLS and addressing options work; bad configuration stops start-up with a clear message.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code, error_code_of, status
from tests.harness.cli import run_cli
from tests.harness.clients import ACCESS_KEY, SECRET_KEY, UPSTREAM_ACCESS_KEY, UPSTREAM_SECRET_KEY, make_client
from tests.harness.payloads import MiB, b64, checksum, content_md5, crc32
from tests.harness.rawhttp import send, sign_v4, signed, unsigned_chunks
from tests.harness.servers import Server, Stack, free_port, upstream_args, upstream_env

FORWARDING = pytest.mark.backends("upstream-s3gate", "upstream-moto", reason="about forwarding to an upstream")
SIGNING_UPSTREAM = pytest.mark.backends("upstream-s3gate", reason="needs an upstream that checks signatures "
                                                                 "(moto accepts any)")


def failure(call: Callable[..., object], *args: object) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as exc:
        call(*args)
    return error_code(exc), status(exc), str(exc.value.response["Error"].get("Message"))


# -- a stand-in upstream for answers no real S3 gives on demand -------------------------------------
Answer = tuple[int, dict[str, str], bytes]


class FakeUpstream:
    """A plain HTTP server that records each request line and Host, and answers with ``respond``."""

    def __init__(self, respond: Callable[[str, str], Answer]) -> None:
        self.seen: list[tuple[str, str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                outer.seen.append((self.command, self.path, self.headers.get("host", "")))
                code, headers, body = respond(self.command, self.path)
                self.send_response(code)
                for name, value in {**headers, "content-length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = answer

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def gateway_to(tmp_path) -> Iterator[Callable[..., Server]]:  # type: ignore[no-untyped-def]
    """A gateway forwarding to an endpoint of the test's choosing."""
    started: list[Server] = []

    def start(endpoint: str, *args: str, env: dict[str, str] | None = None) -> Server:
        srv = Server(tmp_path / f"gw{len(started)}", args=[*upstream_args(endpoint), *args], env=env).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


# -- errors ---------------------------------------------------------------------------------------
@FORWARDING
def test_upstream_errors_keep_code_status_and_message(s3, stack: Stack, bucket):
    direct = stack.upstream_client()
    s3.put_object(Bucket=bucket, Key="ten", Body=b"0123456789")
    for call in (
        lambda c: c.get_object(Bucket=bucket, Key="missing"),
        lambda c: c.get_object(Bucket=bucket, Key="ten", Range="bytes=20-30"),
        lambda c: c.delete_bucket(Bucket=bucket),
        lambda c: c.list_parts(Bucket=bucket, Key="ten", UploadId="no-such-upload"),
    ):
        assert failure(call, s3) == failure(call, direct)


def test_unknown_upstream_error_passes_through_without_its_secrets(gateway_to):
    error = (b"<Error><Code>XStorageFull</Code><Message>The disk is full</Message><Detail>pool 3</Detail>"
             b"<AWSAccessKeyId>AKIAUPSTREAM</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256...</StringToSign>"
             b"<RequestId>UPSTREAMREQ</RequestId></Error>")
    fake = FakeUpstream(lambda method, path: (507, {"content-type": "application/xml"}, error))
    try:
        srv = gateway_to(fake.endpoint)
        response = signed(srv, "PUT", "/bucket/key", body=b"x")
        assert response.status_code == 507 and error_code_of(response) == "XStorageFull"
        assert b"<Message>The disk is full</Message>" in response.content
        assert b"<Detail>pool 3</Detail>" in response.content
        for secret in (b"AKIAUPSTREAM", b"StringToSign", b"UPSTREAMREQ"):
            assert secret not in response.content
    finally:
        fake.stop()


def test_an_upstream_that_is_not_s3_is_a_bad_gateway(gateway_to):
    fake = FakeUpstream(lambda method, path: (200, {"content-type": "text/html"}, b"<html><body>login</body>"))
    try:
        srv = gateway_to(fake.endpoint)
        response = signed(srv, "GET", "/bucket?list-type=2")
        assert response.status_code == 502 and error_code_of(response) == "InternalError"
        assert fake.endpoint.encode() in response.content
    finally:
        fake.stop()


def test_unreachable_upstream_is_a_quick_503_naming_it(gateway_to):
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    srv = gateway_to(endpoint)  # start-up does not need the upstream
    began = time.monotonic()
    code, http_status, message = failure(lambda: make_client(srv.endpoint).list_buckets())
    assert (code, http_status) == ("ServiceUnavailable", 503)
    assert endpoint in message and "unreachable" in message
    assert signed(srv, "HEAD", "/bucket/key").status_code == 503  # no body: the status says it
    assert time.monotonic() - began < 5


def test_silent_upstream_times_out_with_503(gateway_to):
    listener = socket.create_server(("127.0.0.1", 0))  # accepts connections, never answers
    try:
        endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
        srv = gateway_to(endpoint, "--upstream-timeout", "1")
        began = time.monotonic()
        response = signed(srv, "GET", "/bucket/key")
        assert response.status_code == 503 and error_code_of(response) == "ServiceUnavailable"
        assert f"{endpoint} is unreachable: no answer within the timeout".encode() in response.content
        assert time.monotonic() - began < 5
    finally:
        listener.close()


# -- listings ---------------------------------------------------------------------------------------
def test_url_encoded_listing_decodes_a_plus_as_a_space(gateway_to):
    """S3's ``encoding-type=url`` writes a space in a key as ``+`` (boto decodes with unquote_plus for it);
    a literal ``+`` always comes encoded, as ``%2B``."""
    listing = (b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name>'
               b"<Prefix></Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>"
               b"<IsTruncated>false</IsTruncated>"
               + b"".join(b"<Contents><Key>%s</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
                          b"<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>0</Size>"
                          b"<StorageClass>STANDARD</StorageClass></Contents>" % key for key in (b"a+b", b"c%2Bd"))
               + b"</ListBucketResult>")
    fake = FakeUpstream(lambda method, path: (200, {"content-type": "application/xml"}, listing))
    try:
        srv = gateway_to(fake.endpoint)
        keys = [o["Key"] for o in make_client(srv.endpoint).list_objects_v2(Bucket="bucket")["Contents"]]
        assert keys == ["a b", "c+d"]
    finally:
        fake.stop()


# -- nothing unverified lands upstream ----------------------------------------------------------------
def assert_not_upstream(stack: Stack, bucket: str, key: str) -> None:
    with pytest.raises(ClientError) as exc:
        stack.upstream_client().head_object(Bucket=bucket, Key=key)
    assert status(exc) == 404


@FORWARDING
@pytest.mark.parametrize("case", ["checksum-header", "content-md5", "payload-sha256", "trailer"])
def test_body_failing_verification_stores_nothing_upstream(server, stack: Stack, bucket, case):
    """3 MiB: the upstream has received all but the held-back last block when verification fails."""
    data = os.urandom(3 * MiB)
    url = f"{server.endpoint}/{bucket}/{case}"
    if case == "checksum-header":
        response = signed(server, "PUT", f"/{bucket}/{case}", body=data,
                          headers={"x-amz-checksum-crc32": crc32(b"other")})
    elif case == "content-md5":
        response = signed(server, "PUT", f"/{bucket}/{case}", body=data,
                          headers={"Content-MD5": content_md5(b"other")})
    elif case == "payload-sha256":
        headers = sign_v4("PUT", url, body=data[:-1] + bytes([data[-1] ^ 1]))  # the last byte differs
        response = _send(url, headers, data)
    else:
        headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
                   "x-amz-trailer": "x-amz-checksum-crc32"}
        headers = sign_v4("PUT", url, headers=headers, payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
        body = unsigned_chunks([data[i: i + MiB] for i in range(0, len(data), MiB)],
                               ("x-amz-checksum-crc32", crc32(b"other")))
        response = _send(url, headers, body)
    assert response.status_code in (400, 403), response.content
    assert error_code_of(response) in ("BadDigest", "XAmzContentSHA256Mismatch")
    assert_not_upstream(stack, bucket, case)


def _send(url: str, headers: dict[str, str], body: bytes):  # type: ignore[no-untyped-def]
    return send("PUT", url, headers=headers, body=body)


@FORWARDING
def test_part_failing_verification_stores_no_part_upstream(server, s3, stack: Stack, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    data = os.urandom(3 * MiB)
    response = signed(server, "PUT", f"/{bucket}/mp?partNumber=1&uploadId={upload_id}", body=data,
                      headers={"x-amz-checksum-crc32": b64(zlib.crc32(b"no").to_bytes(4, "big"))})
    assert response.status_code == 400 and error_code_of(response) == "BadDigest"
    listed = stack.upstream_client().list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert "Parts" not in listed or listed["Parts"] == []


@FORWARDING
@pytest.mark.parametrize("algorithm", ["CRC32", "SHA512", "XXHASH128"])
def test_trailer_checksum_is_what_the_upstream_stores(server, stack: Stack, bucket, algorithm):
    """A checksum sent in a trailer is verified by the gateway and stored upstream as the client's."""
    data = os.urandom(2 * MiB + 5)
    url = f"{server.endpoint}/{bucket}/trailed"
    trailer, value = f"x-amz-checksum-{algorithm.lower()}", checksum(algorithm, data)
    headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
               "x-amz-trailer": trailer}
    headers = sign_v4("PUT", url, headers=headers, payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    response = _send(url, headers, unsigned_chunks([data[:MiB], data[MiB:]], (trailer, value)))
    assert response.status_code == 200, response.content
    head = stack.upstream_client().head_object(Bucket=bucket, Key="trailed", ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == value and head["ContentLength"] == len(data)
    assert "ContentEncoding" not in head  # aws-chunked is transport only, on both hops


@FORWARDING
def test_client_leaving_mid_download_frees_the_upstream_connection(server, s3, bucket):
    """Over 100 abandoned downloads (the gateway's upstream connection pool): each is closed upstream."""
    s3.put_object(Bucket=bucket, Key="big", Body=os.urandom(4 * MiB))
    url = f"{server.endpoint}/{bucket}/big"
    for _ in range(110):
        headers = sign_v4("GET", url)
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            request = f"GET /{bucket}/big HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            sock.sendall(request.encode() + b"\r\n")
            sock.recv(65536)
    began = time.monotonic()
    assert len(s3.get_object(Bucket=bucket, Key="big")["Body"].read()) == 4 * MiB
    assert time.monotonic() - began < 5


@FORWARDING
def test_big_upload_to_a_missing_bucket_names_the_bucket(s3):
    """The upstream refuses before reading the body and hangs up; the cause is still reported."""
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket="no-such-bucket-upstream", Key="k", Body=os.urandom(8 * MiB))
    assert error_code(exc) == "NoSuchBucket"


# -- credentials ------------------------------------------------------------------------------------
@SIGNING_UPSTREAM
def test_credentials_stay_separate(server, stack: Stack, bucket):
    upstream_endpoint = stack.shared.endpoint  # type: ignore[union-attr]
    with pytest.raises(ClientError) as exc:  # the gateway's users mean nothing upstream
        make_client(upstream_endpoint).head_bucket(Bucket=bucket)
    assert status(exc) == 403
    with pytest.raises(ClientError) as exc:  # nor the upstream's keys at the gateway
        make_client(server.endpoint, access_key=UPSTREAM_ACCESS_KEY, secret_key=UPSTREAM_SECRET_KEY).list_buckets()
    assert error_code(exc) == "InvalidAccessKeyId"


@SIGNING_UPSTREAM
def test_wrong_upstream_secret_is_reported_without_leaking_the_upstream_key(stack: Stack, tmp_path):
    endpoint = stack.shared.endpoint  # type: ignore[union-attr]
    srv = Server(tmp_path / "gw", args=["--backend", "upstream", "--upstream-endpoint", endpoint,
                                        "--upstream-access-key", UPSTREAM_ACCESS_KEY,
                                        "--upstream-secret-key", "not-the-secret"]).start()
    try:
        response = signed(srv, "GET", "/")
        assert response.status_code == 403 and error_code_of(response) == "SignatureDoesNotMatch"
        assert UPSTREAM_ACCESS_KEY.encode() not in response.content and b"StringToSign" not in response.content
    finally:
        srv.stop()


@SIGNING_UPSTREAM
def test_configured_by_environment_alone(stack: Stack, tmp_path):
    env = {"S3GATE_BACKEND": "upstream", "S3GATE_UPSTREAM_ENDPOINT": stack.shared.endpoint,  # type: ignore[union-attr]
           "S3GATE_UPSTREAM_REGION": "us-east-1", "S3GATE_UPSTREAM_ACCESS_KEY": UPSTREAM_ACCESS_KEY,
           "S3GATE_UPSTREAM_SECRET_KEY": UPSTREAM_SECRET_KEY, "S3GATE_UPSTREAM_ADDRESSING_STYLE": "path",
           "S3GATE_UPSTREAM_TIMEOUT": "5"}
    srv = Server(tmp_path / "gw", env=env).start()
    try:
        make_client(srv.endpoint).create_bucket(Bucket="from-the-environment")
        assert stack.upstream_client().head_bucket(Bucket="from-the-environment")
    finally:
        srv.stop()


@SIGNING_UPSTREAM
def test_aws_credential_chain_is_the_fallback(stack: Stack, tmp_path):
    endpoint = stack.shared.endpoint  # type: ignore[union-attr]
    srv = Server(tmp_path / "gw", args=["--backend", "upstream", "--upstream-endpoint", endpoint],
                 env={"AWS_ACCESS_KEY_ID": UPSTREAM_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": UPSTREAM_SECRET_KEY,
                      "AWS_EC2_METADATA_DISABLED": "true"}).start()
    try:
        s3 = make_client(srv.endpoint)
        s3.create_bucket(Bucket="from-the-chain")
        assert "credentials: AWS credential chain" in srv.log()
        assert "from-the-chain" in [b["Name"] for b in stack.upstream_client().list_buckets()["Buckets"]]
    finally:
        srv.stop()


def test_no_upstream_credentials_anywhere_stops_startup(tmp_path):
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
           "S3GATE_PORT": str(free_port())}
    result = run_cli("serve", "--backend", "upstream", "--upstream-endpoint", "http://127.0.0.1:1", env=env)
    assert result.returncode == 2 and "no upstream credentials" in result.stderr, result.stderr


# -- TLS and addressing -----------------------------------------------------------------------------
@pytest.fixture
def tls_upstream(tmp_path, tls_files) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    cert, key, _ = tls_files
    srv = Server(tmp_path / "tls-up", tls=(cert, key), env=upstream_env()).start()
    yield srv
    srv.stop()


def test_https_upstream_with_ca_bundle_or_insecure(gateway_to, tls_upstream, tls_files):
    _, _, ca = tls_files
    verified = gateway_to(tls_upstream.endpoint, "--upstream-ca-bundle", ca)
    make_client(verified.endpoint).create_bucket(Bucket="over-tls")
    make_client(verified.endpoint).put_object(Bucket="over-tls", Key="k", Body=b"secure")
    insecure = gateway_to(tls_upstream.endpoint, "--upstream-insecure")
    assert make_client(insecure.endpoint).get_object(Bucket="over-tls", Key="k")["Body"].read() == b"secure"
    untrusted = gateway_to(tls_upstream.endpoint)  # the system CAs do not know the test CA
    code, http_status, message = failure(lambda: make_client(untrusted.endpoint).list_buckets())
    assert (code, http_status) == ("ServiceUnavailable", 503)
    assert tls_upstream.endpoint in message and "CERTIFICATE_VERIFY_FAILED" in message


def test_virtual_addressing_puts_the_bucket_in_the_host(gateway_to, tmp_path):
    upstream = Server(tmp_path / "vhost-up", env=upstream_env()).start()
    try:
        endpoint = f"http://localhost:{upstream.port}"
        srv = gateway_to(endpoint, "--upstream-addressing-style", "virtual")
        s3 = make_client(srv.endpoint)
        s3.create_bucket(Bucket="vhosted")
        s3.put_object(Bucket="vhosted", Key="dir/k", Body=b"by host")
        assert s3.get_object(Bucket="vhosted", Key="dir/k")["Body"].read() == b"by host"
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="vhosted")["Contents"]] == ["dir/k"]
    finally:
        upstream.stop()
    fake = FakeUpstream(lambda method, path: (200, {"x-amz-bucket-region": "us-east-1"}, b""))
    try:
        srv = gateway_to(fake.endpoint.replace("127.0.0.1", "localhost"), "--upstream-addressing-style", "virtual")
        make_client(srv.endpoint).head_bucket(Bucket="vhosted")
        # (after it, the gateway reads the bucket's CORS rules, for the response's Vary: GET /?cors)
        assert ("HEAD", "/", f"vhosted.localhost:{fake.httpd.server_address[1]}") in fake.seen
    finally:
        fake.stop()


# -- configuration -------------------------------------------------------------------------------------
@pytest.mark.parametrize("args,env,message", [
    (["--backend", "upstream"], {}, "--backend upstream needs --upstream-endpoint URL"),
    ([], {"S3GATE_BACKEND": "upstream"}, "--backend upstream needs --upstream-endpoint URL"),
    (["--backend", "cloud"], {}, "backend must be one of local, upstream"),
    (["--backend", "upstream", "--upstream-endpoint", "ftp://host"], {}, "must look like http(s)://host[:port]"),
    (["--backend", "upstream", "--upstream-endpoint", "http://host/path"], {}, "must look like http(s)://host[:port]"),
    (["--backend", "upstream", "--upstream-endpoint", "http://h", "--upstream-access-key", "k"], {},
     "--upstream-access-key and --upstream-secret-key go together"),
    (["--backend", "upstream", "--upstream-endpoint", "http://h", "--upstream-addressing-style", "diagonal"], {},
     "--upstream-addressing-style must be path or virtual"),
    (["--backend", "upstream", "--upstream-endpoint", "http://h", "--upstream-ca-bundle", "/nonexistent.pem"], {},
     "--upstream-ca-bundle /nonexistent.pem: no such file"),
    (["--backend", "upstream", "--upstream-endpoint", "http://h", "--upstream-timeout", "soon"], {},
     "upstream-timeout must be a number of seconds"),
    (["--upstream-endpoint", "http://h"], {}, "--upstream-endpoint is only used with --backend upstream"),
])
def test_upstream_configuration_errors_stop_startup(args, env, message):
    result = run_cli("serve", *args, env=env)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_banner_names_the_upstream_but_not_its_secret(gateway_to):
    fake = FakeUpstream(lambda method, path: (200, {}, b""))
    try:
        srv = gateway_to(fake.endpoint)
        assert f"upstream:   {fake.endpoint} (region us-east-1, path style, credentials: given)" in srv.log()
        assert UPSTREAM_SECRET_KEY not in srv.log() and SECRET_KEY in srv.log() and ACCESS_KEY in srv.log()
    finally:
        fake.stop()
