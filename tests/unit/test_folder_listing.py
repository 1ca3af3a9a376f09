"""Delimiter listings through the local backend (a real catalog, no server).

Every page walk is checked against a brute-force fold of the plain listing, for objects, versions
and uploads, with markers landing on keys, inside common prefixes and on common prefixes. The
bound tests count what a page of 1,000 common prefixes reads: the rows the catalog hands back
and, for SQLite, the virtual machine instructions it runs (rows scanned cost instructions, an
index seek costs one), so neither depends on the machine's speed.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from storage_backends.base import NewObject
from storage_backends.catalog.records import NewVersion, Placement, common_prefix
from storage_backends.catalog.sql import objects, uploads
from storage_backends.catalog.store import Tx
from storage_backends.local.backend import LocalBackend

NEW = NewObject(owner_id="owner")
Entry = tuple[str, ...]  # ("prefix", common prefix) or ("row", key, version or upload id)
SEGMENTS = ["a", "b", "ab", "é", "😀", "\U0010ffff", "z"]


def run(tmp_path: Path, body: Callable[[LocalBackend], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        backend = LocalBackend(tmp_path / "data")
        await backend.start()
        try:
            return await body(backend)
        finally:
            await backend.aclose()
    return asyncio.run(main())


def random_keys(seed: int, count: int) -> list[str]:
    rnd = random.Random(seed)
    keys = set()
    while len(keys) < count:
        parts = [rnd.choice(SEGMENTS) for _ in range(rnd.randint(1, 4))]
        key = "".join(p + rnd.choice(["/", "/", "--", ""]) for p in parts[:-1]) + parts[-1]
        keys.add(key + rnd.choice(["", "", "/"]))  # some keys end with the delimiter, like folder markers
    return sorted(keys)


async def seed(backend: LocalBackend, keys: list[str]) -> None:
    """A versioned bucket: keys with 1-3 versions, some hidden by a delete marker, some with uploads."""
    await backend.create_bucket("b", region="us-east-1", owner_id="owner")
    await backend.put_bucket_versioning("b", "Enabled")
    rnd = random.Random(7)

    def fill(tx: Tx) -> None:
        for key in keys:
            for _ in range(rnd.randint(1, 3)):
                objects.put_version(tx, "b", key, NEW, NewVersion(0, "e", None, Placement(None, None, b"")), None)
            if rnd.random() < 0.2:
                objects.delete(tx, "b", key, None)
            for _ in range(rnd.choice([0, 0, 1, 2])):
                uploads.create(tx, "b", key, NEW, None, None)
    await backend.catalog.write(fill)  # type: ignore[union-attr]


def folded(rows: list[tuple[str, str]], prefix: str, delimiter: str, marker: str) -> list[Entry]:
    """What a delimiter listing shows of ``rows`` (ordered, all after the marker): the reference."""
    out: list[Entry] = []
    for key, ident in rows:
        common = common_prefix(key, len(prefix), delimiter) if delimiter else None
        if common is None:
            out.append(("row", key, ident))
        elif not marker.startswith(common) and ("prefix", common) not in out[-1:]:
            out.append(("prefix", common))
    return out


Lister = Callable[..., Awaitable[tuple[list[Entry], bool, str | None, str | None]]]


def listers(backend: LocalBackend) -> dict[str, Lister]:
    """Each listing as (entries, truncated, next key marker, next id marker) of one page."""
    async def objects_page(prefix: str, delimiter: str, key: str, ident: str, limit: int) -> Any:
        page = await backend.list_objects("b", prefix=prefix, delimiter=delimiter, after=key, limit=limit)
        entries = [("row", o.key, "") for o in page.objects] + [("prefix", p) for p in page.common_prefixes]
        return entries, page.is_truncated, page.next_marker, None

    async def versions_page(prefix: str, delimiter: str, key: str, ident: str, limit: int) -> Any:
        page = await backend.list_object_versions("b", prefix=prefix, delimiter=delimiter, key_marker=key,
                                                  version_id_marker=ident, limit=limit)
        entries = [("row", v.key, v.version_id or "") for v in page.versions]
        return entries + [("prefix", p) for p in page.common_prefixes], page.is_truncated, \
            page.next_key_marker, page.next_version_id_marker

    async def uploads_page(prefix: str, delimiter: str, key: str, ident: str, limit: int) -> Any:
        page = await backend.list_multipart_uploads("b", prefix=prefix, delimiter=delimiter, key_marker=key,
                                                    upload_id_marker=ident, limit=limit)
        entries = [("row", u.key, u.upload_id) for u in page.uploads]
        return entries + [("prefix", p) for p in page.common_prefixes], page.is_truncated, \
            page.next_key_marker, page.next_upload_id_marker

    return {"objects": objects_page, "versions": versions_page, "uploads": uploads_page}


def in_order(entries: list[Entry]) -> list[Entry]:
    """A page's entries in key order (a page lists rows and common prefixes apart)."""
    return sorted(entries, key=lambda e: (e[1], e[0] == "row"))  # a common prefix before a key equal to it


async def walk(lister: Lister, prefix: str, delimiter: str, key: str, ident: str, limit: int) -> list[Entry]:
    seen: list[Entry] = []
    while True:
        entries, truncated, next_key, next_ident = await lister(prefix, delimiter, key, ident, limit)
        assert len(entries) <= limit
        page = in_order(entries)
        seen += page
        if not truncated:
            return seen
        assert page and next_key == page[-1][1]  # the marker is the last entry shown
        key, ident = next_key, next_ident or ""


