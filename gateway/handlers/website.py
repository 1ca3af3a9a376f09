"""PutBucketWebsite: the configuration checked as S3 checks it and stored in its canonical form (Get and
Delete are the stored-document rows). The website endpoint that serves it is ``gateway.website``."""

from __future__ import annotations

from gateway.context import Context
from gateway.responses import Response
from gateway.wire import xml
from gateway.wire.documents.website import ROOT, parse_website, render_website

WEBSITE_KIND = "website"


async def put_bucket_website(ctx: Context) -> Response:
    ctx.require_integrity_header()
    config = parse_website(await ctx.read_xml(ROOT))
    await ctx.backend.put_bucket_config(ctx.bucket, WEBSITE_KIND, xml.render(render_website(config)).decode("utf-8"))
    ctx.controls.forget(ctx.bucket)
    return Response(200)
