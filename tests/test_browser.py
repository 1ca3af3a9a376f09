"""A real headless Chromium on another origin uploads with a presigned POST form and with fetch PUT.

Debian's ``chromium`` driven by Playwright (no browser download: ``executable_path``). The page
is served from a second local server, so every request to s3gate is cross-origin and needs the
bucket's CORS rules, exactly as in production.
"""

from __future__ import annotations

import hashlib
import html
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.harness.assertions import assert_same_bytes
from tests.harness.files import png
from tests.harness.website import public_read, website

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class PageServer:
    """Serves whatever HTML a test sets at ``/``, and a ``/done`` page for POST redirects."""

    def __init__(self) -> None:
        self.page = "<html><body>empty</body></html>"
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                body = (owner.page if self.path == "/" else f"<p id=done>{html.escape(self.path)}</p>").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def page_server() -> Iterator[PageServer]:
    srv = PageServer()
    yield srv
    srv.httpd.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def allow_origin(s3, bucket: str, origin: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": [origin], "AllowedMethods": ["GET", "PUT", "POST", "HEAD"], "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 60}]})


def test_presigned_post_form_from_a_browser(s3, s3v4, bucket, page_server, browser):
    presigned = s3v4.generate_presigned_post(
        bucket, "browser/${filename}", Fields={"success_action_redirect": f"{page_server.origin}/done"},
        Conditions=[{"success_action_redirect": f"{page_server.origin}/done"}, ["content-length-range", 1, 10_000_000]])
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in presigned["fields"].items())
    page_server.page = (f'<html><body><form action="{presigned["url"]}" method="post" enctype="multipart/form-data">'
                        f'{inputs}<input type="file" name="file"><button id="send" type="submit">Upload</button>'
                        "</form></body></html>")
    photo = bytes(range(256)) * 4000  # ~1 MB of binary
    page = browser.new_page()
    try:
        page.goto(page_server.origin + "/")
        page.set_input_files("input[type=file]", files=[{"name": "cat.jpg", "mimeType": "image/jpeg",
                                                         "buffer": photo}])
        page.click("#send")
        page.wait_for_url(f"{page_server.origin}/done**")
        assert "key=browser%2Fcat.jpg" in page.url or "key=browser/cat.jpg" in page.url
        assert hashlib.md5(photo).hexdigest() in page.url
    finally:
        page.close()
    assert_same_bytes(s3.get_object(Bucket=bucket, Key="browser/cat.jpg")["Body"].read(), photo)


def test_fetch_put_to_presigned_url_and_read_back(s3, s3v4, bucket, page_server, browser):
    allow_origin(s3, bucket, page_server.origin)
    put_url = s3v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "fetched.txt"})
    get_url = s3v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "fetched.txt"})
    page_server.page = "<html><body>fetch test</body></html>"
    page = browser.new_page()
    try:
        page.goto(page_server.origin + "/")
        result = page.evaluate("""async ([putUrl, getUrl]) => {
            const put = await fetch(putUrl, {method: 'PUT', body: 'hello from chromium',
                                             headers: {'Content-Type': 'text/plain'}});
            const get = await fetch(getUrl);
            return {put: put.status, etag: put.headers.get('ETag'), get: get.status, text: await get.text()};
        }""", [put_url, get_url])
    finally:
        page.close()
    assert result["put"] == 200 and result["get"] == 200
    assert result["text"] == "hello from chromium"
    assert result["etag"] == f'"{hashlib.md5(b"hello from chromium").hexdigest()}"'


def test_fetch_is_blocked_without_a_cors_rule(s3, s3v4, page_server, browser):
    s3.create_bucket(Bucket="no-cors-here")
    put_url = s3v4.generate_presigned_url("put_object", Params={"Bucket": "no-cors-here", "Key": "x"})
    page_server.page = "<html><body>blocked test</body></html>"
    page = browser.new_page()
    try:
        page.goto(page_server.origin + "/")
        outcome = page.evaluate("""async (url) => {
            try { await fetch(url, {method: 'PUT', body: 'x'}); return 'allowed'; }
            catch (e) { return 'blocked'; }
        }""", put_url)
    finally:
        page.close()
    assert outcome == "blocked"


def test_a_static_site_renders_from_the_website_endpoint(s3, server, bucket, browser):
    """index.html, two images and a stylesheet, all from the bucket, fetched by the page itself through
    ``BUCKET.s3-website.localhost`` (Chromium resolves *.localhost to the loopback): nothing but the site."""
    public_read(s3, bucket, "public/")
    website(s3, bucket)
    page_html = (b'<html><head><link rel="stylesheet" href="css/site.css"></head><body><h1>Photos</h1>'
                 b'<img id="wide" src="img/wide.png"><img id="tall" src="/public/img/tall.png"></body></html>')
    for key, body, kind in (("public/index.html", page_html, "text/html"),
                            ("public/css/site.css", b"h1 { color: rgb(10, 20, 30); margin-left: 17px; }", "text/css"),
                            ("public/img/wide.png", png(48, 16), "image/png"),
                            ("public/img/tall.png", png(8, 40, (0, 0, 255)), "image/png")):
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=kind, CacheControl="max-age=60")
    page = browser.new_page()
    try:
        response = page.goto(f"http://{bucket}.s3-website.localhost:{server.website_port}/public")  # -> public/
        assert response is not None and response.status == 200 and response.url.endswith("/public/")
        page.wait_for_load_state("load")
        rendered = page.evaluate("""() => {
            const size = (id) => { const i = document.getElementById(id);
                                   return [i.complete, i.naturalWidth, i.naturalHeight]; };
            const h1 = getComputedStyle(document.querySelector('h1'));
            return {wide: size('wide'), tall: size('tall'), color: h1.color, margin: h1.marginLeft};
        }""")
    finally:
        page.close()
    assert rendered == {"wide": [True, 48, 16], "tall": [True, 8, 40], "color": "rgb(10, 20, 30)", "margin": "17px"}
