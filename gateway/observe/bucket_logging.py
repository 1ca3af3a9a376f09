"""S3 server access logging's delivery: records of logged buckets become log objects in their target bucket.

The observer keeps, per request, only the records of buckets that log (or whose state it has not
read in the last minute); :meth:`BucketLogs.deliver` (every few seconds and at shutdown, ``gateway.observe.flusher``)
reads each bucket's configuration, drops what is not logged, and writes one object per source bucket
(per event day with PartitionedPrefix EventTime) through the backend, durable as any object. Each
worker delivers its own records. The writes are the log delivery service's
(``logging.s3.amazonaws.com``): the target bucket's policy or its LogDelivery ACL grant decides, as on
AWS, and they never pass the S3 door, so log objects are not themselves logged. Buffered records are
lost if the process is killed (AWS too delivers logs on a best-effort basis); a clean stop delivers them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

from gateway import encryption
from gateway.access.acl_permissions import group_allows
from gateway.access.evaluate import authorize_service
from gateway.controls import ResourceControls
from gateway.handlers.bucket_logging import LOGGING_KIND
from gateway.observe.record import RequestRecord
from gateway.observe.server_log import log_key, log_line
from gateway.payload import RequestBody, verified_stream
from gateway.wire import xml
from gateway.wire.documents.acl import EMAIL, LOG_DELIVERY, owner_full_control
from gateway.wire.documents.logging import EVENT_TIME, LoggingEnabled, parse_logging
from gateway.wire.errors import S3Error
from storage_backends.base import Backend, NewObject

log = logging.getLogger("s3gate")

SERVICE = "logging.s3.amazonaws.com"
MAX_BUFFERED = 100_000  # records held between deliveries; past it the newest are dropped (and counted)
MAX_KNOWN = 10_000  # buckets known not to log
OFF_TTL_S = 60.0  # how long "does not log" is believed where no change is told (another SQLite worker's)


class BucketLogs:
    """The observer (``__call__``, cheap) and the delivery (``deliver``) of one worker."""

    def __init__(self, backend: Backend, controls: ResourceControls, account_of: Callable[[str], str | None]) -> None:
        self.backend = backend
        self.controls = controls
        self.account_of = account_of
        self._off: dict[str, float] = {}  # bucket -> until when it is believed not to log (monotonic)
        self._buffer: list[RequestRecord] = []
        self.dropped = 0
        backend.on_change(self._changed)  # logging turned on through another gateway: believed at once

    def _changed(self, bucket: str | None) -> None:
        if bucket is None:
            self._off.clear()
        else:
            self._off.pop(bucket, None)

    def __call__(self, record: RequestRecord) -> None:
        bucket = record.bucket
        if bucket is None:
            return
        if record.operation == "PutBucketLogging":
            self._off.pop(bucket, None)  # read it again at the next delivery
        off_until = self._off.get(bucket)
        if off_until is not None and off_until > time.monotonic():
            return
        if len(self._buffer) >= MAX_BUFFERED:
            self.dropped += 1
            return
        self._buffer.append(record)

    async def deliver(self) -> None:
        """Write what is buffered; a bucket that no longer logs (or is gone) drops its records."""
        records, self._buffer = self._buffer, []
        if self.dropped:
            log.warning("%d server access log records dropped: more than %d waited for one delivery",
                        self.dropped, MAX_BUFFERED)
            self.dropped = 0
        by_bucket: dict[str, list[RequestRecord]] = {}
        for record in records:
            by_bucket.setdefault(record.bucket or "", []).append(record)
        if len(self._off) > MAX_KNOWN:
            self._off.clear()
        for bucket, batch in by_bucket.items():
            try:
                await self._deliver_bucket(bucket, batch)
            except Exception:  # noqa: BLE001 - delivery is best effort; the log says why
                log.exception("server access log delivery for bucket %s failed", bucket)

    async def _deliver_bucket(self, bucket: str, batch: list[RequestRecord]) -> None:
        config = await self._config(bucket)
        if config is None:
            return
        source = await self.backend.get_bucket(bucket)
        account = self.account_of(source.owner_id) or ""
        day_only = config.partitioned == EVENT_TIME
        groups: dict[str, list[RequestRecord]] = {}
        for record in batch:  # EventTime: one object per day of events
            day = time.strftime("%Y%m%d", time.gmtime(record.start)) if day_only else ""
            groups.setdefault(day, []).append(record)
        for records in groups.values():
            when = records[0].start if day_only else time.time()
            key = log_key(config.target_prefix, when, account=account, region=source.region, bucket=bucket,
                          partitioned=config.partitioned is not None, day_only=day_only)
            body = "".join(log_line(r, source.owner_id) + "\n" for r in records).encode()
            await self._put(config, key, body, account, bucket)

    async def _config(self, bucket: str) -> LoggingEnabled | None:
        try:
            document = await self.backend.get_bucket_config(bucket, LOGGING_KIND)
        except S3Error:  # the bucket is gone
            document = None
        config = parse_logging(xml.parse(document.encode())) if document else None
        if config is None:
            self._off[bucket] = time.monotonic() + OFF_TTL_S
        return config

    async def _put(self, config: LoggingEnabled, key: str, body: bytes, account: str, source: str) -> None:
        target = config.target_bucket
        access = await self.controls.bucket(target)
        decision = authorize_service(SERVICE, "s3:PutObject", f"arn:aws:s3:::{target}/{key}",
                                     {"aws:SourceAccount": account, "aws:SourceArn": f"arn:aws:s3:::{source}"},
                                     bucket_policy=access.policy,
                                     acl_allows=group_allows(access.effective_acl(), LOG_DELIVERY, "WRITE"))
        if not decision.allowed:
            log.warning("server access logs of %s not delivered: the log delivery service may not write to %s "
                        "(%s)", source, target, decision.reason)
            return
        grants = None
        if access.acls_enabled and config.grants:
            # Grants by e-mail are not resolved (S3 stopped accepting them in 2025): they grant nothing here.
            grants = (*owner_full_control(access.owner_id), *(g for g in config.grants if g.type != EMAIL))
        new = NewObject(owner_id=access.owner_id, content={"content-type": "text/plain"}, acl=grants)
        default = encryption.default_encryption(access.encryption)
        if default is not None:
            new = replace(new, encryption=default, encryption_default=True)
        await self.backend.put_object(target, key, _body(body), new)


def _body(data: bytes) -> RequestBody:
    async def chunks() -> AsyncIterator[bytes]:
        yield data

    return verified_stream(chunks(), algorithm=None, expected=None, min_size=0, max_size=len(data))
