"""RestoreObject: a temporary readable copy of a GLACIER / DEEP_ARCHIVE object."""

from __future__ import annotations

from gateway import params
from gateway.context import Context
from gateway.responses import Response
from gateway.wire.documents.restore import parse_restore_request


async def restore_object(ctx: Context) -> Response:
    request = parse_restore_request(await ctx.read_xml("RestoreRequest"))
    started = await ctx.backend.restore_object(ctx.bucket, ctx.key, version_id=params.version_id(ctx.req),
                                               days=request.days)
    return Response(202 if started else 200)
