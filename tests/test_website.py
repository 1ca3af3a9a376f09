"""The website endpoint (``--website-port``) driven like a browser: index and error documents, redirects,
HTML errors, the three addressing styles, and the access rules of anonymous REST reads (denials proven).

The session server runs with a website port; each test makes its own bucket public as it needs.
"""

from __future__ import annotations

import httpx
import pytest

from tests.harness.awscli import aws_cli
from tests.harness.clients import unique_bucket_name
from tests.harness.rawhttp import sign_v4, signed
from tests.harness.servers import LOCAL
from tests.harness.website import get, public_read, website

DOMAIN = "s3-website.localhost"
MOTO_MISSING = "moto answers an anonymous read of a missing key 404 without s3:ListBucket (S3: 403)"


@pytest.fixture
def site(s3, bucket):  # type: ignore[no-untyped-def]
    """A website whose public/ prefix anyone may read; secret.txt stays private."""
    public_read(s3, bucket, "public/")
    website(s3, bucket)
    for key, body in (("public/index.html", b"<h1>home</h1>"), ("public/docs/index.html", b"<h1>docs</h1>"),
                      ("public/page.html", b"<p>page</p>"), ("secret.txt", b"secret")):
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/html")
    return bucket


def test_index_documents_and_folder_redirects(server, site):
    home = get(server, site, "/public/")
    assert home.status_code == 200 and home.text == "<h1>home</h1>"
    assert home.headers["content-type"] == "text/html"
    assert get(server, site, "/public/docs/").text == "<h1>docs</h1>"
    folder = get(server, site, "/public/docs")  # a key that does not exist, but its folder has an index
    assert folder.status_code == 302 and folder.headers["location"] == f"/{site}/public/docs/"
    root = get(server, site, "")  # path style: /BUCKET goes to /BUCKET/ so relative links resolve
    assert root.status_code == 302 and root.headers["location"] == f"/{site}/"
    assert get(server, site, "/public/page.html").text == "<p>page</p>"
    assert get(server, site, "/public/page.html?v=2&versionId=x").text == "<p>page</p>"  # the query is ignored


def test_buckets_are_chosen_by_host(s3, server):
    custom = unique_bucket_name("site") + ".example.test"  # a custom domain: the bucket is named like the host
    for name in (custom, unique_bucket_name("vh")):
        s3.create_bucket(Bucket=name)
        public_read(s3, name)
        website(s3, name)
        s3.put_object(Bucket=name, Key="index.html", Body=name.encode(), ContentType="text/html")
        s3.put_object(Bucket=name, Key="a/index.html", Body=b"a", ContentType="text/html")
    vhost = f"{name}.{DOMAIN}:{server.website_port}"
    assert get(server, name, "/", host=vhost).text == name
    assert get(server, name, "", host=vhost).text == name  # the root's slash is optional
    moved = get(server, name, "/a", host=vhost)
    assert moved.status_code == 302 and moved.headers["location"] == "/a/"
    assert get(server, custom, "/", host=custom).text == custom
    assert get(server, custom, "/", host=f"{custom}:{server.website_port}").text == custom
    missing = get(server, "x", "/", host=f"no-such-bucket-here.{DOMAIN}")
    assert missing.status_code == 404 and "<li>Code: NoSuchBucket</li>" in missing.text
    assert "<li>BucketName: no-such-bucket-here</li>" in missing.text


def test_errors_are_html_pages(s3, server, bucket):
    nothing = get(server, bucket, "/x")
    assert nothing.status_code == 404 and nothing.headers["content-type"] == "text/html; charset=utf-8"
    text = nothing.text
    assert text.startswith("<html>\n<head><title>404 Not Found</title></head>")
    assert "<li>Code: NoSuchWebsiteConfiguration</li>" in text and f"<li>BucketName: {bucket}</li>" in text
    assert f"<li>RequestId: {nothing.headers['x-amz-request-id']}</li>" in text and "<li>HostId: " in text
    assert nothing.headers["x-amz-error-code"] == "NoSuchWebsiteConfiguration"
    assert "<Error>" not in text
    head = get(server, bucket, "/x", method="HEAD")
    assert head.status_code == 404 and head.content == b"" and head.headers["content-length"] == str(len(text))


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE", "OPTIONS", "PATCH"])
def test_only_get_and_head(server, site, method):
    response = get(server, site, "/public/page.html", method=method)
    assert response.status_code == 405
    assert "<li>Code: MethodNotAllowed</li>" in response.text and f"<li>Method: {method}</li>" in response.text
    assert get(server, site, "/public/page.html").text == "<p>page</p>"  # nothing was changed


