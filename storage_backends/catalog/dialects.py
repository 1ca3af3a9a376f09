"""Which catalog implementation a location opens: the one place that knows the dialects."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storage_backends.catalog.sql_catalog import no_files
from storage_backends.catalog.sqlite import SqliteCatalog
from storage_backends.catalog.store import Catalog, FreedBlobs

DIALECTS = ("sqlite", "postgresql")
DEFAULT_POOL = 8


@dataclass(frozen=True, slots=True)
class MetadataLocation:
    """Where a data directory's metadata is: ``url`` (PostgreSQL), else ``<data_dir>/metadata.db``."""

    data_dir: str | Path
    url: str | None = None
    pool: int = DEFAULT_POOL  # PostgreSQL connections of this process


def open_metadata(location: MetadataLocation, *, on_freed: FreedBlobs = no_files) -> Catalog:
    """The catalog of ``location``: every opener of a data dir's metadata comes through here."""
    if location.url is not None:
        return open_catalog("postgresql", location.url, on_freed=on_freed, pool=location.pool)
    root = Path(location.data_dir)
    root.mkdir(parents=True, exist_ok=True)
    return open_catalog("sqlite", str(root / "metadata.db"), on_freed=on_freed)


def open_catalog(dialect: str, location: str, *, on_freed: FreedBlobs = no_files, pool: int = DEFAULT_POOL
                 ) -> Catalog:
    """Open (creating or migrating the schema) the catalog at ``location`` (a file, or a PostgreSQL URL).

    ``on_freed(blob_ids)`` deletes blob files after the commit that released their last reference.
    """
    if dialect == "sqlite":
        return SqliteCatalog(location, on_freed=on_freed)
    if dialect == "postgresql":
        from storage_backends.catalog.postgres import PostgresCatalog

        return PostgresCatalog(location, pool=pool, on_freed=on_freed)
    raise ValueError(f"unknown catalog dialect {dialect!r} (known: {', '.join(DIALECTS)})")
