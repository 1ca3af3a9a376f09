"""PostgreSQL target: ``postgresql://USER[:PASS]@HOST:PORT/DB?table=T`` (``T`` or ``SCHEMA.T``).

Each event is one row of ``T``, created if missing::

    id text PRIMARY KEY, event_time timestamptz, bucket text, key text, event_name text,
    sequencer text, event jsonb

``id`` is the event id and the insert says ``ON CONFLICT (id) DO NOTHING``, so a redelivery after a lost
acknowledgement adds nothing. Delivery returns once the row's transaction committed. Deliveries that
arrive while a commit is in flight are inserted together in the next transaction (one round trip and one
WAL flush for all of them, rows in arrival order); a batch the server rejects for its data is retried row
by row so one bad row never fails its neighbours. Other libpq parameters (``sslmode``, ...) may follow
``table`` in the query and are passed through.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
import psycopg.conninfo
import psycopg.errors
from psycopg import sql

from gateway.events.targets import DeliveryError, EventInfo
from gateway.events.targets.broker import DEFAULT_TIMEOUT, Link, describe

__all__ = ["MAX_BATCH", "open"]

MAX_BATCH = 500  # rows per transaction
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")  # unquoted-style names; quoted anyway, as written

_Row = tuple[str, str, str, str, str, str, str]


class _RowsRejected(DeliveryError):
    """The server refused the rows themselves (bad data), not the connection."""


class PostgresTarget:
    def __init__(self, name: str, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        tables = [value for key, value in query if key == "table"]
        if len(tables) != 1 or not tables[0]:
            raise ValueError(f"notification target {name!r}: a PostgreSQL URL needs ?table=T (once)")
        names = tables[0].split(".")
        if len(names) > 2 or not all(_IDENTIFIER.fullmatch(n) for n in names):
            raise ValueError(f"notification target {name!r}: table {tables[0]!r} is not TABLE or SCHEMA.TABLE "
                             "(letters, digits and _, not starting with a digit, at most 63 each)")
        libpq_query = urlencode([(key, value) for key, value in query if key != "table"])
        self._conninfo = urlunsplit((parts.scheme, parts.netloc, parts.path, libpq_query, ""))
        try:
            psycopg.conninfo.conninfo_to_dict(self._conninfo)
        except psycopg.ProgrammingError as exc:
            raise ValueError(f"notification target {name!r}: bad PostgreSQL URL: {describe(exc)}") from None
        self.name, self.url = name, url
        table = sql.Identifier(*names)
        self._create = sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (id text PRIMARY KEY, event_time timestamptz NOT NULL, "
            "bucket text NOT NULL, key text NOT NULL, event_name text NOT NULL, sequencer text NOT NULL, "
            "event jsonb NOT NULL)").format(table)
        self._insert = sql.SQL(
            "INSERT INTO {} (id, event_time, bucket, key, event_name, sequencer, event) "
            "VALUES (%s, %s::timestamptz, %s, %s, %s, %s, %s::jsonb) ON CONFLICT (id) DO NOTHING").format(table)
        self._link: Link[psycopg.AsyncConnection[tuple[object, ...]]] = Link(
            url, self._connect, self._close, lambda conn: not conn.closed and not conn.broken, timeout)
        self._pending: list[tuple[_Row, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def _connect(self) -> psycopg.AsyncConnection[tuple[object, ...]]:
        conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True,
                                                     connect_timeout=max(2, round(self._link.timeout)),
                                                     application_name="s3gate notifications")
        try:
            await conn.execute(self._create)
        except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable):
            pass  # another gateway worker created it at the same moment
        except BaseException:
            await conn.close()
            raise
        return conn

    @staticmethod
    async def _close(conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        await conn.close()

    async def deliver(self, message: bytes, event: EventInfo) -> None:
        row = (event.event_id, event.event_time, event.bucket, event.key, event.event_name, event.sequencer,
               message.decode("utf-8"))
        done = asyncio.get_running_loop().create_future()
        self._pending.append((row, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending())
        await done

    async def _write_pending(self) -> None:
        """Insert what is pending, a batch per transaction, until nothing is; settle each delivery's future."""
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                await self._write([row for row, _ in batch])
                outcomes: list[DeliveryError | None] = [None] * len(batch)
            except _RowsRejected as exc:
                outcomes = [exc] if len(batch) == 1 else [await self._write_alone(row) for row, _ in batch]
            except DeliveryError as exc:
                outcomes = [exc] * len(batch)
            for (_, done), outcome in zip(batch, outcomes, strict=True):
                if done.done():  # its delivery was cancelled
                    continue
                if outcome is None:
                    done.set_result(None)
                else:
                    done.set_exception(outcome)

    async def _write_alone(self, row: _Row) -> DeliveryError | None:
        try:
            await self._write([row])
        except DeliveryError as exc:
            return exc
        return None

    async def _write(self, rows: Sequence[_Row]) -> None:
        async def insert(conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
            try:
                async with conn.transaction(), conn.cursor() as cur:
                    await cur.executemany(self._insert, rows)
            except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as exc:
                raise _RowsRejected(f"table rejected the event: {describe(exc)}") from exc
            # UndefinedTable (dropped under us) is not caught: the link reconnects, which creates it again.

        await self._link.run(insert)

    async def aclose(self) -> None:
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        await self._link.aclose()


def open(name: str, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> PostgresTarget:  # noqa: A001 - the protocol's name
    return PostgresTarget(name, url, timeout)
