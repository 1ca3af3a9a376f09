"""A website's routing, as pure functions: the key a request reads, the rule that applies, and where a
redirect points (AWS: "Configuring a webpage redirect", "Configuring advanced conditional redirects")."""

from __future__ import annotations

from urllib.parse import quote

from gateway.wire.documents.website import Redirect, RoutingRule

DEFAULT_REDIRECT_CODE = 301
_PATH_SAFE = "/!$&'()*+,;=:@-._~"  # RFC 3986 pchar: what a Location path may carry unescaped


def index_key(key: str, suffix: str) -> str:
    """``/`` and ``dir/`` read the index document beneath them; any other key is read as it is."""
    return key + suffix if key == "" or key.endswith("/") else key


def matching_rule(rules: tuple[RoutingRule, ...], key: str, status: int | None) -> RoutingRule | None:
    """The first rule that applies: before the object is read (``status`` None), the rules without an error
    code condition; after an error, those naming its status. A ``KeyPrefixEquals`` must match either way."""
    wanted = None if status is None else str(status)
    for rule in rules:
        if rule.http_error_code_returned_equals != wanted:
            continue
        if rule.key_prefix_equals is None or key.startswith(rule.key_prefix_equals):
            return rule
    return None


def path(base: str, key: str) -> str:
    """A Location path for ``key`` below ``base`` (``/BUCKET`` for a path-style request, else empty)."""
    escaped = quote(key, safe=_PATH_SAFE)
    return f"{base}{escaped}" if escaped.startswith("/") else f"{base}/{escaped}"


def location(redirect: Redirect, key: str, matched_prefix: str | None, *, scheme: str, host: str,
             base: str) -> str:
    """Where ``redirect`` sends a request for ``key``: another key (whole, or its matched prefix replaced),
    host and protocol, each the request's own unless the redirect names it."""
    if redirect.replace_key_with is not None:
        target = redirect.replace_key_with
    elif redirect.replace_key_prefix_with is not None:
        target = redirect.replace_key_prefix_with + key[len(matched_prefix or ""):]
    else:
        target = key
    if redirect.host_name:
        host, base = redirect.host_name, ""
    return f"{redirect.protocol or scheme}://{host}{path(base, target)}"


def status_of(redirect: Redirect) -> int:
    return int(redirect.http_redirect_code) if redirect.http_redirect_code else DEFAULT_REDIRECT_CODE
