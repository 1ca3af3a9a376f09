"""Serving objects to browsers and caches, on the REST endpoint and on the website endpoint alike:
revalidation (304 with the headers a cache needs), ranges, HEAD = GET, stored Cache-Control / Expires /
Content-Type served unchanged, ``Vary`` on every response of a bucket with CORS rules, and the default
Content-Type of an object uploaded without one."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.harness.rawhttp import signed
from tests.harness.website import get, public_read, website

EXPIRES = "Thu, 01 Dec 2033 16:00:00 GMT"
CORS = {"CORSRules": [{"AllowedOrigins": ["https://app.example"], "AllowedMethods": ["GET", "HEAD"]}]}
Fetch = Callable[..., httpx.Response]


@pytest.fixture(params=["rest", "website"])
def fetch(request, s3, server, bucket) -> Fetch:  # type: ignore[no-untyped-def]
    """GET/HEAD of a key of ``bucket``: signed on the REST endpoint, anonymous on the website endpoint."""
    if request.param == "website":
        public_read(s3, bucket)
        website(s3, bucket)
        return lambda key, method="GET", headers=None: get(server, bucket, f"/{key}", method=method, headers=headers)
    return lambda key, method="GET", headers=None: signed(server, method, f"/{bucket}/{key}", headers=headers)


FRESHNESS = ("etag", "last-modified", "cache-control", "expires")


def test_revalidation_answers_304_with_what_caches_need(s3, bucket, fetch):
    s3.put_object(Bucket=bucket, Key="cat.jpg", Body=b"\xff\xd8jpeg", ContentType="image/jpeg",
                  CacheControl="public, max-age=31536000, immutable", Expires=EXPIRES)
    full = fetch("cat.jpg")
    assert full.status_code == 200 and full.content == b"\xff\xd8jpeg"
    h = full.headers
    assert (h["content-type"], h["cache-control"]) == ("image/jpeg", "public, max-age=31536000, immutable")
    assert h["expires"] == EXPIRES
    for condition in ({"If-None-Match": h["etag"]}, {"If-Modified-Since": h["last-modified"]},
                      {"If-None-Match": f'"other", {h["etag"]}'}):
        for method in ("GET", "HEAD"):
            again = fetch("cat.jpg", method, condition)
            assert again.status_code == 304 and again.content == b"", condition
            assert {n: again.headers.get(n) for n in FRESHNESS} == {n: h[n] for n in FRESHNESS}
    assert fetch("cat.jpg", headers={"If-None-Match": '"stale"'}).status_code == 200


def test_ranges_and_head_match_get(s3, bucket, fetch):
    body = bytes(range(256)) * 40
    s3.put_object(Bucket=bucket, Key="big.bin", Body=body, ContentType="application/x-thing",
                  ContentDisposition="inline", Metadata={"who": "me"})
    part = fetch("big.bin", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == body[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(body)}"
    assert fetch("big.bin", headers={"Range": "bytes=-10"}).content == body[-10:]
    got, head = fetch("big.bin"), fetch("big.bin", "HEAD")
    assert head.status_code == 200 and head.content == b""
    ignore = {"date", "x-amz-request-id", "x-amz-id-2"}
    assert {k: v for k, v in head.headers.items() if k not in ignore} == \
        {k: v for k, v in got.headers.items() if k not in ignore}
    assert got.headers["accept-ranges"] == "bytes" and got.headers["x-amz-meta-who"] == "me"


def test_an_object_uploaded_without_a_content_type_is_binary_octet_stream(s3, server, bucket, fetch):
    """S3's default (PutObject: "binary/octet-stream"); type guessing is the client's business."""
    put = signed(server, "PUT", f"/{bucket}/photo.jpg", body=b"\xff\xd8")
    assert put.status_code == 200
    assert fetch("photo.jpg").headers["content-type"] == "binary/octet-stream"
    assert fetch("photo.jpg", "HEAD").headers["content-type"] == "binary/octet-stream"


def test_vary_on_every_response_of_a_bucket_with_cors(s3, bucket, fetch):
    s3.put_object(Bucket=bucket, Key="a.png", Body=b"png")
    assert "vary" not in fetch("a.png").headers  # no rules: nothing varies
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=CORS)
    plain = fetch("a.png")
    assert "access-control-allow-origin" not in plain.headers and "Origin" in plain.headers["vary"]
    browser = fetch("a.png", headers={"Origin": "https://app.example"})
    assert browser.headers["access-control-allow-origin"] == "https://app.example"
    assert browser.headers["vary"] == plain.headers["vary"]
    for response in (fetch("a.png", "HEAD"), fetch("a.png", headers={"If-None-Match": plain.headers["etag"]}),
                     fetch("missing.png"), fetch("a.png", headers={"Origin": "https://evil.example"})):
        assert "Origin" in response.headers["vary"], response.status_code
    s3.delete_bucket_cors(Bucket=bucket)
    assert "vary" not in fetch("a.png").headers
