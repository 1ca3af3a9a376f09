"""The composition root for storage: which backend ``--backend`` names, built from the settings.

It lives beside the backends, not in ``gateway.app``, so the ASGI app only receives a backend and
the CLI can check upstream credentials without importing the app. ``storage_backends`` may import
only ``gateway.wire.*`` from the gateway, so the settings are described here by the small
:class:`BackendSettings` protocol (``gateway.settings.Settings`` satisfies it) rather than imported.
"""

from __future__ import annotations

import importlib
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from storage_backends.base import Backend, FreeSpaceReserve
    from storage_backends.catalog.copy import Outcome as Outcome  # (the metadata commands' results)
    from storage_backends.catalog.copy import TableCheck as TableCheck
    from storage_backends.catalog.dialects import MetadataLocation
    from storage_backends.outbox import Outbox
    from storage_backends.s3client.client import UpstreamConfig


class BackendSettings(Protocol):
    """The settings a backend is built from (read-only: ``Settings`` is a frozen dataclass)."""

    @property
    def backend(self) -> str: ...
    @property
    def data_dir(self) -> str: ...
    @property
    def storage_class_dirs(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def lifecycle_day_seconds(self) -> float: ...
    @property
    def restore_delay_seconds(self) -> float: ...
    @property
    def min_free_space(self) -> FreeSpaceReserve: ...
    @property
    def metadata_url(self) -> str | None: ...
    @property
    def metadata_pool(self) -> int: ...
    @property
    def region(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def master_key_file(self) -> str | None: ...
    @property
    def kms_keys(self) -> tuple[str, ...]: ...
    @property
    def upstream_endpoint(self) -> str | None: ...
    @property
    def upstream_region(self) -> str: ...
    @property
    def upstream_access_key(self) -> str | None: ...
    @property
    def upstream_secret_key(self) -> str | None: ...
    @property
    def upstream_addressing_style(self) -> str: ...
    @property
    def upstream_ca_bundle(self) -> str | None: ...
    @property
    def upstream_insecure(self) -> bool: ...
    @property
    def upstream_timeout(self) -> float: ...


def upstream_config(settings: BackendSettings) -> UpstreamConfig:
    from storage_backends.s3client.client import UpstreamConfig

    assert settings.upstream_endpoint is not None  # checked by gateway.settings
    return UpstreamConfig(settings.upstream_endpoint, settings.upstream_region, settings.upstream_access_key,
                          settings.upstream_secret_key, settings.upstream_addressing_style,
                          settings.upstream_ca_bundle, settings.upstream_insecure, settings.upstream_timeout)


def check_upstream_credentials(settings: BackendSettings) -> None:
    """Raises RuntimeError (naming what to set) when no upstream credentials can be found."""
    from storage_backends.s3client.client import credential_source

    credential_source(upstream_config(settings))


def check_master_key_file(path: str) -> None:
    """Raises RuntimeError (``KeyringError``, naming the problem) unless ``path`` holds a 32-byte master key."""
    from storage_backends.keys.master import read_key_file

    read_key_file(Path(path))


def check_metadata_url(url: str) -> None:
    """Raises ValueError (one line, password hidden) unless ``url`` names a PostgreSQL database we can reach."""
    from storage_backends.catalog.pg_connection import check_url

    check_url(url)


def redacted_url(url: str) -> str:
    """``url`` with its password hidden, for logs and the banner."""
    from storage_backends.catalog.pg_connection import redact

    return redact(url)


def import_backend(name: str) -> None:
    """Import the modules of the backend ``load_backend`` builds for ``--backend name``: ``--workers``
    does so before forking, so the workers share them rather than each importing them again."""
    importlib.import_module("storage_backends.upstream.backend" if name == "upstream"
                            else "storage_backends.local.backend")


def load_backend(settings: BackendSettings, owner_id: str) -> Backend:
    """The local data dir, or an upstream S3 endpoint; ``owner_id`` (the root user's canonical id)
    owns what an upstream lists, since the upstream's own owners mean nothing to the gateway's users."""
    if settings.backend == "upstream":
        from storage_backends.upstream.backend import UpstreamBackend

        return UpstreamBackend(upstream_config(settings), owner_id=owner_id, data_dir=settings.data_dir,
                               metadata=metadata_location(settings))
    from storage_backends.local.backend import LocalBackend

    return LocalBackend(settings.data_dir, class_dirs={c: Path(d) for c, d in settings.storage_class_dirs},
                        lifecycle_day_seconds=settings.lifecycle_day_seconds,
                        restore_delay_seconds=settings.restore_delay_seconds,
                        min_free_space=settings.min_free_space, master_key_file=settings.master_key_file,
                        kms_keys=settings.kms_keys, region=settings.region, account_id=settings.account_id,
                        metadata=metadata_location(settings))


def metadata_location(settings: BackendSettings) -> MetadataLocation:
    """Where the metadata is: ``--metadata-url`` (PostgreSQL) or the data dir's SQLite file."""
    from storage_backends.catalog.dialects import MetadataLocation

    return MetadataLocation(settings.data_dir, settings.metadata_url, settings.metadata_pool)


def open_outbox(settings: BackendSettings) -> AbstractAsyncContextManager[Outbox]:
    """The local backend's notification outbox alone, for the dispatcher's own process (``gateway.events.process``)."""
    from storage_backends.local.notifications import opened

    return opened(metadata_location(settings))


def copy_metadata(data_dir: str, url: str) -> Outcome:
    """``s3gate metadata copy``: the data dir's SQLite metadata into PostgreSQL at ``url``, verified;
    RuntimeError (``CopyError``, a sentence) for a refusal."""
    from storage_backends.catalog.copy import copy

    return copy(data_dir, url)


def verify_metadata(data_dir: str, url: str) -> list[TableCheck]:
    """``s3gate metadata verify``: each table's count and SHA-256 on both sides of an earlier copy."""
    from storage_backends.catalog.copy import verify

    return verify(data_dir, url)
