"""The WebsiteConfiguration document (golden files both ways) and the website's pure routing: which rule
applies, where a redirect points, which bucket a Host names."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.website import routing
from gateway.website.hosts import custom_domain
from gateway.wire import xml
from gateway.wire.documents.website import (
    ROOT,
    Redirect,
    RoutingRule,
    WebsiteConfiguration,
    parse_website,
    render_website,
)

GOLDEN = Path(__file__).parent / "golden"
SITE = WebsiteConfiguration("index.html", "errors/4xx.html", None, (
    RoutingRule(Redirect(replace_key_prefix_with="documents/"), "docs/"),
    RoutingRule(Redirect("example.com", "302", "https", replace_key_with="a&b <c>.html"), None, "404"),
    RoutingRule(Redirect(protocol="http"), "img/", "403"),
    RoutingRule(Redirect("elsewhere.example")),
))
EVERYTHING = WebsiteConfiguration(redirect_all=Redirect("www.example.com", protocol="https"))


@pytest.mark.parametrize(("name", "config"), [("website-configuration.xml", SITE),
                                              ("website-redirect-all.xml", EVERYTHING)])
def test_golden_both_ways(name: str, config: WebsiteConfiguration) -> None:
    golden = (GOLDEN / name).read_bytes()
    assert xml.render(render_website(config)) == golden
    assert parse_website(xml.parse(golden, ROOT)) == config


def test_rules_apply_in_order_before_or_after_the_read() -> None:
    rules = SITE.rules
    assert routing.matching_rule(rules, "docs/a.html", None) is rules[0]
    assert routing.matching_rule(rules, "other", None) is rules[3]  # no condition: every request
    assert routing.matching_rule(rules, "docs/a.html", 404) is rules[1]  # error rules only after an error
    assert routing.matching_rule(rules, "img/x.png", 403) is rules[2]
    assert routing.matching_rule(rules, "x.png", 403) is None
    assert routing.matching_rule(rules, "x.png", 500) is None


def test_locations() -> None:
    here = {"scheme": "http", "host": "site.example:8080", "base": ""}
    assert routing.location(SITE.rules[0].redirect, "docs/a b.html", "docs/", **here) == \
        "http://site.example:8080/documents/a%20b.html"
    assert routing.location(SITE.rules[1].redirect, "docs/x", None, **here) == \
        "https://example.com/a&b%20%3Cc%3E.html"
    assert routing.location(SITE.rules[0].redirect, "docs/x", "docs/", scheme="https", host="127.0.0.1:8080",
                            base="/bucket") == "https://127.0.0.1:8080/bucket/documents/x"
    assert routing.location(Redirect(replace_key_prefix_with="/new/"), "old/x", "old/", **here) == \
        "http://site.example:8080/new/x"
    assert routing.status_of(SITE.rules[1].redirect) == 302 and routing.status_of(SITE.rules[0].redirect) == 301
    assert routing.index_key("", "index.html") == "index.html"
    assert routing.index_key("a/", "index.html") == "a/index.html"
    assert routing.index_key("a", "index.html") == "a"


@pytest.mark.parametrize(("host", "custom"), [
    ("images.example.com", True), ("site.s3-website.localhost", False), ("s3-website.localhost", False),
    ("localhost", False), ("127.0.0.1", False), ("[::1]", False), ("myhost", False)])
def test_which_hosts_name_a_bucket_themselves(host: str, custom: bool) -> None:
    assert custom_domain(host, "s3-website.localhost") is custom
