"""Which bucket a website request names: ``BUCKET.<website domain>``, a Host that is itself a bucket's name
(a custom domain, ``images.example.com``, as on AWS), or, for local use, ``/BUCKET/key`` on an address,
a dotless host (``localhost``) or the website domain itself."""

from __future__ import annotations

import ipaddress
from typing import Any

from gateway.request import S3Request, decode_path, parse_request, split_host, validate_key


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def custom_domain(host: str, domain: str) -> bool:
    """A Host naming the bucket itself (neither the website domain, an address, nor a dotless name)."""
    return "." in host and host != domain and not host.endswith("." + domain) and not _is_address(host)


def site_request(scope: dict[str, Any], domain: str, request_id: str) -> S3Request:
    """The request with its bucket and key; the query string is dropped (the website endpoint ignores it:
    ``?v=2`` busts a cache, never selects a version or sub-resource)."""
    req = parse_request(scope, (domain,), request_id)
    host = split_host(req.host)
    if not req.virtual_host and custom_domain(host, domain):
        key = decode_path(req.raw_path)[1:]
        if key:
            validate_key(key)
        req.bucket, req.key, req.virtual_host = host, key or None, True
    req.query = {}
    return req
