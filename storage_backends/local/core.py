"""What every part of the local backend shares: the stores, the write path, the clock.

``LocalBackend`` is assembled from operation families (``objects``, ``multipart``,
``archive``) that all build on :class:`LocalCore`. The process holding the maintenance lease
also runs the maintenance work: finishing interrupted deletions, sweeping orphans, and the
periodic lifecycle pass.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from pathlib import Path

from gateway.wire.errors import Code, S3Error
from gateway.wire.lifecycle_rules import DAY_MS, Clock, Configuration, expiration_of
from storage_backends.base import DEFAULT_RESERVE, BucketInfo, FreeSpaceReserve, ObjectInfo, Restore, VolumeSpace
from storage_backends.catalog import records
from storage_backends.catalog.dialects import MetadataLocation, open_metadata
from storage_backends.catalog.identities import CatalogIdentities
from storage_backends.catalog.sql import blobs as blob_rows
from storage_backends.catalog.sql.settings import CLOCK_OFFSET
from storage_backends.catalog.store import Catalog
from storage_backends.keys.keyring import Keyring
from storage_backends.keys.master import load_master_key
from storage_backends.local.blobs import DEFAULT_VOLUME, BlobStore
from storage_backends.usage import RETRIEVAL, RETRIEVAL_CLASSES, UsageCounter

log = logging.getLogger("s3gate.local")

INLINE_MAX = 64 * 1024
ORPHAN_AGE_S = 3600.0  # a blob file this old that no metadata names is a crash leftover
LIFECYCLE_KIND = "lifecycle"
BUCKET_TTL_S = 1.0
BUCKET_CACHE_SIZE = 10_000
MAINTENANCE_LEASE = "maintenance"
LEASE_TTL_S = 5.0  # a dead holder's lease is taken over this long after its last renewal
LEASE_RENEW_S = 1.5


def dead_here(holder: str | None) -> bool:
    """A holder id (``host:pid:token``) of a process on this host that no longer runs."""
    host, _, rest = (holder or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


class LocalCore:
    def __init__(self, data_dir: str | Path, *, inline_max: int = INLINE_MAX,
                 class_dirs: dict[str, Path] | None = None, lifecycle_day_seconds: float = 86400.0,
                 restore_delay_seconds: float = 5.0, min_free_space: FreeSpaceReserve = DEFAULT_RESERVE,
                 master_key_file: str | None = None, kms_keys: tuple[str, ...] = (), region: str = "us-east-1",
                 account_id: str = "000000000000", metadata: MetadataLocation | None = None) -> None:
        self.root = Path(data_dir)
        self.metadata = metadata or MetadataLocation(self.root)  # where the catalog is (SQLite: in the data dir)
        self._keyring_setup = (master_key_file, kms_keys, region, account_id)
        self._keyring: Keyring | None = None
        self.blobs = BlobStore(self.root, inline_max, class_dirs, min_free_space)
        self.catalog: Catalog | None = None
        self.day_ms = max(1, int(lifecycle_day_seconds * 1000)) if lifecycle_day_seconds else DAY_MS
        self.restore_delay_ms = int(restore_delay_seconds * 1000)
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._maintaining = False  # this process holds the maintenance lease
        self._tasks: set[asyncio.Task[None]] = set()
        self._lifecycle_lock = asyncio.Lock()
        self._buckets: dict[str, tuple[float, BucketInfo, Configuration | None]] = {}
        self._identities: CatalogIdentities | None = None
        self._retrieved: dict[tuple[str, str], list[int]] = {}  # IA reads not yet counted: requests, bytes
        self.lifecycle_actions: dict[str, int] = {}  # what this process's passes did, by action (running totals)

    @property
    def identities(self) -> CatalogIdentities:
        """IAM users, keys, groups and policies: tables of the same catalog."""
        assert self._identities is not None, "LocalBackend.start() first"
        return self._identities

    @property
    def keyring(self) -> Keyring:
        """The master key and the declared KMS keys (``storage_backends.keys``); usable once started."""
        assert self._keyring is not None, "LocalBackend.start() first"
        return self._keyring

    # -- life cycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        master_key_file, kms_keys, region, account_id = self._keyring_setup
        self._keyring = Keyring(load_master_key(self.root, master_key_file), region, account_id, kms_keys)
        self.blobs.open()
        self.catalog = open_metadata(self.metadata, on_freed=self.blobs.delete)
        self._identities = CatalogIdentities(self.catalog)
        self._spawn(self._keep_maintenance())  # the first renewal too: its commit's fsync need not delay the start
        self._spawn(self._lifecycle_loop())

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.catalog is not None:
            if self._maintaining:  # hand maintenance over at once rather than after the lease expires
                try:
                    await self.catalog.release(MAINTENANCE_LEASE, self._holder)
                except Exception:  # noqa: BLE001 - it expires anyway
                    log.exception("could not release the maintenance lease")
            await self.catalog.aclose()
        self.blobs.close()

    def _spawn(self, coro: object) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _renew_maintenance(self) -> None:
        """One process per data directory does recovery, sweeping and lifecycle passes (workers
        share the directory): the one holding the maintenance lease. Taking it starts recovery."""
        try:
            current = None if self._maintaining else await self._cat.lease_holder(MAINTENANCE_LEASE)
            if current is None or current == self._holder:  # ours, or free: take or renew it
                held = await self._cat.lease(MAINTENANCE_LEASE, self._holder, LEASE_TTL_S)
            elif dead_here(current):  # a restart after kill -9 recovers at once, not after the TTL
                held = await self._cat.lease(MAINTENANCE_LEASE, self._holder, LEASE_TTL_S, replacing=current)
            else:  # another live process maintains: a read, no write
                held = False
        except S3Error as exc:  # a full disk (already warned about): the next renewal retries
            log.debug("could not renew the maintenance lease: %s", exc.message)
            held = False
        except Exception:  # noqa: BLE001 - the next renewal retries
            log.exception("could not renew the maintenance lease")
            held = False
        if held and not self._maintaining:
            self._spawn(self._recover())
        self._maintaining = held

    async def _keep_maintenance(self) -> None:
        while True:
            await self._renew_maintenance()
            await asyncio.sleep(LEASE_RENEW_S)

    async def _recover(self) -> None:
        """Finish deletions a crash interrupted, then remove blob files no metadata names."""
        await self._cat.write(blob_rows.refree_pending)
        known = await self._cat.file_blobs()
        removed = await asyncio.to_thread(self.blobs.sweep_orphans, known, ORPHAN_AGE_S)
        if removed:
            log.info("removed %d orphaned blob files", removed)

    async def _lifecycle_loop(self) -> None:
        """Apply lifecycle rules periodically (while maintaining): a few times per (possibly shortened) day."""
        interval = min(max(self.day_ms / 4000, 0.5), 3600.0)
        while True:
            await asyncio.sleep(interval)
            if not self._maintaining:
                continue
            try:
                await self.lifecycle_pass()
            except S3Error as exc:  # a full disk (a transition's target): already warned about
                log.warning("lifecycle pass stopped: %s", exc.message)
            except Exception:  # noqa: BLE001 - the next pass retries; the log says why
                log.exception("lifecycle pass failed")

    async def lifecycle_pass(self) -> dict[str, int]:
        raise NotImplementedError  # provided by the archive operations

    # -- shared helpers -------------------------------------------------------------------------
    def _note_retrieval(self, info: ObjectInfo, size: int) -> None:
        """A read of an IA-class version is a retrieval (priced per GB): counted in memory, written with the
        gateway's next batch of request counts (``record_usage``), never one write per read."""
        if info.storage_class in RETRIEVAL_CLASSES:
            counted = self._retrieved.setdefault((info.bucket, info.storage_class), [0, 0])
            counted[0] += 1
            counted[1] += size

    def _take_retrievals(self) -> list[UsageCounter]:
        taken, self._retrieved = self._retrieved, {}
        return [UsageCounter(bucket, cls, RETRIEVAL, n, size) for (bucket, cls), (n, size) in taken.items()]

    def disk_space(self) -> list[VolumeSpace]:
        return self.blobs.disk_space()

    def _admit(self, volume: str = DEFAULT_VOLUME, incoming: int = 0) -> None:
        """Every write but a delete starts here: refused (503) while a disk it needs is below its reserve."""
        self.blobs.admit(volume, incoming)

    @property
    def _cat(self) -> Catalog:
        assert self.catalog is not None, "LocalBackend.start() first"
        return self.catalog

    async def clock(self) -> Clock:
        """The lifecycle clock, with the offset the admin endpoint may have advanced (shared by workers)."""
        return Clock(self.day_ms, int(await self._cat.setting(CLOCK_OFFSET) or 0))

    async def _bucket_state(self, name: str) -> tuple[BucketInfo, Configuration | None]:
        """A bucket and its lifecycle rules, cached for a second.

        Every request needs them, so they are read once a second rather than once a request.
        Changes made through this process are seen at once; those made through another worker
        process within a second, as S3's bucket configuration is eventually consistent too.
        Writes re-check the bucket inside their transaction whatever this says.
        """
        now = time.monotonic()
        hit = self._buckets.get(name)
        if hit is not None and hit[0] > now:
            return hit[1], hit[2]
        info = await self._cat.bucket(name)
        if info is None:
            self._buckets.pop(name, None)
            raise S3Error(Code.NoSuchBucket, BucketName=name)
        document = await self._cat.config(name, LIFECYCLE_KIND)
        config = Configuration.from_json(document) if document else None
        if len(self._buckets) > BUCKET_CACHE_SIZE:
            self._buckets.clear()
        self._buckets[name] = (now + BUCKET_TTL_S, info, config)
        return info, config

    def _forget_bucket(self, name: str) -> None:
        self._buckets.pop(name, None)

    async def _bucket(self, name: str) -> BucketInfo:
        return (await self._bucket_state(name))[0]

    async def _lifecycle(self, bucket: str) -> Configuration | None:
        return (await self._bucket_state(bucket))[1]

    async def _describe(self, row: records.ObjectRecord, bucket: BucketInfo) -> ObjectInfo:
        """ObjectInfo plus what depends on the lifecycle clock: expiration and restore state."""
        info = records.object_info(row, bucket.versioning)
        if row.restore_ready is None and not info.is_latest:
            return info
        clock: Clock | None = None
        if row.restore_ready is not None:
            clock = await self.clock()
            info.restore = Restore(clock.now_ms() < row.restore_ready, row.restore_expiry)
        if info.is_latest and not info.delete_marker:
            config = await self._lifecycle(bucket.name)
            if config is not None:
                info.expiration = expiration_of(config, info.key, info.size, info.tags, info.last_modified_ms,
                                                clock or await self.clock())
        return info
