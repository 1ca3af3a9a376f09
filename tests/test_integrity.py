"""Payload integrity: signed hashes, Content-MD5, checksums, aws-chunked framing, truncation."""

from __future__ import annotations

import hashlib
import socket

import httpx
import pytest
from awscrt import checksums as crt
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code, error_code_of
from tests.harness.payloads import DIGESTS, b64, checksum, checksum_args, content_md5, crc32
from tests.harness.rawhttp import read_reply, send, sign_v4, signed, signed_chunks, unsigned_chunks

NEW_ALGORITHMS = ("SHA512", "MD5", "XXHASH64", "XXHASH3", "XXHASH128")  # S3 added these in April 2026
BIG = bytes(range(251)) * 25_000 + b"end"  # about 6 MiB: several 1 MiB blocks, digested in threads as they arrive


def assert_absent(s3, bucket, key):  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key=key)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_content_md5(s3_plain, bucket):
    body = b"md5 checked"
    s3_plain.put_object(Bucket=bucket, Key="ok", Body=body, ContentMD5=content_md5(body))
    with pytest.raises(ClientError) as exc:
        s3_plain.put_object(Bucket=bucket, Key="bad", Body=body, ContentMD5=content_md5(b"other"))
    assert error_code(exc) == "BadDigest"
    assert_absent(s3_plain, bucket, "bad")
    with pytest.raises(ClientError) as exc:
        s3_plain.put_object(Bucket=bucket, Key="bad", Body=body, ContentMD5="not-base64!")
    assert error_code(exc) == "InvalidDigest"


def test_payload_sha256_mismatch_stores_nothing(server, s3, bucket):
    url = f"{server.endpoint}/{bucket}/sha"
    headers = sign_v4("PUT", url, body=b"original")
    response = send("PUT", url, headers=headers, body=b"tampered")
    assert response.status_code == 400 and error_code_of(response) == "XAmzContentSHA256Mismatch"
    assert_absent(s3, bucket, "sha")


@pytest.mark.parametrize("algorithm", DIGESTS)
def test_checksum_algorithms_round_trip(s3, bucket, algorithm):
    body = b"checksummed body " * 100
    expected = checksum(algorithm, body)
    put = s3.put_object(Bucket=bucket, Key=algorithm, Body=body, **checksum_args(algorithm, body))
    assert put[f"Checksum{algorithm}"] == expected
    got = s3.get_object(Bucket=bucket, Key=algorithm, ChecksumMode="ENABLED")
    assert got[f"Checksum{algorithm}"] == expected and got["ChecksumType"] == "FULL_OBJECT"
    assert got["Body"].read() == body  # boto3 validates the checksum while reading (MD5 it only passes on)
    head = s3.head_object(Bucket=bucket, Key=algorithm, ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == expected
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=algorithm)["Contents"][0]
    assert listed["ChecksumAlgorithm"] == [algorithm]


@pytest.mark.parametrize("algorithm", NEW_ALGORITHMS)
def test_new_algorithm_mismatch_and_bad_values(server, s3, bucket, algorithm):
    """A wrong value is BadDigest (S3 stores nothing); a value of the wrong length or not base64 is InvalidRequest."""
    name = f"x-amz-checksum-{algorithm.lower()}"
    response = signed(server, "PUT", f"/{bucket}/bad", body=b"data", headers={name: checksum(algorithm, b"other")})
    assert response.status_code == 400 and error_code_of(response) == "BadDigest"
    assert f"The {algorithm} you specified did not match the calculated checksum.".encode() in response.content
    assert_absent(s3, bucket, "bad")
    for value in (b64(b"short"), "not base64!"):
        response = signed(server, "PUT", f"/{bucket}/bad", body=b"data", headers={name: value})
        assert response.status_code == 400 and error_code_of(response) == "InvalidRequest"
        assert f"Value for {name} header is invalid.".encode() in response.content
    response = signed(server, "PUT", f"/{bucket}/bad", body=b"data", headers={
        name: checksum(algorithm, b"data"), "x-amz-sdk-checksum-algorithm": algorithm})
    assert response.status_code == 200, response.content


@pytest.mark.differs("upstream-moto", reason="moto computes no checksum when the client sends none (S3 "
                     "stores CRC64NVME)")
