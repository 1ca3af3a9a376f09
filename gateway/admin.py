"""s3gate's own endpoints under ``/_s3gate/admin/``: signed like S3 requests, the default account's root only."""

from __future__ import annotations

import json

from gateway.context import Context
from gateway.responses import Response
from gateway.wire.errors import Code, S3Error


def _require_root(ctx: Context) -> None:
    if not ctx.directory.is_default_root(ctx.identity):
        raise S3Error(Code.AccessDenied, "The admin endpoint needs the root credentials.")


async def run_lifecycle(ctx: Context) -> Response:
    """``POST /_s3gate/admin/lifecycle?advance-days=N``: move the lifecycle clock, then apply all rules now.

    Root credentials only (SigV4, like any S3 request). Answers JSON: the clock and what the pass did.
    """
    _require_root(ctx)
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


DEAD_LETTERS_SHOWN = 100


async def notifications(ctx: Context) -> Response:
    """``GET /_s3gate/admin/notifications``: per target, the events pending (oldest first, with the last
    error while it fails) and the dead letters; then the newest dead letters with their last error."""
    _require_root(ctx)
    from gateway.events.messages import iso_time
    from gateway.events.targets import redacted_url

    outbox = ctx.backend.outbox
    if outbox is None:
        raise S3Error(Code.NotImplemented, "Event notifications need --backend local.")
    declared = dict(ctx.settings.notify_targets)
    urls = {t.name: t.url for t in await outbox.topics()} | declared  # runtime topics (SNS CreateTopic), declared
    counts = {c.target: c for c in await outbox.counts()}
    targets = []
    for name in sorted(set(urls) | set(counts)):
        c = counts.get(name)
        targets.append({
            "name": name, "url": redacted_url(urls[name]) if name in urls else None,
            "declared": name in declared, "pending": c.pending if c else 0,
            "oldest_pending": iso_time(c.oldest_ms) if c and c.oldest_ms is not None else None,
            "last_error": c.last_error if c else None,
            "dead_letters": {"total": c.dead if c else 0, "max_age": c.dead_max_age if c else 0,
                             "max_queue": c.dead_max_queue if c else 0},
        })
    dead = [{"id": e.id, "target": e.target, "event_name": e.event_name, "bucket": e.bucket, "key": e.key,
             "event_time": iso_time(e.event_ms), "attempts": e.attempts, "last_error": e.last_error,
             "reason": reason, "moved": iso_time(moved)}
            for e, reason, moved in await outbox.dead_letters(DEAD_LETTERS_SHOWN)]
    document = {"targets": targets, "dead_letters": dead}
    return Response(200, {"content-type": "application/json"}, json.dumps(document, indent=1).encode())


async def usage(ctx: Context) -> Response:
    """``GET /_s3gate/admin/usage``: the usage accounting as JSON (``gateway.observe.usage_report``); what this
    and the other workers counted in their last interval (``--flush-interval``) is not in it yet."""
    _require_root(ctx)
    from gateway.observe.usage_report import usage_document

    document = usage_document(await ctx.backend.usage())
    return Response(200, {"content-type": "application/json"}, json.dumps(document, indent=1).encode())
