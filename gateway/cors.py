"""Bucket CORS: the configuration document, rule matching, preflight, response headers.

Browsers send the preflight ``OPTIONS`` without credentials, so it is answered from the
bucket's rules before authentication. Requests that carry an ``Origin`` get the matching
rule's ``Access-Control-*`` headers on whatever the operation answered, errors included, so
the page can read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from gateway.context import Context
from gateway.responses import Response
from gateway.wire import xml
from gateway.wire.errors import Code, S3Error

if TYPE_CHECKING:
    from gateway.controls import ResourceControls

CONFIG_KIND = "cors"
METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
MAX_RULES = 100
VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str | None
    methods: tuple[str, ...]
    origins: tuple[str, ...]
    headers: tuple[str, ...]  # lower case
    expose: tuple[str, ...]
    max_age: int | None

    def allows_origin(self, origin: str) -> bool:
        return any(_wildcard(pattern, origin) for pattern in self.origins)

    def allows_headers(self, requested: list[str]) -> bool:
        return all(any(_wildcard(p, h) for p in self.headers) for h in requested)


def _wildcard(pattern: str, value: str) -> bool:
    """AWS patterns carry at most one ``*``, matching any run of characters."""
    if "*" not in pattern:
        return pattern == value
    head, _, tail = pattern.partition("*")
    return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)


def _one_wildcard(kind: str, values: list[str]) -> None:
    for value in values:
        if value.count("*") > 1:
            raise S3Error(Code.InvalidRequest, f'{kind} "{value}" can not have more than one wildcard.')


def parse_configuration(doc: xml.Element) -> list[Rule]:
    rules = []
    for el in xml.children(doc, "CORSRule"):
        methods = [c.text or "" for c in xml.children(el, "AllowedMethod")]
        origins = [c.text or "" for c in xml.children(el, "AllowedOrigin")]
        if not methods or not origins:
            raise S3Error(Code.MalformedXML)
        for method in methods:
            if method not in METHODS:
                raise S3Error(Code.InvalidRequest, "Found unsupported HTTP method in CORS config. "
                              f"Unsupported method is {method}")
        headers = [(c.text or "").strip().lower() for c in xml.children(el, "AllowedHeader")]
        _one_wildcard("AllowedOrigin", origins)
        _one_wildcard("AllowedHeader", headers)
        raw_age = xml.text(el, "MaxAgeSeconds")
        try:
            max_age = int(raw_age) if raw_age is not None else None
        except ValueError:
            raise S3Error(Code.MalformedXML) from None
        rules.append(Rule(xml.text(el, "ID"), tuple(methods), tuple(origins), tuple(headers),
                          tuple(c.text or "" for c in xml.children(el, "ExposeHeader")), max_age))
    if not rules:
        raise S3Error(Code.MalformedXML)
    if len(rules) > MAX_RULES:
        raise S3Error(Code.InvalidRequest, f"The number of CORS rules should not exceed allowed limit of "
                      f"{MAX_RULES} rules.")
    return rules


def render_configuration(rules: list[Rule]) -> bytes:
    root = xml.document("CORSConfiguration")
    for rule in rules:
        el = xml.sub(root, "CORSRule")
        xml.subs(el, [("ID", rule.id)])
        xml.subs(el, [("AllowedHeader", h) for h in rule.headers])
        xml.subs(el, [("AllowedMethod", m) for m in rule.methods])
        xml.subs(el, [("AllowedOrigin", o) for o in rule.origins])
        xml.subs(el, [("ExposeHeader", e) for e in rule.expose])
        xml.subs(el, [("MaxAgeSeconds", rule.max_age)])
    return xml.render(root)


@lru_cache(maxsize=256)
def rules_of(document: str) -> tuple[Rule, ...]:
    """Parsed rules of a stored document (documents are immutable, so the parse is cached)."""
    return tuple(parse_configuration(xml.parse(document.encode("utf-8"))))


def find_rule(rules: tuple[Rule, ...], origin: str, method: str, headers: list[str]) -> Rule | None:
    for rule in rules:
        if method in rule.methods and rule.allows_origin(origin) and rule.allows_headers(headers):
            return rule
    return None


def allow_headers(rule: Rule, origin: str) -> dict[str, str]:
    wildcard = "*" in rule.origins
    headers = {
        "access-control-allow-origin": "*" if wildcard else origin,
        "access-control-allow-methods": ", ".join(rule.methods),
        "vary": VARY,
    }
    if not wildcard:
        headers["access-control-allow-credentials"] = "true"
    if rule.expose:
        headers["access-control-expose-headers"] = ", ".join(rule.expose)
    if rule.max_age is not None:
        headers["access-control-max-age"] = str(rule.max_age)
    return headers


def _forbidden(message: str) -> S3Error:
    return S3Error(Code.AccessForbidden, f"CORSResponse: {message}")


async def preflight(ctx: Context) -> Response:
    """``OPTIONS`` from a browser: no credentials, answered from the bucket's rules alone."""
    origin = ctx.header("origin")
    method = ctx.header("access-control-request-method")
    if not origin:
        raise S3Error(Code.BadRequest, "Insufficient information. Origin request header needed.")
    if method not in METHODS:
        raise S3Error(Code.BadRequest, f"Invalid Access-Control-Request-Method: {method or 'null'}")
    try:
        document = await ctx.controls.config(ctx.bucket, CONFIG_KIND)
    except S3Error:
        raise _forbidden("Bucket not found") from None
    if not document:
        raise _forbidden("CORS is not enabled for this bucket.")
    rules = rules_of(document)
    requested = [h.strip().lower() for h in (ctx.header("access-control-request-headers") or "").split(",")
                 if h.strip()]
    rule = find_rule(rules, origin, method, requested)
    if rule is None:
        raise _forbidden("This CORS request is not allowed. This is usually because the evalution of Origin, "
                         "request method / Access-Control-Request-Method or Access-Control-Request-Headers are "
                         "not whitelisted by the resource's CORS spec.")
    headers = allow_headers(rule, origin)
    if requested:
        headers["access-control-allow-headers"] = ", ".join(requested)
    return Response(200, headers)


async def apply(controls: ResourceControls, bucket: str, origin: str | None, method: str,
                response: Response) -> None:
    """On every response of a bucket with CORS rules: ``Vary`` (a cache must not serve a response made for
    one Origin, or for none, to another); with an ``Origin``, the matching rule's headers (errors included)."""
    try:
        document = await controls.config(bucket, CONFIG_KIND)
    except S3Error:  # no such bucket: no rules
        return
    if not document:
        return
    response.headers["vary"] = VARY
    if origin:
        rule = find_rule(rules_of(document), origin, method, [])
        if rule is not None:
            response.headers.update(allow_headers(rule, origin))


# -- the ?cors sub-resource -----------------------------------------------------------------------
async def put_bucket_cors(ctx: Context) -> Response:
    ctx.require_integrity_header()
    rules = parse_configuration(await ctx.read_xml("CORSConfiguration"))
    await ctx.backend.put_bucket_config(ctx.bucket, CONFIG_KIND, render_configuration(rules).decode("utf-8"))
    ctx.controls.forget(ctx.bucket)
    return Response(200)