def test_default_checksum_is_crc64nvme(s3_plain, bucket):
    body = b"no checksum sent"
    s3_plain.put_object(Bucket=bucket, Key="k", Body=body)
    head = s3_plain.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == b64(crt.crc64nvme(body).to_bytes(8, "big"))
    assert "ChecksumCRC64NVME" not in s3_plain.head_object(Bucket=bucket, Key="k")


def test_checksum_header_mismatch(server, s3, bucket):
    response = signed(server, "PUT", f"/{bucket}/c", body=b"data",
                      headers={"x-amz-checksum-crc32": crc32(b"other")})
    assert response.status_code == 400 and error_code_of(response) == "BadDigest"
    assert b"The CRC32 you specified did not match the calculated checksum." in response.content
    assert_absent(s3, bucket, "c")


@pytest.mark.parametrize("headers,code", [
    ({"x-amz-checksum-crc32": "not base64"}, "InvalidRequest"),
    ({"x-amz-checksum-crc32": b64(b"too long!")}, "InvalidRequest"),
    ({"x-amz-checksum-crc32": crc32(b"d"), "x-amz-checksum-sha1": b64(hashlib.sha1(b"d").digest())},
     "InvalidRequest"),
    ({"x-amz-sdk-checksum-algorithm": "CRC32"}, "InvalidRequest"),
    ({"x-amz-sdk-checksum-algorithm": "MD4", "x-amz-checksum-crc32": crc32(b"d")}, "InvalidRequest"),
])
def test_invalid_checksum_headers(server, bucket, headers, code):
    response = signed(server, "PUT", f"/{bucket}/c", body=b"d", headers=headers)
    assert response.status_code == 400 and error_code_of(response) == code


def test_https_upload_uses_aws_chunked_trailer(s3_tls, tls_server):
    """Over TLS boto3 sends STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer."""
    seen: dict[str, str] = {}
    s3_tls.meta.events.register("before-send.s3.PutObject",
                                lambda request, **kw: seen.update({k.lower(): v for k, v in request.headers.items()}))
    s3_tls.create_bucket(Bucket="tls-bucket")
    body = b"over tls " * 5000
    s3_tls.put_object(Bucket="tls-bucket", Key="k", Body=body)
    assert seen["x-amz-content-sha256"] == b"STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    got = s3_tls.get_object(Bucket="tls-bucket", Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == body  # framing was stripped, nothing extra stored
    assert got["ChecksumCRC32"] == crc32(body)
    assert got["ContentLength"] == len(body)
    s3_tls.put_object(Bucket="tls-bucket", Key="xx", Body=body, ChecksumAlgorithm="XXHASH3")
    assert seen["x-amz-trailer"] == b"x-amz-checksum-xxhash3"
    assert s3_tls.head_object(Bucket="tls-bucket", Key="xx", ChecksumMode="ENABLED")["ChecksumXXHASH3"] == \
        checksum("XXHASH3", body)


@pytest.mark.parametrize("case", ["content-md5", "payload-sha256", "crc32", "crc64nvme", "sha256"])
def test_big_body_mismatch_found_at_the_end_stores_nothing(server, s3, bucket, case):
    """MD5 runs in a thread of its own, the signed payload's SHA-256 and the slower checksums in a
    second one, the cheap CRCs on the event loop; each verdict still comes once the whole body is in."""
    other = BIG[:-3] + b"END"
    headers = {"content-md5": {"Content-MD5": content_md5(other)}}.get(case, {})
    if case in ("crc32", "crc64nvme", "sha256"):
        headers = {f"x-amz-checksum-{case}": checksum(case.upper(), other)}
    url = f"{server.endpoint}/{bucket}/big-{case}"
    signed_headers = sign_v4("PUT", url, headers=headers, body=other if case == "payload-sha256" else BIG)
    response = send("PUT", url, headers=signed_headers, body=BIG, verify=server.ca_path or True)
    code = {"content-md5": "BadDigest", "payload-sha256": "XAmzContentSHA256Mismatch"}.get(case, "BadDigest")
    assert response.status_code == 400 and error_code_of(response) == code, response.content
    assert_absent(s3, bucket, f"big-{case}")
    good = {k: checksum(case.upper(), BIG) if k.startswith("x-amz-checksum") else content_md5(BIG)
            for k in headers}
    assert signed(server, "PUT", f"/{bucket}/big-{case}", headers=good, body=BIG).status_code == 200
    got = s3.get_object(Bucket=bucket, Key=f"big-{case}", ChecksumMode="ENABLED")
    assert got["Body"].read() == BIG and got["ETag"] == f'"{hashlib.md5(BIG).hexdigest()}"'


