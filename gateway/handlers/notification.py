"""Put/GetBucketNotificationConfiguration: rules naming the targets declared with --notify-target, or topics
made at run time (``gateway.sns``).

A destination ARN must be of this gateway's region and account and name a declared target, or be the ARN
of a topic of the caller's account in a TopicConfiguration, else S3's answer for a destination it cannot
validate. Each destination new to the bucket gets
``s3:TestEvent``, queued in the same commit as the configuration (so it goes out like any event).
"""

from __future__ import annotations

from gateway.context import Context
from gateway.responses import Response, xml_response
from gateway.wire.documents.notification import ROOT, parse_notification, render_notification
from gateway.wire.errors import Code, S3Error
from gateway.wire.notification_rules import Configuration, arn_target


async def get_bucket_notification(ctx: Context) -> Response:
    await ctx.backend.get_bucket(ctx.bucket)
    outbox = ctx.backend.outbox
    config = await outbox.configuration(ctx.bucket) if outbox is not None else None
    return xml_response(render_notification(config or Configuration()))


async def put_bucket_notification(ctx: Context) -> Response:
    outbox = ctx.backend.outbox
    if outbox is None:
        raise S3Error(Code.NotImplemented, "Event notifications need --backend local: s3gate writes each event in "
                      "the same metadata transaction as its change.")
    config = parse_notification(await ctx.read_xml(ROOT))
    await ctx.backend.get_bucket(ctx.bucket)
    declared = {name for name, _ in ctx.settings.notify_targets}
    topics = {t.name for t in await outbox.topics() if t.account_id == ctx.identity.account_id} \
        if any(rule.kind == "topic" for rule in config.rules) else set()
    refused = {}
    for rule in config.rules:
        name = arn_target(rule.kind, rule.arn, ctx.settings.region, ctx.settings.account_id)
        topic = arn_target(rule.kind, rule.arn, ctx.settings.region, ctx.identity.account_id) \
            if rule.kind == "topic" else None
        if (name is None or name not in declared) and (topic is None or topic not in topics):
            refused[rule.arn] = ("The destination is not a target this gateway declares (--notify-target "
                                 "NAME=URL; its ARN's region and account are the gateway's) nor a topic of "
                                 "this account (CreateTopic).")
    if refused:
        arn, why = next(iter(refused.items()))
        raise S3Error(Code.InvalidArgument, "Unable to validate the following destination configurations",
                      ArgumentName=arn, ArgumentValue=why)
    before = await outbox.configuration(ctx.bucket)
    known = {r.target for r in before.rules} if before is not None else set()
    tests = []
    for rule in config.rules:
        if rule.target not in known:
            known.add(rule.target)
            tests.append((rule.target, rule.id))
    await outbox.configure(ctx.bucket, config if config.rules or config.event_bridge else None, tests)
    return Response(200)

