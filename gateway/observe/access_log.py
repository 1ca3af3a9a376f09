"""``--access-log FILE|-``: one JSON line per request, for log shippers.

What is written is chosen, not filtered: the record's fields below, never its headers (Authorization,
``x-amz-security-token``, SSE-C keys) nor its query string (presigned signatures and credentials), so no
secret can reach the log. Lines are queued by the observer and written by a background task every
``FLUSH_S``, off the event loop, in writes of whole lines of at most ``PIPE_BUF`` bytes to a descriptor
opened ``O_APPEND``: a write that size is atomic on a pipe and at the end of a file, so workers sharing the
log never interleave their lines.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import select
import sys
import time

from gateway.observe.record import RequestRecord

log = logging.getLogger("s3gate")

FLUSH_S = 0.25
CHUNK = select.PIPE_BUF


def line(r: RequestRecord) -> bytes:
    principal = r.principal
    identity = principal.identity if principal is not None else None
    entry = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(r.start)) + f".{int(r.start % 1 * 1000):03d}Z",
        "request_id": r.request_id,
        "remote": r.remote,
        "access_key": principal.access_key if principal is not None else None,
        "principal": identity.arn if identity is not None else ("anonymous" if principal is not None else None),
        "operation": r.operation,
        "method": r.method,
        "bucket": r.bucket,
        "key": r.key,
        "status": r.status,
        "error_code": r.error_code,
        "bytes_in": r.bytes_in,
        "bytes_out": r.bytes_out,
        "total_ms": round(r.total_s * 1000, 3),
        "first_byte_ms": None if r.first_byte_s is None else round(r.first_byte_s * 1000, 3),
        "user_agent": r.headers.get("user-agent"),
        "tls": r.tls,
    }
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def chunks(lines: list[bytes]) -> list[bytes]:
    """Whole lines joined into writes of at most CHUNK bytes (a longer line is a write of its own)."""
    out: list[bytes] = []
    group: list[bytes] = []
    size = 0
    for item in lines:
        if group and size + len(item) > CHUNK:
            out.append(b"".join(group))
            group, size = [], 0
        group.append(item)
        size += len(item)
    if group:
        out.append(b"".join(group))
    return out


class AccessLog:
    """The observer (a line queued per request) and the task that writes the queue out."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._fd = sys.stdout.fileno() if target == "-" else \
            os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        self._queued: list[bytes] = []
        self._task: asyncio.Task[None] | None = None

    def __call__(self, record: RequestRecord) -> None:
        self._queued.append(line(record))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_S)
            try:
                await self.flush()
            except OSError as exc:  # a full disk, a closed pipe: serving goes on, the lines are lost
                log.error("access log %s: %s", self.target, exc)

    async def flush(self) -> None:
        if self._queued:
            lines, self._queued = self._queued, []
            await asyncio.to_thread(self._write, chunks(lines))

    def _write(self, writes: list[bytes]) -> None:
        for data in writes:
            view = memoryview(data)
            while view:  # a regular file takes it whole; a short write only on a full disk or a signal
                view = view[os.write(self._fd, view):]

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()
        if self.target != "-":
            os.close(self._fd)
