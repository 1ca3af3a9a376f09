"""The settings table: small persistent values, among them the lifecycle clock's offset."""

from __future__ import annotations

import time

from storage_backends.catalog.sql import one
from storage_backends.catalog.store import Executor, Tx

CLOCK_OFFSET = "lifecycle_offset_ms"


def get(ex: Executor, name: str) -> str | None:
    row = one(ex, "SELECT value FROM settings WHERE name = ?", (name,))
    return str(row[0]) if row else None


def now_ms(ex: Executor) -> int:
    """The server's clock: real time plus the offset the admin endpoint may have advanced.

    Everything s3gate timestamps (LastModified, upload initiation, when a version became
    noncurrent) follows this clock, so an object written after the clock moved ahead is new,
    not already "old" to lifecycle rules. A write reads the offset once (a round trip on PostgreSQL).
    """
    offset = ex.clock_offset if isinstance(ex, Tx) else None
    if offset is None:
        row = ex.execute("SELECT value FROM settings WHERE name = ?", (CLOCK_OFFSET,)).fetchone()
        offset = int(row[0]) if row else 0
        if isinstance(ex, Tx):
            ex.clock_offset = offset
    return time.time_ns() // 1_000_000 + offset


def advance_clock(ex: Executor, shift_ms: int) -> None:
    if isinstance(ex, Tx):
        ex.clock_offset = None
    ex.execute("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET "
               "value = CAST(CAST(settings.value AS BIGINT) + ? AS TEXT)", (CLOCK_OFFSET, str(shift_ms), shift_ms))


def put(ex: Executor, name: str, value: str) -> None:
    ex.execute("INSERT INTO settings (name, value) VALUES (?, ?) "
               "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (name, value))
