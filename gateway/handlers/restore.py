"""RestoreObject: a temporary readable copy of a GLACIER / DEEP_ARCHIVE object."""

from __future__ import annotations

from gateway import params
from gateway.context import Context
from gateway.responses import Response
from gateway.wire import xml
from gateway.wire.errors import Code, S3Error


async def restore_object(ctx: Context) -> Response:
    doc = await ctx.read_xml("RestoreRequest")
    raw_days = xml.text(doc, "Days")
    try:
        days = int(raw_days) if raw_days is not None else 0
    except ValueError:
        raise S3Error(Code.MalformedXML) from None
    if days < 1:
        raise S3Error(Code.InvalidArgument, "Days must be a positive integer for restore requests.",
                      ArgumentName="Days")
    job = xml.child(doc, "GlacierJobParameters")
    tier = xml.text(job, "Tier") if job is not None else None
    if tier is not None and tier not in ("Expedited", "Standard", "Bulk"):
        raise S3Error(Code.MalformedXML)
    started = await ctx.backend.restore_object(ctx.bucket, ctx.key, version_id=params.version_id(ctx.req),
                                               days=days)
    return Response(202 if started else 200)
