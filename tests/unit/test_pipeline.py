"""The authorize step in-process: which action on which ARN it asks, for the row and for secondary resources.

The real app and the real local backend (on tmp_path) behind httpx's ASGITransport, requests signed
by botocore, and a recording authorizer injected through ``S3App``'s constructor.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import boto3
import httpx
import pytest
from botocore.config import Config

from gateway.app import S3App
from gateway.auth import Principal
from gateway.settings import Settings
from storage_backends.local.backend import LocalBackend
from tests.harness.clients import ACCESS_KEY, SECRET_KEY
from tests.harness.rawhttp import sign_v4

BASE = "http://127.0.0.1:9000"
Call = tuple[str | None, str, str]  # (caller ARN, action, resource ARN)
ROOT = "arn:aws:iam::000000000000:root"  # the default account's root: the test credentials


class Recorder:
    def __init__(self, deny: frozenset[str] = frozenset()) -> None:
        self.calls: list[Call] = []
        self.deny = deny  # ARNs to refuse

    async def __call__(self, principal: Principal, action: str, resource_arn: str) -> None:
        from gateway.wire.errors import Code, S3Error

        self.calls.append((principal.identity.arn if principal.identity else None, action, resource_arn))
        if resource_arn in self.deny:
            raise S3Error(Code.AccessDenied)


class Client:
    """Requests to the app in-process, SigV4-signed unless ``signed=False``."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
                       signed: bool = True) -> httpx.Response:
        url = BASE + path
        sent = sign_v4(method, url, headers=headers, body=body) if signed else dict(headers or {})
        return await self.http.request(method, url, content=body, headers=sent)


def run(tmp_path: Path, recorder: Recorder, scenario: Callable[[Client], Awaitable[None]]) -> None:
    """Start the app on a fresh data dir, create bucket ``bkt``, forget that call, run ``scenario``."""

    async def main() -> None:
        backend = LocalBackend(tmp_path / "data")
        await backend.start()
        app = S3App(Settings(data_dir=str(tmp_path / "data")), backend=backend, authorizer=recorder)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
                request = Client(http)
                assert (await request("PUT", "/bkt")).status_code == 200
                recorder.calls.clear()
                await scenario(request)
        finally:
            await backend.aclose()

    asyncio.run(main())


def test_row_actions_on_the_request_resource(tmp_path: Path) -> None:
    rec = Recorder()

    async def scenario(request: Client) -> None:
        assert (await request("PUT", "/bkt/a/b.txt", b"hello")).status_code == 200
        assert (await request("GET", "/bkt/a/b.txt")).status_code == 200
        assert (await request("HEAD", "/bkt/a/b.txt?versionId=null")).status_code == 200
        assert (await request("GET", "/bkt?list-type=2")).status_code == 200
        assert (await request("GET", "/")).status_code == 200
        assert (await request("GET", "/bkt/a/b.txt?attributes", headers={"x-amz-object-attributes": "ETag"})
                ).status_code == 200

    run(tmp_path, rec, scenario)
    assert rec.calls == [
        (ROOT, "s3:PutObject", "arn:aws:s3:::bkt/a/b.txt"),
        (ROOT, "s3:GetObject", "arn:aws:s3:::bkt/a/b.txt"),
        (ROOT, "s3:GetObjectVersion", "arn:aws:s3:::bkt/a/b.txt"),
        (ROOT, "s3:ListBucket", "arn:aws:s3:::bkt"),
        (ROOT, "s3:ListAllMyBuckets", "*"),
        (ROOT, "s3:GetObject", "arn:aws:s3:::bkt/a/b.txt"),
        (ROOT, "s3:GetObjectAttributes", "arn:aws:s3:::bkt/a/b.txt"),
    ]


def test_copy_object_authorizes_its_source(tmp_path: Path) -> None:
    rec = Recorder()

    async def scenario(request: Client) -> None:
        assert (await request("PUT", "/bkt/src", b"data")).status_code == 200
        rec.calls.clear()
        assert (await request("PUT", "/bkt/dst", headers={"x-amz-copy-source": "/bkt/src"})).status_code == 200
        versioned = await request("PUT", "/bkt/dst2", headers={"x-amz-copy-source": "/bkt/src?versionId=v1"})
        assert versioned.status_code in (400, 404)  # no such version: asked before the source is read

    run(tmp_path, rec, scenario)
    assert rec.calls == [
        (ROOT, "s3:PutObject", "arn:aws:s3:::bkt/dst"),
        (ROOT, "s3:GetObject", "arn:aws:s3:::bkt/src"),
        (ROOT, "s3:PutObject", "arn:aws:s3:::bkt/dst2"),
        (ROOT, "s3:GetObjectVersion", "arn:aws:s3:::bkt/src"),
    ]


def test_refused_copy_source_is_access_denied(tmp_path: Path) -> None:
    rec = Recorder(deny=frozenset({"arn:aws:s3:::bkt/secret"}))

    async def scenario(request: Client) -> None:
        assert (await request("PUT", "/bkt/secret", b"data")).status_code == 403
        response = await request("PUT", "/bkt/dst", headers={"x-amz-copy-source": "/bkt/secret"})
        assert response.status_code == 403 and b"<Code>AccessDenied</Code>" in response.content

    run(tmp_path, rec, scenario)


