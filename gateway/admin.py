"""s3gate's own endpoints under ``/_s3gate/admin/``: signed like S3 requests, the default account's root only."""

from __future__ import annotations

import json

from gateway.context import Context
from gateway.responses import Response
from gateway.wire.errors import Code, S3Error


async def run_lifecycle(ctx: Context) -> Response:
    """``POST /_s3gate/admin/lifecycle?advance-days=N``: move the lifecycle clock, then apply all rules now.

    Root credentials only (SigV4, like any S3 request). Answers JSON: the clock and what the pass did.
    """
    if not ctx.directory.is_default_root(ctx.identity):
        raise S3Error(Code.AccessDenied, "The admin endpoint needs the root credentials.")
    raw = ctx.req.query.get("advance-days", "0")
    try:
        days = float(raw)
    except ValueError:
        raise S3Error(Code.InvalidArgument, "advance-days must be a number", ArgumentName="advance-days",
                      ArgumentValue=raw) from None
    if days < 0:
        raise S3Error(Code.InvalidArgument, "The lifecycle clock only moves forward.", ArgumentName="advance-days")
    report = await ctx.backend.run_lifecycle(advance_days=days)
    return Response(200, {"content-type": "application/json"}, json.dumps(report).encode())
