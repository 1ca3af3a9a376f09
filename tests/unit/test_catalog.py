"""The catalog's contract, exercised directly (no HTTP): every dialect must pass these.

Each runs on every entry of ``dialects.DIALECTS``: SQLite in the test's directory, PostgreSQL on a schema
of the test's own (tests.harness.postgres).
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.wire.errors import Code, S3Error
from gateway.wire.lock_rules import COMPLIANCE, GOVERNANCE, DefaultRetention, LockConfiguration, ObjectLock, Retention
from gateway.wire.notification_rules import ORIGIN, Configuration, Origin, Rule
from storage_backends.base import Checksum, CompletedPart, NewObject, WriteConditions
from storage_backends.catalog.dialects import DIALECTS, open_catalog
from storage_backends.catalog.records import Fold, NewVersion, Placement
from storage_backends.catalog.sql import blobs, buckets, leases, lifecycle, notifications, objects, settings, uploads
from storage_backends.catalog.store import Catalog, Tx
from storage_backends.local.uploads import complete

NEW = NewObject(owner_id="owner")


class Freed:
    """Records what the catalog asks to delete from disk after each commit."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    async def __call__(self, blob_ids: list[str]) -> None:
        self.calls.append(list(blob_ids))

    @property
    def ids(self) -> list[str]:
        return [b for call in self.calls for b in call]


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def freed() -> Freed:
    return Freed()


@pytest.fixture
def make(dialect: str, tmp_path: Path, freed: Freed, request: pytest.FixtureRequest) -> Callable[[], Catalog]:
    """Opens the test's catalog (again: a second handle on the same store, as another worker would)."""
    location = catalog_location(dialect, tmp_path, request)

    def opener() -> Catalog:
        return open_catalog(dialect, location, on_freed=freed)
    return opener


