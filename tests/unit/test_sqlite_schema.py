"""The SQLite dialect's schema: a new data dir's catalog is built aside and renamed in (two fsyncs, not
eight), and must be the very catalog that migrating an existing (here: empty) file in place makes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage_backends.catalog.sqlite import migrate


def _schema(path: Path) -> tuple[list[tuple[str, str, str]], int, str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        version, mode = (conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("user_version", "journal_mode"))
        return rows, version, mode
    finally:
        conn.close()


def test_a_new_catalog_is_the_one_the_migrations_make_in_place(tmp_path: Path) -> None:
    new, in_place = tmp_path / "new" / "metadata.db", tmp_path / "old" / "metadata.db"
    new.parent.mkdir()
    in_place.parent.mkdir()
    in_place.touch()  # an existing (empty) file is migrated where it is
    migrate(str(new))
    migrate(str(in_place))
    rows, version, mode = _schema(new)
    assert (rows, version, mode) == _schema(in_place)
    assert version >= 7 and mode == "wal" and any(name == "objects" for _, name, _ in rows)
    assert sorted(p.name for p in new.parent.iterdir()) == ["metadata.db", "metadata.db.write-lock"]
    migrate(str(new))  # once made, a start migrates nothing
    assert _schema(new) == (rows, version, mode)


def test_leftovers_of_an_interrupted_creation_are_not_replayed(tmp_path: Path) -> None:
    """A crash mid-build leaves a ``.new``; a database deleted by hand may leave its WAL behind."""
    path = tmp_path / "metadata.db"
    for name in ("metadata.db.new", "metadata.db.new-journal", "metadata.db-wal", "metadata.db-shm"):
        (tmp_path / name).write_bytes(b"not sqlite" * 100)
    migrate(str(path))
    rows, version, mode = _schema(path)
    assert version >= 7 and mode == "wal" and rows
    assert not any((tmp_path / name).exists() for name in ("metadata.db.new", "metadata.db.new-journal"))
