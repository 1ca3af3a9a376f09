"""``--access-log``: one JSON line per request with who, what and how long, and never a secret (a signed
request's signature, a presigned URL's query values, the secret key); ``--workers 2`` writing to one
standard output without mixing lines."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.harness.clients import ACCESS_KEY, SECRET_KEY, unique_bucket_name
from tests.harness.rawhttp import presign_v4, send, sign_v4
from tests.harness.servers import Server

ROOT_ARN = "arn:aws:iam::000000000000:root"


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    where = tmp_path_factory.mktemp("logged")
    srv = Server(where / "data", args=["--access-log", str(where / "access.log")]).start()
    yield srv, where / "access.log"
    srv.stop()


def entries(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def wait_for_entry(path: Path, request_id: str, timeout: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = [e for e in entries(path.read_text() if path.exists() else "") if e["request_id"] == request_id]
        if found or time.monotonic() > deadline:
            assert len(found) == 1, f"request {request_id} logged {len(found)} times"
            return found[0]
        time.sleep(0.1)


def test_a_line_per_request_with_who_what_and_how_long(logged: tuple[Server, Path]) -> None:
    srv, path = logged
    s3 = srv.client()
    bucket = unique_bucket_name()
    s3.create_bucket(Bucket=bucket)
    put = s3.put_object(Bucket=bucket, Key="photos/cat.jpg", Body=b"m" * 1234)
    entry = wait_for_entry(path, put["ResponseMetadata"]["RequestId"])
    assert entry["principal"] == ROOT_ARN and entry["access_key"] == ACCESS_KEY
    assert entry["remote"] == "127.0.0.1"
    assert (entry["operation"], entry["method"], entry["bucket"], entry["key"]) == \
        ("PutObject", "PUT", bucket, "photos/cat.jpg")
    assert (entry["status"], entry["error_code"]) == (200, None)
    assert entry["bytes_in"] >= 1234 and entry["bytes_out"] == 0
    assert 0 < entry["first_byte_ms"] <= entry["total_ms"]
    assert "Boto3" in entry["user_agent"] or "Botocore" in entry["user_agent"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])
    assert entry["tls"] is False

    anonymous = httpx.get(f"{srv.endpoint}/{bucket}/photos/cat.jpg")
    entry = wait_for_entry(path, anonymous.headers["x-amz-request-id"])
    assert (entry["status"], entry["error_code"], entry["operation"]) == (403, "AccessDenied", "GetObject")
    assert (entry["principal"], entry["access_key"]) == ("anonymous", None)
    bad = httpx.get(f"{srv.endpoint}/{bucket}/photos/cat.jpg",
                    headers=sign_v4("GET", f"{srv.endpoint}/{bucket}/photos/cat.jpg", secret_key="wrong"))
    entry = wait_for_entry(path, bad.headers["x-amz-request-id"])
    assert (entry["status"], entry["error_code"], entry["principal"]) == (403, "SignatureDoesNotMatch", None)


def test_no_secrets_in_the_log(logged: tuple[Server, Path]) -> None:
    srv, path = logged
    s3 = srv.client()
    bucket = unique_bucket_name()
    s3.create_bucket(Bucket=bucket)
    url = f"{srv.endpoint}/{bucket}/secret-test"
    headers = sign_v4("PUT", url, body=b"hello")
    response = send("PUT", url, headers=headers, body=b"hello")
    assert response.status_code == 200
    presigned = presign_v4("GET", url)
    got = httpx.get(presigned)
    assert got.content == b"hello"
    get_entry = wait_for_entry(path, got.headers["x-amz-request-id"])
    assert get_entry["operation"] == "GetObject" and get_entry["access_key"] == ACCESS_KEY
    wait_for_entry(path, response.headers["x-amz-request-id"])

    query = parse_qs(urlsplit(presigned).query)
    header_signature = headers["Authorization"].rpartition("Signature=")[2]
    text = path.read_text()
    for secret in (SECRET_KEY, header_signature, query["X-Amz-Signature"][0], query["X-Amz-Credential"][0],
                   headers["Authorization"], "X-Amz-Signature", "X-Amz-Credential"):
        assert secret not in text


def test_two_workers_on_standard_output_never_mix_lines(tmp_path: Path) -> None:
    files = tmp_path / "prometheus"  # each worker's metric files say it served requests
    srv = Server(tmp_path / "data", args=["--workers", "2", "--access-log", "-"],
                 env={"PROMETHEUS_MULTIPROC_DIR": str(files)}).start()
    try:
        s3 = srv.client()
        bucket = unique_bucket_name()
        s3.create_bucket(Bucket=bucket)
        clients = [srv.client() for _ in range(8)]
        long_key = "k" * 900  # lines of about 1.2 KB: a few per write

        def put(n: int) -> list[str]:
            return [clients[n].put_object(Bucket=bucket, Key=f"{long_key}-{n}-{i}", Body=b"x")
                    ["ResponseMetadata"]["RequestId"] for i in range(40)]

        with ThreadPoolExecutor(8) as pool:
            ids = {rid for batch in pool.map(put, range(8)) for rid in batch}
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            logged = {e["request_id"] for e in entries(srv.log()) if e["operation"] == "PutObject"}
            if ids <= logged and len(list(files.glob("counter_*.db"))) == 2:
                break
            time.sleep(0.2)
        assert len(list(files.glob("counter_*.db"))) == 2, "one worker served every request"
    finally:
        srv.stop()
    # Every line that has a piece of an entry is a whole entry (json.loads would fail on a mixed one).
    lines = [line for line in srv.log().splitlines() if "request_id" in line]
    parsed = [json.loads(line) for line in lines]
    assert ids <= {e["request_id"] for e in parsed}