def catalog_location(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh store of ``dialect`` for one test: a file, or a PostgreSQL schema of its own."""
    if dialect == "postgresql":
        return str(request.getfixturevalue("postgres").fresh_url())
    return str(tmp_path / "metadata.db")


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _with(make: Callable[[], Catalog], body: Callable[[Catalog], Any]) -> Any:
    catalog = make()
    try:
        return await body(catalog)
    finally:
        await catalog.aclose()


def scenario(make: Callable[[], Catalog]) -> Callable[[Callable[[Catalog], Any]], Any]:
    """Decorator-style runner: ``scenario(make)(async_fn)`` runs async_fn(catalog) in a fresh loop."""
    return lambda body: run(_with(make, body))


async def put(cat: Catalog, bucket: str, key: str, data: bytes = b"x", *, blob: str | None = None,
              etag: str = "e") -> Any:
    def fn(tx: Tx) -> Any:
        if blob is not None:
            blobs.add(tx, blob, len(data), None)
        placement = Placement(blob, None, None if blob else data)
        return objects.put_version(tx, bucket, key, NEW, NewVersion(len(data), etag, None, placement), None)
    return await cat.write(fn)


async def bucket(cat: Catalog, name: str = "b", versioning: str | None = None) -> None:
    await cat.write(lambda tx: buckets.create(tx, name, "us-east-1", "owner"))
    if versioning:
        await cat.write(lambda tx: buckets.set_versioning(tx, name, versioning))


# -- buckets ------------------------------------------------------------------------------------------
def test_bucket_changes_are_told_after_their_commit_here_and_to_other_handles(make: Callable[[], Catalog],
                                                                            dialect: str) -> None:
    """on_change: this process's commits at once; on PostgreSQL another gateway's too (NOTIFY)."""
    async def body(cat: Catalog) -> None:
        here: list[str | None] = []
        cat.on_change(here.append)
        other = make()  # another gateway's catalog on the same store
        there: list[str | None] = []
        other.on_change(there.append)
        try:
            if dialect == "postgresql":
                await asyncio.wait_for(other._listener.listening.wait(), 10)  # type: ignore[attr-defined]
            await bucket(cat, "b", versioning="Enabled")
            await cat.write(lambda tx: buckets.put_config(tx, "b", "cors", "<x/>"))
            await put(cat, "b", "k")  # an object write changes no bucket
            with pytest.raises(S3Error):
                await cat.write(lambda tx: buckets.create(tx, "b", "us-east-1", "owner"))  # rolled back: not told
            assert here == ["b", "b", "b"]
            if dialect == "postgresql":
                deadline = time.monotonic() + 5
                while len(there) < 3 and time.monotonic() < deadline:
                    await asyncio.sleep(0.02)
                assert there == ["b", "b", "b"]
        finally:
            await other.aclose()
    scenario(make)(body)


def test_bucket_create_get_delete_and_errors(make: Callable[[], Catalog]) -> None:
    async def body(cat: Catalog) -> None:
        info = await cat.write(lambda tx: buckets.create(tx, "b", "eu-west-1", "alice"))
        assert (await cat.bucket("b")) == info and info.region == "eu-west-1" and info.versioning is None
        with pytest.raises(S3Error) as mine:
            await cat.write(lambda tx: buckets.create(tx, "b", "eu-west-1", "alice"))
        assert mine.value.code == Code.BucketAlreadyOwnedByYou.name
        with pytest.raises(S3Error) as theirs:
            await cat.write(lambda tx: buckets.create(tx, "b", "eu-west-1", "bob"))
        assert theirs.value.code == Code.BucketAlreadyExists.name
        await put(cat, "b", "k")
        with pytest.raises(S3Error) as full:
            await cat.write(lambda tx: buckets.delete(tx, "b"))
        assert full.value.code == Code.BucketNotEmpty.name
        await cat.write(lambda tx: objects.delete(tx, "b", "k", None))
        await cat.write(lambda tx: buckets.put_config(tx, "b", "cors", "<x/>"))
        assert await cat.config("b", "cors") == "<x/>"
        await cat.write(lambda tx: buckets.delete(tx, "b"))
        assert await cat.bucket("b") is None and await cat.config("b", "cors") is None
        with pytest.raises(S3Error) as gone:
            await cat.write(lambda tx: buckets.delete(tx, "b"))
        assert gone.value.code == Code.NoSuchBucket.name
        with pytest.raises(S3Error) as no_bucket:
            await put(cat, "nope", "k")
        assert no_bucket.value.code == Code.NoSuchBucket.name
    scenario(make)(body)


def test_bucket_listing_filters_owner_prefix_and_pages(make: Callable[[], Catalog]) -> None:
    async def body(cat: Catalog) -> None:
        for name, owner in [("a1", "alice"), ("a2", "bob"), ("a3", "alice"), ("b1", "alice")]:
            await cat.write(lambda tx, n=name, o=owner: buckets.create(tx, n, "r", o))
        assert [b.name for b in await cat.buckets("alice", "a", "", 10)] == ["a1", "a3"]
        assert [b.name for b in await cat.buckets(None, "", "a1", 2)] == ["a2", "a3"]
    scenario(make)(body)


# -- versions -----------------------------------------------------------------------------------------
def test_unversioned_put_replaces_the_null_version_and_frees_its_blob(make: Callable[[], Catalog],
                                                                     freed: Freed) -> None:
    async def body(cat: Catalog) -> None:
        await bucket(cat)
        first = await put(cat, "b", "k", b"one", blob="blob1", etag="e1")
        assert first.version_id is None
        await put(cat, "b", "k", b"two", blob="blob2", etag="e2")
        row = await cat.object_row("b", "k", None)
        assert row is not None and row.etag == "e2" and row.version_id == "null" and row.blob_id == "blob2"
        assert await cat.blob("blob1") is None and freed.ids == ["blob1"]
        assert await cat.count_versions("b") == 1
        assert (await cat.blob("blob2")) is not None
    scenario(make)(body)


def test_versioned_puts_keep_history_and_delete_markers(make: Callable[[], Catalog]) -> None:
    async def body(cat: Catalog) -> None:
        await bucket(cat, versioning="Enabled")
        v1 = (await put(cat, "b", "k", b"1", etag="e1")).version_id
        v2 = (await put(cat, "b", "k", b"2", etag="e2")).version_id
        assert v1 and v2 and v1 != v2 and v1 != "null"
        old = await cat.object_row("b", "k", v1)
        assert old is not None and not old.is_latest and old.noncurrent_since is not None
        deleted = await cat.write(lambda tx: objects.delete(tx, "b", "k", None))
        assert deleted.delete_marker and deleted.version_id
        latest = await cat.object_row("b", "k", None)
        assert latest is not None and latest.delete_marker and latest.version_id == deleted.version_id
        assert await cat.count_versions("b") == 3
        # removing the marker itself makes the newest remaining version current again
        await cat.write(lambda tx: objects.delete(tx, "b", "k", deleted.version_id))
        back = await cat.object_row("b", "k", None)
        assert back is not None and back.version_id == v2 and back.is_latest and back.noncurrent_since is None
    scenario(make)(body)


def test_suspended_versioning_overwrites_only_the_null_version(make: Callable[[], Catalog]) -> None:
    async def body(cat: Catalog) -> None:
        await bucket(cat, versioning="Enabled")
        kept = (await put(cat, "b", "k", b"1", etag="e1")).version_id
        await cat.write(lambda tx: buckets.set_versioning(tx, "b", "Suspended"))
        assert (await put(cat, "b", "k", b"2", etag="e2")).version_id == "null"
        await put(cat, "b", "k", b"3", etag="e3")
        assert await cat.count_versions("b") == 2  # the Enabled-era version and one null version
        null = await cat.object_row("b", "k", "null")
        assert null is not None and null.etag == "e3" and null.is_latest
        older = await cat.object_row("b", "k", kept)
        assert older is not None and not older.is_latest
        marker = await cat.write(lambda tx: objects.delete(tx, "b", "k", None))
        assert marker.version_id == "null" and marker.delete_marker
        assert await cat.count_versions("b") == 2  # the marker replaced the null version
    scenario(make)(body)


def test_concurrent_writers_on_several_handles_stay_atomic(make: Callable[[], Catalog]) -> None:
    """Gateways writing at once (a handle each): one If-None-Match: * creation wins, If-Match writes of one
    version succeed once, versions are never lost; on PostgreSQL the losers' transactions are re-run."""
    async def body(cat: Catalog) -> None:
        others = [make() for _ in range(3)]
        handles = [cat, *others]
        try:
            await bucket(cat, "b", versioning="Enabled")

            def conditional(etag: str, conditions: WriteConditions) -> Callable[[Tx], Any]:
                version = NewVersion(1, etag, None, Placement(None, None, b"y"))
                return lambda tx: objects.put_version(tx, "b", "k", NEW, version, conditions)

            async def attempt(handle: Catalog, etag: str, conditions: WriteConditions) -> str:
                try:
                    await handle.write(conditional(etag, conditions))
                    return "ok"
                except S3Error as exc:
                    return exc.code

            created = await asyncio.gather(*(attempt(h, f"n{i}", WriteConditions(if_none_match=True))
                                             for i, h in enumerate(handles * 2)))
            assert sorted(created) == ["PreconditionFailed"] * 7 + ["ok"]
            winner = (await cat.object_row("b", "k", None)).etag  # type: ignore[union-attr]
            matched = await asyncio.gather(*(attempt(h, f"m{i}", WriteConditions(if_match=winner))
                                             for i, h in enumerate(handles * 2)))
            assert sorted(matched) == ["PreconditionFailed"] * 7 + ["ok"]
            await asyncio.gather(*(put(h, "b", f"v{i % 2}", etag=f"p{i}") for i, h in enumerate(handles * 4)))
            versions = await cat.list_versions("b", ("v", 0, True), None, 100)
            assert len(versions) == 16 and sum(v.is_latest for v in versions) == 2
        finally:
            for handle in others:
                await handle.aclose()
    scenario(make)(body)


def test_write_conditions_are_checked_in_the_transaction(make: Callable[[], Catalog]) -> None:
    async def body(cat: Catalog) -> None:
        await bucket(cat)
        await put(cat, "b", "k", etag="e1")
        with pytest.raises(S3Error) as failed:
            await cat.write(lambda tx: objects.put_version(
                tx, "b", "k", NEW, NewVersion(1, "e2", None, Placement(None, None, b"y")),
                WriteConditions(if_none_match=True)))
        assert failed.value.code == Code.PreconditionFailed.name
        assert (await cat.object_row("b", "k", None)).etag == "e1"  # type: ignore[union-attr]
    scenario(make)(body)


def test_listing_order_and_pagination(make: Callable[[], Catalog]) -> None:
    async def body(cat: Catalog) -> None:
        await bucket(cat, versioning="Enabled")
        for key in ["b", "a", "c/1", "c/2", "d"]:
            await put(cat, "b", key)
        await put(cat, "b", "a")  # a second version of "a"
        await cat.write(lambda tx: objects.delete(tx, "b", "d", None))  # "d" hidden by a marker
        first = await cat.list_latest("b", ("", True), None, 2)
        assert [r.key for r in first] == ["a", "b"]
        rest = await cat.list_latest("b", (first[-1].key, False), None, 10)
        assert [r.key for r in rest] == ["c/1", "c/2"]
        assert [r.key for r in await cat.list_latest("b", ("c/", True), "c0", 10)] == ["c/1", "c/2"]
        versions = await cat.list_versions("b", ("", 0, True), None, 100)
        assert [(v.key, v.is_latest, v.delete_marker) for v in versions] == [
            ("a", True, False), ("a", False, False), ("b", True, False), ("c/1", True, False),
            ("c/2", True, False), ("d", True, True), ("d", False, False)]
        a_old = versions[1]
        assert await cat.version_position("b", "a", a_old.version_id) == a_old.id
        after = await cat.list_versions("b", ("a", versions[0].id, False), None, 1)
        assert after[0].version_id == a_old.version_id
    scenario(make)(body)


def test_folded_listings_return_one_row_per_common_prefix(make: Callable[[], Catalog]) -> None:
    async def body(cat: Catalog) -> None:
        await bucket(cat, versioning="Enabled")
        for key in ["d/gone", "d/x/1", "d/x/2", "d/y", "d/y/1", "d/y/2", "d/z/1", "e/1"]:
            await put(cat, "b", key)
        await put(cat, "b", "d/x/1")  # a second version
        await cat.write(lambda tx: objects.delete(tx, "b", "d/gone", None))  # latest is a delete marker
        await cat.write(lambda tx: objects.delete(tx, "b", "d/z/1", None))  # so is every key of d/z/
        fold = Fold(2, "/")  # prefix "d/", delimiter "/"
        latest = await cat.list_latest("b", ("d/", True), "d0", 10, fold)
        assert [r.key for r in latest] == ["d/x/1", "d/y", "d/y/1"]  # d/z/ holds no current object
        assert [r.key for r in await cat.list_latest("b", ("d/x/1", False), "d0", 10, fold)] == \
            ["d/x/2", "d/y", "d/y/1"]
        assert [r.key for r in await cat.list_latest("b", ("d/y", True), "d0", 2, fold)] == ["d/y", "d/y/1"]
        versions = await cat.list_versions("b", ("d/", 0, True), "d0", 10, fold)
        assert [(v.key, v.delete_marker) for v in versions] == [
            ("d/gone", True), ("d/gone", False), ("d/x/1", False), ("d/y", False), ("d/y/1", False),
            ("d/z/1", True)]
        newest = versions[2]  # after the newest version of d/x/1 comes its older one, which folds alike
        assert [v.key for v in await cat.list_versions("b", ("d/x/1", newest.id, False), "d0", 2, fold)] == \
            ["d/x/1", "d/y"]
        for key in ["d/x/1", "d/x/1", "d/x/2", "d/y", "e/1"]:
            await cat.write(lambda tx, k=key: uploads.create(tx, "b", k, NEW, None, None))
        listed = await cat.uploads("b", ("", 0, "", True), None, 10, Fold(0, "/"))
        assert [u.key for u in listed] == ["d/x/1", "e/1"]
        first = listed[0]
        after = await cat.uploads("b", (first.key, first.initiated, first.upload_id, False), "d0", 10, fold)
        assert [u.key for u in after] == ["d/x/1", "d/y"]  # the same key's next upload, then past d/x/
    scenario(make)(body)


def test_a_deleted_version_keeps_its_place_as_a_listing_marker(make: Callable[[], Catalog]) -> None:
    async def body(cat: Catalog) -> None:
        await bucket(cat, versioning="Enabled")
        ids = [(await put(cat, "b", "k")).version_id for _ in range(3)]
        await put(cat, "b", "other")  # a later row of another key: ids keep growing across keys
        middle = await cat.object_row("b", "k", ids[1])
        assert middle is not None
        await cat.write(lambda tx: objects.delete(tx, "b", "k", ids[1]))
        position = await cat.version_position("b", "k", ids[1])
        assert position is not None and middle.id - 1 < position <= middle.id  # nothing older reaches it
        after = await cat.list_versions("b", ("k", position, False), None, 10)
        assert [(v.key, v.version_id) for v in after] == [("k", ids[0]), ("other", after[1].version_id)]
        assert await cat.version_position("b", "k", "null") is None  # a null version gone has no place
        # ids from before positions are random bytes: theirs reads as a huge number, before every version
        legacy = base64.urlsafe_b64encode(bytes(8) + os.urandom(8) + b"\xa5" * 8).decode()
        assert (await cat.version_position("b", "k", legacy) or 0) > middle.id
    scenario(make)(body)


# -- blobs ----------------------------------------------------------------------------------------------
def test_blob_refcounts_shared_by_copies_are_freed_with_the_last_reference(make: Callable[[], Catalog],
                                                                          freed: Freed) -> None:
    async def body(cat: Catalog) -> None:
        await bucket(cat)
        await put(cat, "b", "src", b"data", blob="shared")

        def copy(tx: Tx) -> Any:
            src = objects.source(tx, "b", "src", None)
            placement, extents = objects.copy_refs(tx, src)
            return objects.put_version(tx, "b", "dst", NEW, NewVersion(src.size, src.etag, None, placement, extents),
                                       None)

        await cat.write(copy)
        await cat.write(lambda tx: objects.delete(tx, "b", "src", None))
        assert freed.ids == [] and await cat.blob("shared") is not None
        assert ("shared", "") in await cat.file_blobs()
        await cat.write(lambda tx: objects.delete(tx, "b", "dst", None))
        assert freed.ids == ["shared"] and await cat.blob("shared") is None
        assert await cat.write(blobs.refree_pending) == 0  # the garbage row went once deleted
    scenario(make)(body)


def test_garbage_left_by_a_crash_is_freed_again_by_recovery(make: Callable[[], Catalog], freed: Freed) -> None:
    async def body(cat: Catalog) -> None:
        await bucket(cat)
        await put(cat, "b", "k", blob="orphaned")

        def delete_without_collecting(tx: Tx) -> None:
            objects.delete(tx, "b", "k", None)
            tx.freed.clear()  # as if the process died between the commit and the unlink

        await cat.write(delete_without_collecting)
        assert freed.ids == []
        assert await cat.write(blobs.refree_pending) == 1
        assert freed.ids == ["orphaned"]
        assert await cat.write(blobs.refree_pending) == 0
    scenario(make)(body)


# -- uploads --------------------------------------------------------------------------------------------
def test_uploads_parts_completion_and_abort(make: Callable[[], Catalog], freed: Freed) -> None:
    async def body(cat: Catalog) -> None:
        await bucket(cat)
        up = await cat.write(lambda tx: uploads.create(tx, "b", "k", NEW, None, None))
        assert (await cat.upload("b", "k", up.upload_id)).initiated == up.initiated_ms
        assert await cat.upload_initiated(up.upload_id) == up.initiated_ms
        with pytest.raises(S3Error) as wrong_key:
            await cat.upload("b", "other", up.upload_id)
        assert wrong_key.value.code == Code.NoSuchUpload.name
        etag = "0" * 32

        def part(n: int, blob: str) -> Callable[[Tx], Any]:
            def fn(tx: Tx) -> Any:
                blobs.add(tx, blob, 10, None)
                return uploads.put_part(tx, "b", "k", up.upload_id, n, blob, 10, etag, Checksum("CRC32", "AAAAAA=="))
            return fn

        await cat.write(part(1, "p1"))
        await cat.write(part(1, "p1b"))  # re-uploading part 1 frees its first blob
        assert freed.ids == ["p1"]
        await cat.write(part(2, "p2"))
        listed = await cat.parts(up.upload_id, 0, 10)
        assert [(p.part_number, p.blob_id) for p in listed] == [(1, "p1b"), (2, "p2")]
        assert [u.upload_id for u in await cat.uploads("b", ("", 0, "", True), None, 10)] == [up.upload_id]
        with pytest.raises(S3Error) as small:
            await cat.write(lambda tx: complete(tx, "b", "k", up.upload_id,
                                                [CompletedPart(1, etag), CompletedPart(2, etag)], None))
        assert small.value.code == Code.EntityTooSmall.name
        info = await cat.write(lambda tx: complete(tx, "b", "k", up.upload_id, [CompletedPart(1, etag)], None))
        assert info.parts_count == 1 and info.size == 10
        assert "p2" in freed.ids and await cat.uploads("b", ("", 0, "", True), None, 10) == []
        row = await cat.object_row("b", "k", None)
        assert row is not None and [e.blob_id for e in await cat.extents(row.id)] == ["p1b"]
        again = await cat.write(lambda tx: complete(tx, "b", "k", up.upload_id, [CompletedPart(1, etag)], None))
        assert again.etag == info.etag  # a retried completion answers as the first did
        other = await cat.write(lambda tx: uploads.create(tx, "b", "k2", NEW, None, None))
        await cat.write(part_for(other.upload_id, etag))
        await cat.write(lambda tx: uploads.abort(tx, "b", "k2", other.upload_id))
        assert "p9" in freed.ids
        with pytest.raises(S3Error):
            await cat.upload("b", "k2", other.upload_id)
    scenario(make)(body)


def part_for(upload_id: str, etag: str) -> Callable[[Tx], Any]:
    def fn(tx: Tx) -> Any:
        blobs.add(tx, "p9", 3, None)
        return uploads.put_part(tx, "b", "k2", upload_id, 1, "p9", 3, etag, None)
    return fn


# -- settings, leases, transactions --------------------------------------------------------------------------
def test_clock_offset_setting(make: Callable[[], Catalog]) -> None:
    async def body(cat: Catalog) -> None:
        assert await cat.setting(settings.CLOCK_OFFSET) is None
        await cat.write(lambda tx: settings.advance_clock(tx, 1000))
        await cat.write(lambda tx: settings.advance_clock(tx, 500))
        assert await cat.setting(settings.CLOCK_OFFSET) == "1500"
        await bucket(cat)
        info = await put(cat, "b", "k")
        assert info.last_modified_ms >= time.time_ns() // 1_000_000 + 1000  # written on the shifted clock
    scenario(make)(body)


def test_leases_take_refuse_renew_and_expire(make: Callable[[], Catalog]) -> None:
    """On an explicit clock (the leases table's own rule), then once on the real one with wide margins:
    a loaded machine must not turn "still held" into "expired"."""
    async def body(cat: Catalog) -> None:
        def take(holder: str, now_ms: int, ttl_ms: int = 300, name: str = "maintenance") -> Callable[[Tx], bool]:
            return lambda tx: leases.take(tx, name, holder, now_ms, ttl_ms)

        assert await cat.write(take("w1", 1_000))
        assert not await cat.write(take("w2", 1_100))  # held by w1 until 1,300
        assert await cat.write(take("w1", 1_200))  # renewed: now until 1,500
        assert not await cat.write(take("w2", 1_400))  # the renewal pushed the expiry on
        assert await cat.write(take("w2", 1_500))  # w1 stopped renewing: expired, taken over
        assert not await cat.write(take("w1", 1_600))
        assert await cat.write(take("w1", 1_600, name="other-job"))  # leases are per name
        other = make()  # another worker process's handle, on the real clock
        try:
            await other.release("maintenance", "w2")
            assert await cat.lease("maintenance", "w1", 60)  # released: taken at once
            assert not await other.lease("maintenance", "w2", 60)
            assert await cat.lease("maintenance", "w1", 0.05)  # renewed with a short life...
            await asyncio.sleep(0.3)
            assert await other.lease("maintenance", "w2", 60)  # ...which ran out
            assert not await cat.lease("maintenance", "w1", 60)
        finally:
            await other.aclose()
    scenario(make)(body)


def test_a_live_lease_is_taken_only_from_the_holder_named_dead(make: Callable[[], Catalog]) -> None:
    async def body(cat: Catalog) -> None:
        other = make()
        try:
            assert await cat.lease("maintenance", "w1", 60)
            assert await other.lease_holder("maintenance") == "w1"
            assert not await other.lease("maintenance", "w2", 60, replacing="w3")  # w3 does not hold it
            assert await other.lease("maintenance", "w2", 60, replacing="w1")  # w1 is known dead
            assert await cat.lease_holder("maintenance") == "w2"
            assert not await cat.lease("maintenance", "w1", 60)
        finally:
            await other.aclose()
    scenario(make)(body)


def test_failing_write_rolls_back_alone_in_its_group_commit(make: Callable[[], Catalog], freed: Freed) -> None:
    async def body(cat: Catalog) -> None:
        await bucket(cat)
        await put(cat, "b", "victim", blob="victim-blob")

        def failing(tx: Tx) -> None:
            objects.delete(tx, "b", "victim", None)  # frees victim-blob
            objects.put_version(tx, "b", "half", NEW, NewVersion(1, "e", None, Placement(None, None, b"h")), None)
            raise RuntimeError("boom")

        await cat.write(lambda tx: notifications.configure(tx, "b", EVERYTHING, []))

        results = await asyncio.gather(put(cat, "b", "one"), cat.write(failing), put(cat, "b", "two"),
                                       return_exceptions=True)
        assert isinstance(results[1], RuntimeError)
        assert not isinstance(results[0], BaseException) and not isinstance(results[2], BaseException)
        assert await cat.object_row("b", "half", None) is None
        assert await cat.object_row("b", "victim", None) is not None and await cat.blob("victim-blob") is not None
        assert freed.ids == []
        assert sorted(e.key for e in await cat.outbox_pending("q", 10)) == ["one", "two"]  # not "half", nor victim's
        assert [r.key for r in await cat.list_latest("b", ("", True), None, 10)] == ["one", "two", "victim"]
        reopened = make()
        try:
            assert [r.key for r in await reopened.list_latest("b", ("", True), None, 10)] == ["one", "two", "victim"]
        finally:
            await reopened.aclose()
    scenario(make)(body)


EVERYTHING = Configuration((Rule("all", "queue", "arn:aws:sqs:us-east-1:000000000000:q", ("s3:ObjectCreated:*",
                                                                                       "s3:ObjectRemoved:*")),))


def test_events_are_outbox_rows_of_the_change_transaction(make: Callable[[], Catalog]) -> None:
    async def body(cat: Catalog) -> None:
        await bucket(cat)
        woken: list[int] = []
        cat.on_emitted = lambda: woken.append(1)
        await put(cat, "b", "before")  # no configuration yet: no event
        await cat.write(lambda tx: notifications.configure(tx, "b", EVERYTHING, [("q", "all")]))
        ORIGIN.set(Origin("AIDA1", "10.0.0.1", "REQ1", "HOST1", "PutObject"))
        await put(cat, "b", "k")
        await cat.write(lambda tx: objects.delete(tx, "b", "k", None))
        events = await cat.outbox_pending("q", 10)
        assert [(e.event_name, e.key) for e in events] == [("TestEvent", ""), ("ObjectCreated:Put", "k"),
                                                          ("ObjectRemoved:Delete", "k")]
        assert events[1].origin == Origin("AIDA1", "10.0.0.1", "REQ1", "HOST1")
        assert events[1].seq < events[2].seq and events[1].size == 1 and woken
        await cat.write(lambda tx: notifications.delivered(tx, [events[0].id]))
        assert len(await cat.outbox_pending("q", 10)) == 2
        reopened = make()  # durable: another handle (another worker, a restart) sees them
        try:
            assert [e.key for e in await reopened.outbox_pending("q", 10)] == ["k", "k"]
        finally:
            await reopened.aclose()
    scenario(make)(body)


def test_lifecycle_snapshot_finds_due_work(make: Callable[[], Catalog]) -> None:
    async def body(cat: Catalog) -> None:
        await bucket(cat, versioning="Enabled")
        await cat.write(lambda tx: buckets.put_config(tx, "b", "lifecycle", "{}"))
        for _ in range(3):
            await put(cat, "b", "logs/a")
        await put(cat, "b", "other")
        await cat.write(lambda tx: objects.delete(tx, "b", "gone", None))  # a lonely delete marker
        far = 2**62
        async with cat.snapshot() as snap:
            assert await snap.lifecycle_configs() == [("b", "{}")]
            assert await snap.versioning("b") == (True, "Enabled")
            assert await snap.versioning("nope") == (False, None)
            current = [r.key for batch in await collect(snap.due_current("b", "logs/", far, ("STANDARD",)))
                       for r in batch]
            assert current == ["logs/a"]
            noncurrent = await collect(snap.due_noncurrent("b", "", far, 1, ("STANDARD",)))
            assert sum(len(b) for b in noncurrent) == 1  # 2 noncurrent versions, the newest one kept
            markers = await collect(snap.lonely_markers("b", ""))
            assert [r.key for b in markers for r in b] == ["gone"]
    scenario(make)(body)


async def collect(batches: AsyncIterator[list[Any]]) -> list[list[Any]]:
    return [batch async for batch in batches]


# -- Object Lock ----------------------------------------------------------------------------------------
async def refused(cat: Catalog, fn: Callable[[Tx], Any]) -> str:
    with pytest.raises(S3Error) as caught:
        await cat.write(fn)
    return caught.value.code


def test_object_lock_is_enabled_once_and_checked_inside_the_writes(make: Callable[[], Catalog]) -> None:
    """Every Object Lock refusal is made by the write itself, against what its transaction reads."""

    async def body(cat: Catalog) -> None:
        await bucket(cat)
        config = LockConfiguration(DefaultRetention(COMPLIANCE, days=1))
        assert await refused(cat, lambda tx: buckets.set_object_lock(tx, "b", config)) == "InvalidBucketState"
        await cat.write(lambda tx: buckets.set_versioning(tx, "b", "Enabled"))
        await cat.write(lambda tx: buckets.set_object_lock(tx, "b", config))
        assert (await cat.bucket("b")).object_lock == config  # type: ignore[union-attr]
        assert await refused(cat, lambda tx: buckets.set_versioning(tx, "b", "Suspended")) == "InvalidBucketState"
        locked = await put(cat, "b", "k")  # the bucket's default: COMPLIANCE for a day from its creation
        assert locked.lock.retention.mode == COMPLIANCE
        assert locked.lock.retention.until_ms == locked.last_modified_ms + 86_400_000
        v1 = locked.version_id
        assert await refused(cat, lambda tx: objects.delete(tx, "b", "k", v1, bypass=True)) == "AccessDenied"
        shorter = Retention(COMPLIANCE, locked.last_modified_ms + 1000)
        assert await refused(cat, lambda tx: objects.set_retention(tx, "b", "k", None, shorter, True)) == "AccessDenied"
        assert (await cat.write(lambda tx: objects.delete(tx, "b", "k", None))).delete_marker  # markers are not refused
        now = await cat.write(settings.now_ms)
        new = NewObject(owner_id="owner", lock=ObjectLock(Retention(GOVERNANCE, now + 86_400_000), legal_hold=True))
        held = await cat.write(lambda tx: objects.put_version(
            tx, "b", "h", new, NewVersion(1, "e", None, Placement(None, None, b"x")), None))
        v2 = held.version_id
        await cat.write(lambda tx: objects.set_retention(tx, "b", "h", v2, None, True))  # GOVERNANCE bypassed
        assert await refused(cat, lambda tx: objects.delete(tx, "b", "h", v2)) == "AccessDenied"  # the hold stays
        await cat.write(lambda tx: objects.set_legal_hold(tx, "b", "h", v2, False))
        row = await cat.object_row("b", "h", v2)
        assert row is not None and row.lock == ObjectLock(None, False)
        await put(cat, "b", "h")
        ids = [r.id for r in [await cat.object_row("b", "k", v1), await cat.object_row("b", "h", v2)] if r]
        assert await cat.write(lambda tx: lifecycle.still_removable_noncurrent(tx, ids)) == ids[1:]  # k is locked
        await cat.write(lambda tx: objects.delete(tx, "b", "h", v2))
    scenario(make)(body)
