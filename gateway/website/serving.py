"""A website request answered from its bucket's WebsiteConfiguration.

In AWS's order: RedirectAllRequestsTo; routing rules without an error-code condition; the object (the
index document for ``/`` and ``dir/``; ``dir`` redirects to ``dir/`` when ``dir/index.html`` can be read;
``x-amz-website-redirect-location`` answers 301); on an error, the rules naming its status, then the
error document served with the error's status, else S3's HTML page. Each object read is authorized as an
anonymous REST GetObject of its key (Block Public Access included), and a missing key is 403 unless
anonymous callers may list the bucket, as on the REST endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from gateway import conditions, objectmeta, params
from gateway.context import Context
from gateway.handlers.website import WEBSITE_KIND
from gateway.responses import Response
from gateway.website import pages, routing
from gateway.wire import xml
from gateway.wire.documents.website import Redirect, WebsiteConfiguration, parse_website
from gateway.wire.errors import Code, S3Error
from gateway.wire.headers import content_range
from storage_backends.base import ObjectInfo

# What an error document keeps of its object's headers: its freshness and validators are not the error's.
ERROR_DOCUMENT_HEADERS = ("content-type", "content-language", "content-encoding", "content-disposition")
_NO_SUCH_KEY, _ACCESS_DENIED = Code.NoSuchKey.name, Code.AccessDenied.name


@lru_cache(maxsize=256)
def configuration(document: str) -> WebsiteConfiguration:
    """A stored (or upstream's) configuration, parsed once."""
    return parse_website(xml.parse(document.encode("utf-8")))


@dataclass(frozen=True, slots=True)
class Site:
    """Where this request's redirects point: its scheme and Host, and ``/BUCKET`` when it was path style."""

    scheme: str
    host: str
    base: str

    @classmethod
    def of(cls, ctx: Context) -> Site:
        req = ctx.req
        return cls(req.scope.get("scheme", "http"), req.host, "" if req.virtual_host else f"/{ctx.bucket}")

    def redirect(self, redirect: Redirect, key: str, matched_prefix: str | None = None) -> Response:
        url = routing.location(redirect, key, matched_prefix, scheme=self.scheme, host=self.host, base=self.base)
        return Response(routing.status_of(redirect), {"location": url})

    def to_key(self, status: int, key: str) -> Response:
        """To another key of this site (``dir/``; ``""``: the site's root)."""
        return Response(status, {"location": routing.path(self.base, key)})

    def to_location(self, location: str) -> Response:
        """An object's ``x-amz-website-redirect-location``: a path of this site, or a URL, as stored."""
        return Response(301, {"location": self.base + location if location.startswith("/") else location})


async def serve(ctx: Context) -> Response:
    """The website rows' handler: errors before the object is looked for (no bucket, no configuration)
    propagate to the door's HTML page; the object's own errors get the rules and the error document."""
    req = ctx.req
    if req.bucket is None:
        raise S3Error(Code.NoSuchBucket, BucketName="")
    document = await ctx.controls.config(req.bucket, WEBSITE_KIND)
    if document is None:
        raise S3Error(Code.NoSuchWebsiteConfiguration, BucketName=req.bucket)
    config, site, key = configuration(document), Site.of(ctx), req.key or ""
    if config.redirect_all is not None:
        return site.redirect(config.redirect_all, key)
    if not req.virtual_host and req.key is None and not req.raw_path.endswith("/"):
        return site.to_key(302, "")  # /BUCKET -> /BUCKET/, so that the index page's relative links resolve
    rule = routing.matching_rule(config.rules, key, None)
    if rule is not None:
        return site.redirect(rule.redirect, key, rule.key_prefix_equals)
    try:
        return await _page(ctx, site, config, key)
    except S3Error as err:
        if err.status < 400:  # 304 Not Modified
            raise
        return await _error(ctx, site, config, key, err)


async def _page(ctx: Context, site: Site, config: WebsiteConfiguration, key: str) -> Response:
    assert config.index_suffix is not None
    target = routing.index_key(key, config.index_suffix)
    try:
        return await fetch(ctx, site, target)
    except S3Error as err:
        folder_index = f"{key}/{config.index_suffix}"
        if target == key and err.code in (_NO_SUCH_KEY, _ACCESS_DENIED) and await _readable(ctx, folder_index):
            return site.to_key(302, f"{key}/")
        raise


async def _error(ctx: Context, site: Site, config: WebsiteConfiguration, key: str, err: S3Error) -> Response:
    rule = routing.matching_rule(config.rules, key, err.status)
    if rule is not None:
        return site.redirect(rule.redirect, key, rule.key_prefix_equals)
    if config.error_key is None or err.status >= 500:
        return pages.page(err, ctx.req.request_id)
    try:
        document = await fetch(ctx, site, config.error_key, conditional=False)
    except S3Error as document_error:
        return pages.page(err, ctx.req.request_id, document_error)
    document.status = err.status
    document.headers = {name: value for name, value in document.headers.items() if name in ERROR_DOCUMENT_HEADERS}
    document.error_code = err.code
    return document


async def _readable(ctx: Context, key: str) -> bool:
    """Whether an anonymous GetObject of ``key`` would succeed (opened and closed: a GET is what the
    browser sends next, and what an upstream judges as the anonymous read it is)."""
    try:
        await ctx.authorize_operation(key)
        stream = await ctx.backend.get_object(ctx.bucket, key, precondition=objectmeta.check_readable)
    except S3Error:
        return False
    await stream.aclose()
    return True


async def fetch(ctx: Context, site: Site, key: str, *, conditional: bool = True) -> Response:
    """The object at ``key`` (with the request's Range and conditions unless it is the error document)."""
    await ctx.authorize_operation(key)
    headers_in = ctx.req.headers if conditional else {}
    byte_range = params.byte_range(ctx.req) if conditional else None

    def precondition(info: ObjectInfo) -> None:
        objectmeta.check_readable(info)
        conditions.check_read(headers_in, info)

    try:
        stream = await ctx.backend.get_object(ctx.bucket, key, byte_range=byte_range, precondition=precondition)
    except S3Error as err:
        if err.code == _NO_SUCH_KEY and await ctx.gate.hides_missing_key(ctx):
            raise S3Error(Code.AccessDenied) from None
        raise
    info = stream.info
    redirect = info.content.get(objectmeta.WEBSITE_REDIRECT)
    if redirect and conditional:
        await stream.aclose()
        return site.to_location(redirect)
    headers = objectmeta.object_headers(info, with_checksum=False)
    status = 200
    if byte_range is not None:
        headers["content-range"] = content_range(stream.start, stream.end, info.size)
        status = 206
    return Response(status, headers, stream=stream, length=stream.end - stream.start + 1)