def test_upload_part_copy_authorizes_its_source(tmp_path: Path) -> None:
    rec = Recorder()

    async def scenario(request: Client) -> None:
        assert (await request("PUT", "/bkt/src", b"x" * 10)).status_code == 200
        created = await request("POST", "/bkt/big?uploads")
        found = re.search(rb"<UploadId>(.+?)</UploadId>", created.content)
        assert found is not None
        upload_id = found.group(1).decode()
        rec.calls.clear()
        copied = await request("PUT", f"/bkt/big?partNumber=1&uploadId={upload_id}",
                               headers={"x-amz-copy-source": "bkt/src"})
        assert copied.status_code == 200, copied.text

    run(tmp_path, rec, scenario)
    assert rec.calls == [
        (ROOT, "s3:PutObject", "arn:aws:s3:::bkt/big"),
        (ROOT, "s3:GetObject", "arn:aws:s3:::bkt/src"),
    ]


def test_delete_objects_authorizes_each_key(tmp_path: Path) -> None:
    rec = Recorder(deny=frozenset({"arn:aws:s3:::bkt/kept"}))
    body = (b"<Delete><Object><Key>gone</Key></Object><Object><Key>kept</Key></Object>"
            b"<Object><Key>old</Key><VersionId>null</VersionId></Object></Delete>")

    async def scenario(request: Client) -> None:
        for key in ("gone", "old"):
            assert (await request("PUT", f"/bkt/{key}", b"1")).status_code == 200
        rec.calls.clear()
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        response = await request("POST", "/bkt?delete", body, headers={"content-md5": md5})
        assert response.status_code == 200
        assert b"<Deleted><Key>gone</Key></Deleted>" in response.content
        assert b"<Error><Key>kept</Key><Code>AccessDenied</Code>" in response.content

    run(tmp_path, rec, scenario)
    assert rec.calls == [
        (ROOT, "s3:DeleteObject", "arn:aws:s3:::bkt/gone"),
        (ROOT, "s3:DeleteObject", "arn:aws:s3:::bkt/kept"),
        (ROOT, "s3:DeleteObjectVersion", "arn:aws:s3:::bkt/old"),
    ]


def test_anonymous_is_refused_before_the_authorizer_and_preflight_is_not(tmp_path: Path) -> None:
    rec = Recorder()

    async def scenario(request: Client) -> None:
        denied = await request("GET", "/bkt/a", signed=False)
        assert denied.status_code == 403 and b"<Code>AccessDenied</Code>" in denied.content
        preflight = await request("OPTIONS", "/bkt/a", signed=False,
                                  headers={"origin": "https://app.test", "access-control-request-method": "GET"})
        assert preflight.status_code == 403 and b"<Code>AccessForbidden</Code>" in preflight.content

    run(tmp_path, rec, scenario)
    assert rec.calls == []


@pytest.mark.parametrize("signed", [True, False])
def test_post_form_principal_is_authorized_before_the_file_is_stored(tmp_path: Path, signed: bool) -> None:
    rec = Recorder()
    s3 = boto3.client("s3", endpoint_url=BASE, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                      region_name="us-east-1", config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    post = s3.generate_presigned_post("bkt", "up/${filename}")
    fields = post["fields"] if signed else {"key": "up/${filename}"}

    async def scenario(request: Client) -> None:
        response = await request.http.post("/bkt", data=fields, files={"file": ("f.txt", b"form body")})
        if signed:
            assert response.status_code == 204, response.text
        else:
            assert response.status_code == 403 and b"<Code>AccessDenied</Code>" in response.content

    run(tmp_path, rec, scenario)
    assert rec.calls == ([(ROOT, "s3:PutObject", "arn:aws:s3:::bkt/up/f.txt")] if signed else [])



def test_front_doors(tmp_path: Path) -> None:
    rec = Recorder()

    async def scenario(request: Client) -> None:
        health = await request("GET", "/_s3gate/health", signed=False)
        assert (health.status_code, health.headers["content-type"]) == (200, "application/json")
        assert health.json()["status"] == "ok" and health.json()["volumes"][0]["name"] == "data"
        anonymous = await request("POST", "/_s3gate/admin/lifecycle", signed=False)
        assert anonymous.status_code == 403 and b"<Code>AccessDenied</Code>" in anonymous.content
        unknown = await request("GET", "/_s3gate/admin/nothing")
        assert unknown.status_code == 405 and b"<ResourceType>ADMIN</ResourceType>" in unknown.content
        ran = await request("POST", "/_s3gate/admin/lifecycle")
        assert ran.status_code == 200 and ran.headers["content-type"] == "application/json"
        # Virtual-hosted bkt.localhost: /_s3gate/... is a key of bkt, answered by the S3 door.
        url = "http://bkt.localhost:9000/_s3gate/admin/lifecycle"
        put = await request.http.put(url, content=b"k", headers=sign_v4("PUT", url, body=b"k"))
        assert put.status_code == 200

    run(tmp_path, rec, scenario)
    assert rec.calls == [(ROOT, "s3gate:RunLifecycle", "*"),
                         (ROOT, "s3:PutObject", "arn:aws:s3:::bkt/_s3gate/admin/lifecycle")]