@pytest.mark.differs("upstream-moto", reason=MOTO_MISSING)
def test_a_website_serves_only_what_anonymous_rest_reads_may(s3, server, site):
    """For each key, the website answers 200 exactly when an anonymous REST GetObject does."""
    s3.put_object(Bucket=site, Key="public/hidden.html", Body=b"hidden")
    policy = s3.get_bucket_policy(Bucket=site)["Policy"]
    s3.put_bucket_policy(Bucket=site, Policy=policy.replace(
        "]", ',{"Effect":"Deny","Principal":"*","Action":"s3:GetObject",'
             f'"Resource":"arn:aws:s3:::{site}/public/hidden.html"}}]'))
    for key, want in (("public/page.html", 200), ("secret.txt", 403), ("public/hidden.html", 403),
                      ("public/missing.html", 403)):
        rest = httpx.get(f"{server.endpoint}/{site}/{key}")
        page = get(server, site, f"/{key}")
        assert (rest.status_code, page.status_code) == (want, want), key
        if want == 403:
            assert "<li>Code: AccessDenied</li>" in page.text and b"secret" not in page.content
    # Credentials are not the website's business: a request signed by the owner is still anonymous there.
    url = f"{server.website}/{site}/secret.txt"
    assert httpx.get(url, headers=sign_v4("GET", url)).status_code == 403


