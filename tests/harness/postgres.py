"""PostgreSQL for tests: a database of the session's own on the machine's server, a schema per data dir.

The server is 127.0.0.1:5432, trust authentication, user postgres (``S3GATE_TEST_POSTGRES`` names
another maintenance database URL). It missing fails the run: tests that need it never skip.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import struct
import threading
import uuid
from urllib.parse import quote, urlsplit

import psycopg
from psycopg import sql

ADMIN_URL = os.environ.get("S3GATE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def admin_url(database: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + database


def schema_url(database: str, schema: str) -> str:
    """A URL whose connections keep to ``schema`` (created by the catalog's migrations if missing)."""
    return admin_url(database) + "?options=" + quote(f"-csearch_path={schema}")


def schema_for(key: str) -> str:
    """A schema name for ``key`` (a data dir's path): the same path, the same schema."""
    return "s3gate_" + hashlib.sha256(key.encode()).hexdigest()[:16]


class TestDatabase:
    """A database created for the session (``CREATE DATABASE`` options in ``create``), dropped by ``drop``."""

    __test__ = False  # not a pytest class

    def __init__(self, create: str = "") -> None:
        self.name = f"s3gate_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        try:
            with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {} " + create).format(sql.Identifier(self.name)))
        except psycopg.OperationalError as exc:
            raise RuntimeError(f"PostgreSQL is needed at {ADMIN_URL} (the local-postgres tests never skip): {exc}"
                               ) from exc

    def url(self, schema: str | None = None) -> str:
        return schema_url(self.name, schema) if schema else admin_url(self.name)

    def fresh_url(self) -> str:
        """A URL on a schema no one else uses."""
        return self.url("t_" + uuid.uuid4().hex[:12])

    def drop(self) -> None:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))


def metadata_url(args: list[str]) -> str | None:
    """The ``--metadata-url`` among a gateway's arguments (None: its metadata is the data dir's SQLite file)."""
    return args[args.index("--metadata-url") + 1] if "--metadata-url" in args else None


def found_in_database(url: str, needle: bytes) -> list[str]:
    """``table.column`` of every text or bytea column of the URL's schema holding ``needle`` in some row."""
    found = []
    with psycopg.connect(url, autocommit=True) as conn:
        columns = conn.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                               "WHERE table_schema = current_schema() AND data_type IN ('text', 'bytea')").fetchall()
        for table, column, data_type in columns:
            test = "strpos({c}, %s) > 0" if data_type == "text" else "position(%s IN {c}) > 0"
            query = sql.SQL("SELECT 1 FROM {t} WHERE " + test + " LIMIT 1").format(
                t=sql.Identifier(table), c=sql.Identifier(column))
            value: str | bytes = needle.decode() if data_type == "text" else needle
            if conn.execute(query, (value,)).fetchone():
                found.append(f"{table}.{column}")
    return found


class Proxy:
    """A TCP forwarder to the PostgreSQL server that can be cut (every connection reset) and restored,
    on the same port: the database unreachable while a gateway runs."""

    __test__ = False

    def __init__(self, port: int = 0) -> None:
        target = urlsplit(ADMIN_URL)
        self.target = (target.hostname or "127.0.0.1", target.port or 5432)
        self._listener = socket.create_server(("127.0.0.1", port))
        self.port = int(self._listener.getsockname()[1])
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, database: str, schema: str) -> str:
        return schema_url(database, schema).replace(f"{self.target[0]}:{self.target[1]}", f"127.0.0.1:{self.port}")

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self._open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Stop listening and reset every forwarded connection."""
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # (wakes the accepting thread: close alone would not)
        self._listener.close()
        for s in self._open:
            with contextlib.suppress(OSError):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
        self._open.clear()

    def restore(self) -> None:
        self.__init__(self.port)  # type: ignore[misc]