def _streaming_put(server, bucket, key, chunks, *, mode, trailer=None, tamper=None, decoded=None,
                   extra=None, http_chunked=False):  # type: ignore[no-untyped-def]
    """``http_chunked``: no Content-Length, the body as HTTP chunks (what pyarrow sends)."""
    payload = b"".join(chunks)
    headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(
        len(payload) if decoded is None else decoded), **(extra or {})}
    if trailer:
        headers["x-amz-trailer"] = trailer[0]
    url = f"{server.endpoint}/{bucket}/{key}"
    signed_headers = sign_v4("PUT", url, headers=headers, payload_hash=mode)
    if mode.startswith("STREAMING-AWS4-HMAC-SHA256"):
        body = signed_chunks(signed_headers, chunks, trailer=trailer, tamper=tamper)
    else:
        body = unsigned_chunks(chunks, trailer)
    if http_chunked:
        signed_headers.pop("Content-Length", None)
        pieces = (body[i: i + 1000] for i in range(0, len(body), 1000))
        return httpx.put(url, headers=signed_headers, content=pieces, timeout=30)
    return send("PUT", url, headers=signed_headers, body=body)


def test_signed_streaming_payload(server, s3, bucket):
    chunks = [b"a" * 8192, b"b" * 8192, b"tail"]
    response = _streaming_put(server, bucket, "signed", chunks, mode="STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                              extra={"Content-Encoding": "aws-chunked,gzip"})
    assert response.status_code == 200, response.content
    got = s3.get_object(Bucket=bucket, Key="signed")
    assert got["Body"].read() == b"".join(chunks)
    assert got["ContentEncoding"] == "gzip"  # aws-chunked is transport only


@pytest.mark.parametrize("sent,stored", [("aws-chunked", None), ("aws-chunked,deflate, gzip", "deflate, gzip"),
                                         ("deflate, aws-chunked, gzip", "deflate, gzip"),
                                         ("deflate, gzip,aws-chunked", "deflate, gzip")])
def test_aws_chunked_leaves_the_rest_of_content_encoding_as_sent(server, s3, bucket, sent, stored):
    response = _streaming_put(server, bucket, "enc", [b"body"], mode="STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                              extra={"Content-Encoding": sent})
    assert response.status_code == 200, response.content
    head = s3.head_object(Bucket=bucket, Key="enc")
    assert head.get("ContentEncoding") == stored  # absent when aws-chunked was all there was


def test_tampered_chunk_is_rejected(server, s3, bucket):
    chunks = [b"a" * 8192, b"b" * 8192]
    response = _streaming_put(server, bucket, "tampered", chunks, mode="STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                              tamper=1)
    assert response.status_code == 403 and error_code_of(response) == "SignatureDoesNotMatch"
    assert_absent(s3, bucket, "tampered")


def test_signed_streaming_with_signed_trailer(server, s3, bucket):
    chunks = [b"x" * 10000, b"y" * 123]
    data = b"".join(chunks)
    response = _streaming_put(server, bucket, "trailer", chunks, mode="STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                              trailer=("x-amz-checksum-crc32", crc32(data)))
    assert response.status_code == 200, response.content
    assert s3.get_object(Bucket=bucket, Key="trailer", ChecksumMode="ENABLED")["ChecksumCRC32"] == crc32(data)
    bad = _streaming_put(server, bucket, "bad-trailer", chunks, mode="STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                         trailer=("x-amz-checksum-crc32", crc32(b"wrong")))
    assert bad.status_code == 400 and error_code_of(bad) == "BadDigest"
    assert_absent(s3, bucket, "bad-trailer")


def test_unsigned_trailer_over_plain_http_crc64nvme(server, s3, bucket):
    """pyarrow (AWS SDK for C++) sends this over plain HTTP, as HTTP chunks without Content-Length."""
    chunks = [b"parquet" * 1000, b"footer"]
    data = b"".join(chunks)
    value = b64(crt.crc64nvme(data).to_bytes(8, "big"))
    response = _streaming_put(server, bucket, "arrow", chunks, mode="STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                              trailer=("x-amz-checksum-crc64nvme", value), http_chunked=True)
    assert response.status_code == 200, response.content
    got = s3.get_object(Bucket=bucket, Key="arrow", ChecksumMode="ENABLED")
    assert got["Body"].read() == data and got["ChecksumCRC64NVME"] == value
    bad = _streaming_put(server, bucket, "arrow-bad", chunks, mode="STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                         trailer=("x-amz-checksum-crc64nvme", b64(bytes(8))))
    assert bad.status_code == 400 and error_code_of(bad) == "BadDigest"
    assert_absent(s3, bucket, "arrow-bad")


@pytest.mark.parametrize("algorithm", NEW_ALGORITHMS)
def test_new_algorithms_in_trailers(server, s3, bucket, algorithm):
    """What SDKs send over HTTPS: the checksum in an aws-chunked trailer."""
    chunks = [b"z" * 70000, b"end"]
    data = b"".join(chunks)
    trailer = f"x-amz-checksum-{algorithm.lower()}"
    response = _streaming_put(server, bucket, "trailed", chunks, mode="STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                              trailer=(trailer, checksum(algorithm, data)))
    assert response.status_code == 200, response.content
    got = s3.get_object(Bucket=bucket, Key="trailed", ChecksumMode="ENABLED")
    assert got["Body"].read() == data and got[f"Checksum{algorithm}"] == checksum(algorithm, data)
    bad = _streaming_put(server, bucket, "trailed-bad", chunks, mode="STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                         trailer=(trailer, checksum(algorithm, b"wrong")))
    assert bad.status_code == 400 and error_code_of(bad) == "BadDigest"
    assert_absent(s3, bucket, "trailed-bad")


def test_big_aws_chunked_body_across_uneven_chunks(server, s3, bucket):
    """Chunk boundaries fall anywhere in what the socket delivers: data passes through uncopied."""
    chunks = [BIG[i:i + 65_537] for i in range(0, len(BIG), 65_537)]
    for mode, trailer in (("STREAMING-UNSIGNED-PAYLOAD-TRAILER", ("x-amz-checksum-crc32", crc32(BIG))),
                          ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", None)):
        response = _streaming_put(server, bucket, "chunked-big", chunks, mode=mode, trailer=trailer)
        assert response.status_code == 200, response.content
        assert s3.get_object(Bucket=bucket, Key="chunked-big")["Body"].read() == BIG
    bad = _streaming_put(server, bucket, "chunked-bad", chunks, mode="STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                         trailer=("x-amz-checksum-crc32", crc32(b"wrong")))
    assert bad.status_code == 400 and error_code_of(bad) == "BadDigest"
    assert_absent(s3, bucket, "chunked-bad")


def test_decoded_length_mismatch(server, s3, bucket):
    response = _streaming_put(server, bucket, "short", [b"abc"], mode="STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                              decoded=10)
    assert response.status_code == 400 and error_code_of(response) == "IncompleteBody"
    assert_absent(s3, bucket, "short")


def test_truncated_upload_leaves_nothing(server, s3, bucket):
    url = f"{server.endpoint}/{bucket}/cut"
    headers = sign_v4("PUT", url, payload_hash="UNSIGNED-PAYLOAD")
    head = f"PUT /{bucket}/cut HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += "Content-Length: 1000000\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(head.encode() + b"z" * 300_000)
    s3.list_objects_v2(Bucket=bucket)  # the server has seen the disconnect by now
    assert_absent(s3, bucket, "cut")


def test_oversized_put_is_refused_before_upload(server, bucket):
    url = f"{server.endpoint}/{bucket}/huge"
    headers = sign_v4("PUT", url, payload_hash="UNSIGNED-PAYLOAD")
    head = f"PUT /{bucket}/huge HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nExpect: 100-continue\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {5 * 1024**3 + 1}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head.encode())
        reply = read_reply(sock)
    assert reply.startswith(b"HTTP/1.1 400") and b"EntityTooLarge" in reply


def test_missing_content_length(server, bucket):
    url = f"{server.endpoint}/{bucket}/nolen"
    headers = sign_v4("PUT", url, payload_hash="UNSIGNED-PAYLOAD")
    head = f"PUT /{bucket}/nolen HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head.encode())
        reply = sock.makefile("rb").read()
    assert reply.startswith(b"HTTP/1.1 411") and b"MissingContentLength" in reply