async def all_rows(lister: Lister, prefix: str) -> list[tuple[str, str]]:
    entries, truncated, _, _ = await lister(prefix, "", "", "", 100_000)
    assert not truncated
    return [(e[1], e[2]) for e in entries]


def markers(rows: list[tuple[str, str]], rnd: random.Random) -> Iterator[tuple[str, str, int]]:
    """Starting points: none, a row (key and id), a key alone, and common-prefix-like strings."""
    yield "", "", 0
    if rows:
        at = rnd.randrange(len(rows))
        yield rows[at][0], rows[at][1], at + 1
    for text in ("a/", "a", "b--", "é/😀/", "a/\U0010ffff/"):
        yield text, "", sum(1 for k, _ in rows if k <= text)


@pytest.mark.parametrize("kind", ["objects", "versions", "uploads"])
def test_delimiter_pages_match_a_brute_force_fold(tmp_path: Path, kind: str) -> None:
    keys = random_keys(12, 160)
    rnd = random.Random(3)

    async def body(backend: LocalBackend) -> None:
        await seed(backend, keys)
        lister = listers(backend)[kind]
        for prefix in ("", "a", "a/", "é/"):
            rows = await all_rows(lister, prefix)
            assert rows and all(k.startswith(prefix) for k, _ in rows)
            for delimiter in ("/", "--", "😀", "\U0010ffff", "é/"):
                for key, ident, after in markers(rows, rnd):
                    if kind == "objects":
                        ident = ""
                    elif not ident:
                        after = sum(1 for k, _ in rows if k <= key)
                    expected = folded(rows[after:], prefix, delimiter, key)
                    for limit in (1, 3, 1000):
                        got = await walk(lister, prefix, delimiter, key, ident, limit)
                        assert got == expected, (prefix, delimiter, key, ident, limit)

    run(tmp_path, body)


# -- what a page of common prefixes reads ----------------------------------------------------------------
class Counted:
    """A backend's real catalog, counting the listing calls and the rows they hand back."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls, self.rows = inner, 0, 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name not in ("list_latest", "list_versions", "uploads"):
            return attr

        async def counted(*args: Any, **kwargs: Any) -> Any:
            rows = await attr(*args, **kwargs)
            self.calls += 1
            self.rows += len(rows)
            return rows
        return counted


async def photos(backend: LocalBackend, bucket: str, users: int, per_user: int) -> None:
    """``users/<id>/<photo>.jpg``: a folder per user, as a photo app keeps them, plus an upload each."""
    await backend.create_bucket(bucket, region="us-east-1", owner_id="owner")
    keys = [f"users/{u:04d}/{p:03d}.jpg" for u in range(users) for p in range(per_user)]

    def fill(tx: Tx) -> None:
        objects.bulk_insert(tx, [(bucket, k, "null", 1, 0, "e", 0, "STANDARD", "owner", None, None) for k in keys])
        for key in keys:
            uploads.create(tx, bucket, key, NEW, None, None)
    await backend.catalog.write(fill)  # type: ignore[union-attr]


def folder_listings(backend: LocalBackend, bucket: str, delimiter: str = "/") -> dict[str, Callable[[], Any]]:
    return {
        "objects": lambda: backend.list_objects(bucket, prefix="users/", delimiter=delimiter),
        "versions": lambda: backend.list_object_versions(bucket, prefix="users/", delimiter=delimiter),
        "uploads": lambda: backend.list_multipart_uploads(bucket, prefix="users/", delimiter=delimiter),
    }


def test_a_page_of_common_prefixes_reads_one_row_per_prefix(tmp_path: Path) -> None:
    async def body(backend: LocalBackend) -> None:
        await photos(backend, "wide", 1000, 20)
        counted = Counted(backend.catalog)
        backend.catalog = counted  # type: ignore[assignment]
        for kind, listing in folder_listings(backend, "wide").items():
            counted.calls = counted.rows = 0
            page = await listing()
            assert len(page.common_prefixes) == 1000 and page.common_prefixes[-1] == "users/0999/", kind
            assert not page.is_truncated
            # one fetch of a page and the row that would say it is truncated (there is none);
            # each re-seek used to fetch 1,001 rows and use one: about 20,000 rows here, 10^6 at 10^6 keys
            assert (counted.calls, counted.rows) == (1, 1000), kind

    run(tmp_path, body)


def test_sqlite_work_per_page_of_prefixes_does_not_grow_with_the_keys_under_them(tmp_path: Path) -> None:
    """Instructions of SQLite's virtual machine per listing: a row scanned costs several, a seek one."""
    async def body(backend: LocalBackend) -> None:
        await photos(backend, "thin", 1000, 1)
        await photos(backend, "wide", 1000, 20)
        conn = backend.catalog._conn  # type: ignore[union-attr]  # the SQLite dialect's read connection
        ticks = 0

        def tick() -> int:
            nonlocal ticks
            ticks += 1
            return 0

        async def cost(listing: Callable[[], Any]) -> int:
            nonlocal ticks
            ticks = 0
            conn.set_progress_handler(tick, 100)
            try:
                await listing()
            finally:
                conn.set_progress_handler(None, 100)
            return ticks

        for kind in ("objects", "versions", "uploads"):
            plain = await cost(folder_listings(backend, "thin", "")[kind])  # 1,000 keys, no delimiter
            thin = await cost(folder_listings(backend, "thin")[kind])  # 1,000 prefixes of 1 key
            wide = await cost(folder_listings(backend, "wide")[kind])  # 1,000 prefixes of 20 keys
            assert wide <= 1.2 * thin + 10, (kind, thin, wide)
            assert wide <= 10 * plain, (kind, plain, wide)  # a seek per entry; a scan was ~1,000 rows per entry

    run(tmp_path, body)
