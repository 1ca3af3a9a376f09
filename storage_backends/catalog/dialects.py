"""Which catalog implementation a location opens: the one place that knows the dialects."""

from __future__ import annotations

from storage_backends.catalog.sqlite import SqliteCatalog, no_files
from storage_backends.catalog.store import Catalog, FreedBlobs

DIALECTS = ("sqlite",)


def open_catalog(dialect: str, location: str, *, on_freed: FreedBlobs = no_files) -> Catalog:
    """Open (creating or migrating the schema) the catalog at ``location``.

    ``on_freed(blob_ids)`` deletes blob files after the commit that released their last reference.
    """
    if dialect == "sqlite":
        return SqliteCatalog(location, on_freed=on_freed)
    raise ValueError(f"unknown catalog dialect {dialect!r} (known: {', '.join(DIALECTS)})")
