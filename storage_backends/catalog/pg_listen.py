"""Bucket changes other gateways committed, heard on a LISTEN connection of the catalog's own.

Writes that change a bucket's row or configuration ``pg_notify`` the catalog's channel with the
bucket's name inside their transaction (PostgreSQL delivers it at the commit, or never). A lost
connection may have missed some: after each reconnection the callback gets None, "forget every bucket".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from psycopg import sql

from storage_backends.catalog.pg_connection import first_line, redact

log = logging.getLogger("s3gate.catalog")

RECONNECT_S = (0.1, 0.5, 1.0, 2.0)


class Listener:
    """``callback(bucket)`` for every notification on ``channel``; ``callback(None)`` after a reconnection."""

    def __init__(self, url: str, channel: str, callback: Callable[[str | None], None]) -> None:
        self._url = url
        self._channel = channel
        self._callback = callback
        self.listening = asyncio.Event()  # set while LISTEN is in effect (tests wait for it)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._url, autocommit=True) as conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                    self.listening.set()
                    if failures:
                        self._callback(None)  # what was told while we were away is lost
                    failures = 0
                    async for notify in conn.notifies():
                        self._callback(notify.payload)
            except psycopg.Error as exc:
                self.listening.clear()
                log.warning("metadata change listener on %s lost: %s", redact(self._url), first_line(exc))
            failures += 1
            await asyncio.sleep(RECONNECT_S[min(failures, len(RECONNECT_S)) - 1])

    async def aclose(self) -> None:
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
