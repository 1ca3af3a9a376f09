"""Encryption at rest on the local backend: what lies on disk, what a read costs, what a lost key means.

One gateway of this module's own (legacy bucket defaults, so a plain object is there to prove the
grep finds plaintext; SSE-C over the loopback's plain HTTP; one declared KMS key; a directory of its
own for GLACIER_IR) serves every test but the restarts, which need data dirs of their own.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code
from tests.harness.clients import unique_bucket_name, upload
from tests.harness.postgres import found_in_database, metadata_url
from tests.harness.rawhttp import signed
from tests.harness.servers import LOCAL, REPO, Server, child_env

pytestmark = pytest.mark.backends(*LOCAL, reason="how the local backend stores encrypted bytes")

MARKER = b"S3GATE-PLAINTEXT-MARKER-7f3a9c"  # never in the data dir but where a test stores it unencrypted
CONTROL = b"S3GATE-UNENCRYPTED-CONTROL-2b8e"
KMS_KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
MIB = 1024 * 1024
CHUNK = 64 * 1024


def body(size: int, marker: bytes = MARKER) -> bytes:
    line = marker + b"\n"
    return (line * (size // len(line) + 1))[:size]


def customer(seed: int = 7) -> dict[str, str]:
    key = bytes([seed]) * 32
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": base64.b64encode(key).decode(),
            "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(key).digest()).decode()}


def copy_source_customer(seed: int = 7) -> dict[str, str]:
    return {f"CopySource{k}": v for k, v in customer(seed).items()}


SSE_S3 = {"ServerSideEncryption": "AES256"}
SSE_KMS = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": KMS_KEY,
           "SSEKMSEncryptionContext": base64.b64encode(json.dumps({"app": "photos"}).encode()).decode()}
MODES = {"sse-s3": SSE_S3, "sse-kms": SSE_KMS, "sse-c": customer()}


@pytest.fixture(scope="module")
def enc_server(stack, tmp_path_factory):  # type: ignore[no-untyped-def]
    cold = tmp_path_factory.mktemp("cold")
    srv = stack.gateway(tmp_path_factory.mktemp("enc") / "data",
                        args=["--bucket-defaults", "legacy", "--allow-sse-c-over-http", "--kms-key", KMS_KEY,
                              "--storage-class-dir", f"GLACIER_IR={cold}", "--lifecycle-day-seconds", "100000"]
                        ).start()
    srv.cold = cold
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def es3(enc_server):  # type: ignore[no-untyped-def]
    return enc_server.client()


@pytest.fixture
def eb(es3) -> str:  # type: ignore[no-untyped-def]
    name = unique_bucket_name("enc")
    es3.create_bucket(Bucket=name)
    return name


def found_in(where: Server | Path, needle: bytes) -> list[str]:
    """Files under a directory or a server's data dir (blob files, the catalog and its WAL) whose bytes contain
    ``needle``, and for a server on local-postgres the text and bytea columns of its database that do."""
    directory = where if isinstance(where, Path) else where.data_dir
    url = None if isinstance(where, Path) else metadata_url(where.args)
    files = [str(p) for p in directory.rglob("*") if p.is_file() and needle in p.read_bytes()]
    return files + (found_in_database(url, needle) if url else [])


def read(es3, bucket: str, key: str, **extra: str) -> bytes:  # type: ignore[no-untyped-def]
    return bytes(es3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read())


def test_no_plaintext_on_disk_for_any_mode_size_or_copy(es3, eb, enc_server):  # type: ignore[no-untyped-def]
    es3.put_object(Bucket=eb, Key="control", Body=body(3000, CONTROL))  # plaintext: the grep must find it
    written: dict[str, tuple[bytes, dict[str, str]]] = {}
    for mode, sse in MODES.items():
        for size in (3000, 300 * 1024):  # inline in the catalog, and a blob file
            key = f"{mode}-{size}"
            written[key] = body(size), sse
            es3.put_object(Bucket=eb, Key=key, Body=written[key][0], **sse)
        parts = [body(5 * MIB), body(100 * 1024)]  # a file part and an inline one
        upload_id, done = upload(es3, eb, f"{mode}-multipart", parts, **sse) if mode != "sse-c" else \
            _sse_c_upload(es3, eb, f"{mode}-multipart", parts)
        es3.complete_multipart_upload(Bucket=eb, Key=f"{mode}-multipart", UploadId=upload_id,
                                      MultipartUpload={"Parts": done}, **(sse if mode == "sse-c" else {}))
        written[f"{mode}-multipart"] = b"".join(parts), sse
    # copies between settings re-encrypt; a copy to the same setting shares the sealed blob
    copies = {"c-to-s3": ("sse-c-307200", copy_source_customer(), SSE_S3),
              "s3-to-kms": ("sse-s3-307200", {}, SSE_KMS),
              "kms-to-c": ("sse-kms-multipart", {}, customer(9)),
              "s3-to-s3": ("sse-s3-307200", {}, SSE_S3)}
    blobs_before = sum(1 for _ in (enc_server.data_dir / "blobs").rglob("*") if _.is_file())
    for target, (source, source_key, sse) in copies.items():
        es3.copy_object(Bucket=eb, Key=target, CopySource={"Bucket": eb, "Key": source}, **source_key, **sse)
        written[target] = written[source][0], sse
    blobs_after = sum(1 for _ in (enc_server.data_dir / "blobs").rglob("*") if _.is_file())
    assert blobs_after - blobs_before == 3  # three re-encrypted into new blobs; s3-to-s3 shares its source's

    for key, (data, sse) in written.items():
        extra = {k: v for k, v in sse.items() if k.startswith("SSECustomer")}
        assert read(es3, eb, key, **extra) == data, key
    assert found_in(enc_server, CONTROL)  # the grep works: the unencrypted object is there
    assert found_in(enc_server, MARKER) == []
    assert found_in(enc_server, MARKER[:16]) == []


def _sse_c_upload(es3, bucket: str, key: str, parts: list[bytes]):  # type: ignore[no-untyped-def]
    upload_id = es3.create_multipart_upload(Bucket=bucket, Key=key, **customer())["UploadId"]
    done = []
    for number, data in enumerate(parts, start=1):
        etag = es3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data,
                               **customer())["ETag"]
        done.append({"PartNumber": number, "ETag": etag})
    return upload_id, done


def test_ranges_of_an_encrypted_multipart_object_cross_parts_and_chunks(es3, eb):  # type: ignore[no-untyped-def]
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), os.urandom(CHUNK + 123)]
    whole = b"".join(parts)
    upload_id, done = upload(es3, eb, "mp", parts, **SSE_KMS)
    es3.complete_multipart_upload(Bucket=eb, Key="mp", UploadId=upload_id, MultipartUpload={"Parts": done})
    five = 5 * MIB
    for first, last in [(0, 0), (CHUNK - 1, CHUNK), (five - 10, five + 10), (five - 1, 2 * five + CHUNK),
                        (2 * five - 1, 2 * five), (len(whole) - 5, len(whole) - 1), (3 * CHUNK + 7, 9 * CHUNK - 3)]:
        got = es3.get_object(Bucket=eb, Key="mp", Range=f"bytes={first}-{last}")
        assert bytes(got["Body"].read()) == whole[first:last + 1], (first, last)
    assert bytes(es3.get_object(Bucket=eb, Key="mp", Range="bytes=-70000")["Body"].read()) == whole[-70000:]
    for number, part in enumerate(parts, start=1):
        assert bytes(es3.get_object(Bucket=eb, Key="mp", PartNumber=number)["Body"].read()) == part


def rchar(server: Server) -> int:
    assert server.proc is not None
    for line in Path(f"/proc/{server.proc.pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar")


def test_a_ranged_get_reads_only_the_chunks_it_serves(es3, eb, enc_server):  # type: ignore[no-untyped-def]
    """64 MiB rather than the issue's 1 GiB keeps the test fast; what a range reads does not grow with the
    object (the same chunk arithmetic), which the whole read beside it shows."""
    size = 64 * MIB
    data = os.urandom(size)
    es3.put_object(Bucket=eb, Key="big", Body=data, **SSE_S3)
    start = 31 * MIB + 12345
    before = rchar(enc_server)
    got = bytes(es3.get_object(Bucket=eb, Key="big", Range=f"bytes={start}-{start + MIB - 1}")["Body"].read())
    ranged = rchar(enc_server) - before
    assert got == data[start:start + MIB]
    # 17 sealed chunks (1 MiB plus the partial chunk each side) is 1.06 MiB; the request and the catalog a few KiB
    assert ranged < MIB + 3 * CHUNK, ranged
    before = rchar(enc_server)
    assert bytes(es3.get_object(Bucket=eb, Key="big")["Body"].read()) == data
    assert rchar(enc_server) - before > size


def test_a_changed_byte_of_a_sealed_blob_is_never_served(es3, eb, enc_server):  # type: ignore[no-untyped-def]
    data = os.urandom(300 * 1024)
    es3.put_object(Bucket=eb, Key="victim", Body=data, **SSE_S3)
    newest = max((p for p in (enc_server.data_dir / "blobs").rglob("*") if p.is_file()),
                 key=lambda p: p.stat().st_mtime_ns)
    raw = bytearray(newest.read_bytes())
    raw[len(raw) - 1000] ^= 0x01  # in the last chunk
    newest.write_bytes(bytes(raw))
    with pytest.raises(Exception):  # noqa: B017 - a broken body or a 500, whichever; never the bytes
        served = bytes(es3.get_object(Bucket=eb, Key="victim")["Body"].read())
        assert served != data  # (not reached: a changed chunk fails authentication)
    assert bytes(es3.get_object(Bucket=eb, Key="victim", Range="bytes=0-999")["Body"].read()) == data[:1000]
    assert "fails authentication" in enc_server.log()


def test_sse_c_needs_the_right_key_everywhere(es3, eb):  # type: ignore[no-untyped-def]
    es3.put_object(Bucket=eb, Key="secret", Body=b"hello", **customer())
    es3.put_object(Bucket=eb, Key="plain", Body=b"hello", **SSE_S3)
    refusals = [
        (lambda: es3.get_object(Bucket=eb, Key="secret"), "InvalidRequest"),
        (lambda: es3.get_object(Bucket=eb, Key="secret", **customer(8)), "AccessDenied"),
        (lambda: es3.head_object(Bucket=eb, Key="secret", **customer(8)), "403"),
        (lambda: es3.get_object(Bucket=eb, Key="plain", **customer()), "InvalidRequest"),
        (lambda: es3.copy_object(Bucket=eb, Key="c", CopySource={"Bucket": eb, "Key": "secret"}), "InvalidRequest"),
        (lambda: es3.copy_object(Bucket=eb, Key="c", CopySource={"Bucket": eb, "Key": "secret"},
                                 **copy_source_customer(8)), "AccessDenied"),
    ]
    for call, code in refusals:
        with pytest.raises(ClientError) as refused:
            call()
        assert error_code(refused) == code
    assert read(es3, eb, "secret", **customer()) == b"hello"
    upload_id = es3.create_multipart_upload(Bucket=eb, Key="mp", **customer())["UploadId"]
    for wrong, message in [({}, "initiate requested encryption"), (customer(8), "did not match")]:
        with pytest.raises(ClientError) as refused:
            es3.upload_part(Bucket=eb, Key="mp", UploadId=upload_id, PartNumber=1, Body=b"x", **wrong)
        assert refused.value.response["Error"]["Code"] == "InvalidRequest"
        assert message in refused.value.response["Error"]["Message"]


def test_etags_follow_aws_and_checksums_verify_the_plaintext(es3, eb):  # type: ignore[no-untyped-def]
    data = b"photo bytes" * 1000
    md5 = hashlib.md5(data).hexdigest()
    for mode, sse in MODES.items():
        put = es3.put_object(Bucket=eb, Key=mode, Body=data, ChecksumAlgorithm="SHA256", **sse)
        assert (put["ETag"].strip('"') == md5) is (mode == "sse-s3"), mode
        extra = {k: v for k, v in sse.items() if k.startswith("SSECustomer")}
        got = es3.get_object(Bucket=eb, Key=mode, ChecksumMode="ENABLED", **extra)
        assert got["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
        assert bytes(got["Body"].read()) == data  # boto3 checks the checksum against what it read
    parts = [os.urandom(5 * MIB), b"tail"]
    upload_id, done = upload(es3, eb, "mp", parts, **SSE_KMS)
    etag = es3.complete_multipart_upload(Bucket=eb, Key="mp", UploadId=upload_id,
                                         MultipartUpload={"Parts": done})["ETag"].strip('"')
    assert etag.endswith("-2") and all(p["ETag"].strip('"') != hashlib.md5(d).hexdigest()
                                       for p, d in zip(done, parts, strict=True))


def test_a_transition_to_a_storage_class_dir_keeps_the_bytes_sealed(es3, eb, enc_server):  # type: ignore[no-untyped-def]
    data = body(300 * 1024)
    es3.put_object(Bucket=eb, Key="photo", Body=data, **SSE_KMS)
    es3.put_bucket_lifecycle_configuration(Bucket=eb, LifecycleConfiguration={"Rules": [
        {"ID": "cold", "Status": "Enabled", "Filter": {"Prefix": ""},
         "Transitions": [{"Days": 1, "StorageClass": "GLACIER_IR"}]}]})
    report = signed(enc_server, "POST", "/_s3gate/admin/lifecycle?advance-days=2")
    assert report.status_code == 200, report.text
    assert es3.head_object(Bucket=eb, Key="photo")["StorageClass"] == "GLACIER_IR"
    moved = [p for p in enc_server.cold.rglob("*") if p.is_file() and p.parent.parent.name == "blobs"]
    assert moved and found_in(enc_server.cold, MARKER) == []
    assert read(es3, eb, "photo") == data


def test_the_master_key_is_made_0600_kept_across_restarts_and_needed(make_server, tmp_path):  # type: ignore[no-untyped-def]
    srv = make_server("keyed").start()
    s3 = srv.client()
    s3.create_bucket(Bucket="photos")  # --bucket-defaults aws: SSE-S3 by default
    s3.put_object(Bucket="photos", Key="small", Body=b"tiny photo")
    s3.put_object(Bucket="photos", Key="large", Body=body(200 * 1024))
    key_file = srv.data_dir / "master.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(key_file.read_bytes()) == 32
    first = key_file.read_bytes()
    srv.stop()
    srv.start()
    assert key_file.read_bytes() == first
    assert read(s3, "photos", "small") == b"tiny photo"
    srv.stop()
    key_file.write_bytes(os.urandom(32))  # another master key: the old data keys no longer unwrap
    srv.start()
    for key in ("small", "large"):
        with pytest.raises(ClientError) as refused:
            s3.get_object(Bucket="photos", Key=key)
        assert refused.value.response["Error"]["Code"] == "InternalError"
        assert "master key" in refused.value.response["Error"]["Message"]
    assert "was the master key" in srv.log()
    s3.head_object(Bucket="photos", Key="small")  # the metadata is not encrypted


@pytest.mark.parametrize("content,shown", [(None, "cannot read"), (b"short", "5 bytes")])
def test_a_master_key_file_that_cannot_be_used_stops_start_up(tmp_path, content, shown):  # type: ignore[no-untyped-def]
    path = tmp_path / "master.key"
    if content is not None:
        path.write_bytes(content)
    done = subprocess.run([sys.executable, "-m", "gateway", "serve", "--data-dir", str(tmp_path / "data"),
                           "--master-key-file", str(path), "--port", "0"], cwd=REPO, env=child_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and shown in done.stderr and str(path) in done.stderr
