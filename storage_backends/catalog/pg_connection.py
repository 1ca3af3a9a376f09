"""Connections to a PostgreSQL catalog: the URL, its check at start-up, and the SQL as the shared text runs there.

The ``catalog.sql`` functions are written once for both dialects with SQLite's placeholders (``?`` and
``:name``); :func:`pg_sql` rewrites them to psycopg's (``%s``, ``%(name)s``), once per statement text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.adapt import Loader

SCHEMES = ("postgresql", "postgres")
CONNECT_TIMEOUT_S = 5

_TOKEN = re.compile(r"'(?:[^']|'')*'|\?|(?<![:\w]):([A-Za-z_]\w*)|%")


@functools.lru_cache(maxsize=4096)
def pg_sql(sql: str) -> str:
    """``sql`` with psycopg's placeholders; a literal ``%`` (in or out of a string) doubled."""
    def token(m: re.Match[str]) -> str:
        text = m.group(0)
        if text.startswith("'"):
            return text.replace("%", "%%")
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        return f"%({m.group(1)})s"

    return _TOKEN.sub(token, sql)


class PgExecutor:
    """A psycopg connection as the ``catalog.sql`` functions use it (an ``Executor``)."""

    __slots__ = ("conn",)

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = (), /) -> psycopg.Cursor[Any]:
        return self.conn.execute(pg_sql(sql), parameters or None)

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> psycopg.Cursor[Any]:
        cur = self.conn.cursor()
        cur.executemany(pg_sql(sql), parameters)
        return cur


class ScanExecutor(PgExecutor):
    """Statements on server-side cursors: a snapshot's scans stream their rows in batches."""

    __slots__ = ("_count",)

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        super().__init__(conn)
        self._count = 0

    def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = (), /) -> psycopg.Cursor[Any]:
        self._count += 1
        cur = self.conn.cursor(name=f"s3gate_scan_{self._count}")
        cur.execute(pg_sql(sql), parameters or None)
        return cur


class _NumericLoader(Loader):
    """SUM over BIGINT is NUMERIC in PostgreSQL: an int when whole (as SQLite returns), else a float."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        try:
            return int(text)
        except ValueError:
            return float(text)


def configure(conn: psycopg.Connection[Any]) -> None:
    """Every catalog connection: autocommit (reads are single statements), REPEATABLE READ for the
    transactions writes open."""
    conn.adapters.register_loader("numeric", _NumericLoader)
    conn.autocommit = True
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ


def redact(url: str) -> str:
    """``url`` without its password (in the authority or as a ``password`` parameter)."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            if ":" in userinfo:
                netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
        query = urlencode([(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query)])
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "(unparsable URL)"


def check_url(url: str) -> None:
    """Raise ValueError (one line, password hidden) unless ``url`` is a PostgreSQL URL we can connect to."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in SCHEMES:
        raise ValueError(f"--metadata-url must be postgresql://USER[:PASSWORD]@HOST:PORT/DATABASE, got {redact(url)}")
    try:
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except (psycopg.Error, psycopg.ProgrammingError) as exc:
        message = first_line(exc)
        password = _password(url)
        if password:
            message = message.replace(password, "***")
        raise ValueError(f"cannot use the metadata database {redact(url)}: {message}") from None


def _password(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        return parts.password or dict(parse_qsl(parts.query)).get("password")
    except ValueError:
        return None


def first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__