@pytest.mark.differs("upstream-moto", reason="moto does not apply RestrictPublicBuckets to anonymous reads")
def test_block_public_access_closes_the_website(s3, server, site):
    assert get(server, site, "/public/page.html").status_code == 200
    s3.put_public_access_block(Bucket=site, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": True})
    closed = get(server, site, "/public/page.html")
    assert closed.status_code == 403 and b"page" not in closed.content
    assert httpx.get(f"{server.endpoint}/{site}/public/page.html").status_code == 403


def test_error_document(s3, server, bucket):
    public_read(s3, bucket, listable=True)
    website(s3, bucket, IndexDocument={"Suffix": "index.html"}, ErrorDocument={"Key": "404.html"})
    missing = get(server, bucket, "/nope.html")
    assert missing.status_code == 404
    assert "<li>Code: NoSuchKey</li>" in missing.text and "<li>Key: nope.html</li>" in missing.text
    assert "An Error Occurred While Attempting to Retrieve a Custom Error Document" in missing.text
    assert "<li>Key: 404.html</li>" in missing.text
    s3.put_object(Bucket=bucket, Key="404.html", Body=b"<p>lost</p>", ContentType="text/html",
                  CacheControl="max-age=600")
    lost = get(server, bucket, "/nope.html")
    assert (lost.status_code, lost.text, lost.headers["content-type"]) == (404, "<p>lost</p>", "text/html")
    assert "etag" not in lost.headers and "cache-control" not in lost.headers  # the document's, not the error's
    assert get(server, bucket, "/nope.html", headers={"Range": "bytes=0-1"}).text == "<p>lost</p>"


@pytest.mark.differs("upstream-moto", reason=MOTO_MISSING)
def test_error_document_for_private_content(s3, server, site):
    website(s3, site, IndexDocument={"Suffix": "index.html"}, ErrorDocument={"Key": "public/error.html"})
    s3.put_object(Bucket=site, Key="public/error.html", Body=b"<p>sorry</p>", ContentType="text/html")
    denied = get(server, site, "/secret.txt")
    assert (denied.status_code, denied.text) == (403, "<p>sorry</p>")
    website(s3, site, IndexDocument={"Suffix": "index.html"}, ErrorDocument={"Key": "secret.txt"})
    both = get(server, site, "/nothing")  # the error document is read as anonymously as any page
    assert both.status_code == 403 and b"secret" not in both.content
    assert both.text.count("<li>Code: AccessDenied</li>") == 2


def test_routing_rules(s3, server, bucket):
    public_read(s3, bucket, listable=True)
    website(s3, bucket, IndexDocument={"Suffix": "index.html"}, RoutingRules=[
        {"Condition": {"KeyPrefixEquals": "docs/"}, "Redirect": {"ReplaceKeyPrefixWith": "documents/"}},
        {"Condition": {"KeyPrefixEquals": "old.html"},
         "Redirect": {"ReplaceKeyWith": "new.html", "HttpRedirectCode": "302"}},
        {"Condition": {"HttpErrorCodeReturnedEquals": "404", "KeyPrefixEquals": "img/"},
         "Redirect": {"HostName": "images.example.com", "Protocol": "https", "ReplaceKeyPrefixWith": "thumbs/"}},
    ])
    s3.put_object(Bucket=bucket, Key="img/here.png", Body=b"png")
    docs = get(server, bucket, "/docs/a b.html")
    assert docs.status_code == 301
    assert docs.headers["location"] == f"http://127.0.0.1:{server.website_port}/{bucket}/documents/a%20b.html"
    vhost = f"{bucket}.{DOMAIN}:{server.website_port}"
    assert get(server, bucket, "/docs/x", host=vhost).headers["location"] == f"http://{vhost}/documents/x"
    old = get(server, bucket, "/old.html")
    assert old.status_code == 302 and old.headers["location"].endswith(f"/{bucket}/new.html")
    assert get(server, bucket, "/img/here.png").content == b"png"  # the error rule waits for an error
    gone = get(server, bucket, "/img/gone.png")
    assert gone.status_code == 301 and gone.headers["location"] == "https://images.example.com/thumbs/gone.png"
    assert get(server, bucket, "/other.png").status_code == 404


def test_redirect_all_requests(s3, server, bucket):
    website(s3, bucket, RedirectAllRequestsTo={"HostName": "www.example.com", "Protocol": "https"})
    moved = get(server, bucket, "/a/b.html")
    assert moved.status_code == 301 and moved.headers["location"] == "https://www.example.com/a/b.html"


def test_object_redirect_locations(s3, server, site):
    s3.put_object(Bucket=site, Key="public/moved.html", Body=b"", WebsiteRedirectLocation="/public/page.html")
    s3.put_object(Bucket=site, Key="public/away.html", Body=b"", WebsiteRedirectLocation="https://example.com/x")
    moved = get(server, site, "/public/moved.html")
    assert moved.status_code == 301 and moved.headers["location"] == f"/{site}/public/page.html"
    vhost = f"{site}.{DOMAIN}"
    assert get(server, site, "/public/moved.html", host=vhost).headers["location"] == "/public/page.html"
    assert get(server, site, "/public/away.html").headers["location"] == "https://example.com/x"
    rest = s3.head_object(Bucket=site, Key="public/moved.html")  # the REST endpoint serves the object
    assert rest["WebsiteRedirectLocation"] == "/public/page.html"
    bad = signed(server, "PUT", f"/{site}/public/bad.html", headers={"x-amz-website-redirect-location": "page"})
    assert bad.status_code == 400 and b"<Code>InvalidRedirectLocation</Code>" in bad.content


def test_the_readme_recipe_with_the_aws_cli(server, tmp_path):
    """README's Static website hosting commands, as written (the bucket name made unique)."""
    name = unique_bucket_name("photos")
    page = tmp_path / "index.html"
    page.write_text("<h1>my photos</h1>")
    policy = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",'
              f' "Resource": "arn:aws:s3:::{name}/public/*"}}]}}')
    for command in (["s3", "mb", f"s3://{name}"], ["s3", "website", f"s3://{name}", "--index-document", "index.html"],
                    ["s3api", "delete-public-access-block", "--bucket", name],
                    ["s3api", "put-bucket-policy", "--bucket", name, "--policy", policy],
                    ["s3", "cp", str(page), f"s3://{name}/public/index.html"]):
        done = aws_cli(server.endpoint, *command)
        assert done.returncode == 0, done.stderr
    opened = get(server, name, "/public/", host=f"{name}.{DOMAIN}:{server.website_port}")
    assert (opened.status_code, opened.text, opened.headers["content-type"]) == (200, "<h1>my photos</h1>",
                                                                                   "text/html")


@pytest.mark.backends(*LOCAL, reason="the supervisor's listeners are the same whatever the backend")
def test_workers_share_the_website_port(make_server):
    srv = make_server(website=True, args=["--workers", "2"]).start()
    s3 = srv.client()
    name = unique_bucket_name("w")
    s3.create_bucket(Bucket=name)
    public_read(s3, name)
    website(s3, name)
    s3.put_object(Bucket=name, Key="index.html", Body=b"both", ContentType="text/html")
    for _ in range(6):  # new connections: the kernel spreads them over the workers
        assert get(srv, name, "/").text == "both"
    rest = httpx.get(f"{srv.endpoint}/{name}/missing")  # the other listener is still the S3 API
    assert rest.status_code == 403 and rest.headers["content-type"] == "application/xml"
    assert "website:    http://127.0.0.1:" in srv.log()
