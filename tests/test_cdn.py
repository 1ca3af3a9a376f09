"""The CDN recipe for real: the machine's nginx runs ``docker/nginx-cdn.conf.template`` (rendered as the
nginx image renders it: only its ports and paths filled in) in front of a live s3gate's website endpoint.

It shows what the README promises: a second GET of an image is a cache hit; an overwritten object (a new
ETag) is seen once its max-age has passed; private objects are never cached; presigned URLs of private
images work through it and bypass the cache.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness.clients import make_client
from tests.harness.files import png
from tests.harness.servers import LOCAL, REPO, Server, free_port
from tests.harness.website import public_read, website

pytestmark = pytest.mark.backends(*LOCAL, reason="the CDN is nginx's HTTP caching; the backends' own answers to "
                                  "it are test_serving's")
NGINX = "/usr/sbin/nginx"
TEMPLATE = REPO / "docker" / "nginx-cdn.conf.template"
TEMPS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def nginx_conf(directory: Path, values: dict[str, str]) -> str:
    """The template inside the http {} block nginx's image puts it in, with this test's paths."""
    body = TEMPLATE.read_text()
    for name, value in values.items():
        body = body.replace("${" + name + "}", value)
    assert "${" not in body, "a template variable was left unfilled"
    temps = "".join(f"    {kind}_temp_path {directory / kind};\n" for kind in TEMPS)
    return (f"daemon off;\nuser root;\nworker_processes 1;\npid {directory / 'nginx.pid'};\n"
            f"error_log {directory / 'error.log'} notice;\nevents {{ worker_connections 256; }}\n"
            f"http {{\n    access_log {directory / 'access.log'};\n{temps}{body}\n}}\n")


class Cdn:
    def __init__(self, server: Server, directory: Path) -> None:
        if not os.access(NGINX, os.X_OK):
            pytest.fail(f"{NGINX} is missing: apt-get install nginx-light (.ci/run installs it)", pytrace=False)
        self.port = free_port()
        self.directory = directory
        conf = directory / "nginx.conf"
        conf.write_text(nginx_conf(directory, {
            "S3GATE_WEBSITE": f"127.0.0.1:{server.website_port}", "S3GATE_API": f"127.0.0.1:{server.port}",
            "CDN_PORT": f"127.0.0.1:{self.port}", "CDN_CACHE_DIR": str(directory / "cache")}))
        self.proc = subprocess.Popen([NGINX, "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(self.url("/"), timeout=1)
                return
            except httpx.TransportError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start:\n" + (directory / "error.log").read_text()) from None
                time.sleep(0.05)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str, **headers: str) -> httpx.Response:
        return httpx.get(self.url(path), headers=headers, timeout=30)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGQUIT)  # graceful: the workers finish, then the master exits
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def cdn(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cdn]:
    running = Cdn(server, tmp_path_factory.mktemp("cdn"))
    yield running
    running.stop()


def status(response: httpx.Response) -> str:
    return response.headers.get("x-cache-status", "")


def test_a_second_get_of_an_image_is_a_cache_hit(s3, bucket, cdn):
    public_read(s3, bucket, "img/")
    website(s3, bucket)
    image = png(32, 32)
    s3.put_object(Bucket=bucket, Key="img/cat.png", Body=image, ContentType="image/png",
                  CacheControl="public, max-age=3600")
    first, second = cdn.get(f"/{bucket}/img/cat.png"), cdn.get(f"/{bucket}/img/cat.png")
    assert (first.status_code, status(first)) == (200, "MISS")
    assert (second.status_code, status(second), second.content) == (200, "HIT", image)
    assert second.headers["etag"] == first.headers["etag"] and second.headers["content-type"] == "image/png"
    again = cdn.get(f"/{bucket}/img/cat.png", **{"If-None-Match": first.headers["etag"]})
    assert (again.status_code, status(again)) == (304, "HIT")  # the client's revalidation, answered by the CDN
    part = cdn.get(f"/{bucket}/img/cat.png", Range="bytes=0-7")
    assert (part.status_code, part.content, status(part)) == (206, image[:8], "HIT")
    busted = cdn.get(f"/{bucket}/img/cat.png?v=2")  # the query is part of the cache key
    assert status(busted) == "MISS" and busted.content == image


def test_an_overwrite_is_seen_after_the_max_age(s3, bucket, cdn):
    public_read(s3, bucket)
    website(s3, bucket)
    s3.put_object(Bucket=bucket, Key="a.png", Body=b"old", ContentType="image/png", CacheControl="max-age=2")
    s3.put_object(Bucket=bucket, Key="b.png", Body=b"same", ContentType="image/png", CacheControl="max-age=2")
    for key in ("a.png", "b.png"):
        assert status(cdn.get(f"/{bucket}/{key}")) == "MISS"
    s3.put_object(Bucket=bucket, Key="a.png", Body=b"new", ContentType="image/png", CacheControl="max-age=2")
    cached = cdn.get(f"/{bucket}/a.png")
    assert (status(cached), cached.content) == ("HIT", b"old")  # still fresh: the CDN does not ask
    time.sleep(3.1)  # nginx counts whole seconds: stored in second s with max-age=2, it is stale from s + 3
    fresh = cdn.get(f"/{bucket}/a.png")
    assert (status(fresh), fresh.content) == ("EXPIRED", b"new")  # revalidated: a new ETag, a new body
    kept = cdn.get(f"/{bucket}/b.png")
    assert (status(kept), kept.content) == ("REVALIDATED", b"same")  # 304 from s3gate: the entry is kept
    assert status(cdn.get(f"/{bucket}/a.png")) == "HIT"


def test_private_objects_are_never_cached_and_presigned_urls_bypass(s3, bucket, cdn):
    public_read(s3, bucket, "public/")
    website(s3, bucket)
    s3.put_object(Bucket=bucket, Key="private/me.png", Body=b"private bytes", ContentType="image/png",
                  CacheControl="public, max-age=3600")
    for _ in range(2):
        denied = cdn.get(f"/{bucket}/private/me.png")
        assert denied.status_code == 403 and b"private bytes" not in denied.content
        assert status(denied) == "MISS"
    # A URL presigned for the CDN's own address: the S3 API checks the signature, nothing is stored.
    presigned = make_client(cdn.url(""), signature_version="s3v4").generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "private/me.png"})
    for _ in range(2):
        served = httpx.get(presigned, timeout=30)
        assert (served.status_code, served.content, status(served)) == (200, b"private bytes", "BYPASS")
    tampered = httpx.get(presigned.replace("Signature=", "Signature=0"), timeout=30)
    assert tampered.status_code == 403 and status(tampered) == "BYPASS"
    after = cdn.get(f"/{bucket}/private/me.png")
    assert after.status_code == 403 and b"private bytes" not in after.content
