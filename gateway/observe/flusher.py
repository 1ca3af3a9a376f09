"""The observers' periodic work (log delivery, usage counts): every ``interval`` seconds, and once more at
shutdown, before the backend closes, so that a clean stop loses nothing buffered."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("s3gate")

Job = Callable[[], Awaitable[None]]


class Flusher:
    def __init__(self, jobs: list[Job], interval: float) -> None:
        self.jobs = jobs
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.jobs:
            self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self._run()

    async def _run(self) -> None:
        for job in self.jobs:
            try:
                await job()
            except Exception:  # noqa: BLE001 - the next round retries; the log says why
                log.exception("periodic observer work failed")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._run()
