"""Holder ids: a PID is checked only for a holder of this host, boot and PID namespace; others wait for their TTL."""

from __future__ import annotations

import asyncio
import os
import subprocess
from dataclasses import replace
from pathlib import Path

from storage_backends import holders
from storage_backends.catalog.dialects import open_catalog
from storage_backends.holders import Holder, dead_here, new_holder, parse, take_lease


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_ids_round_trip_and_are_safe_file_names() -> None:
    me = new_holder()
    assert parse(str(me)) == me
    assert me.pid == os.getpid() and holders.ours(me)
    assert not set(str(me)) & set(":/\\")
    assert new_holder().token != me.token
    odd = Holder("build_box_7", "b00t", "4026531836", 12, "cafe0001")  # the host may hold the separator
    assert parse(str(odd)) == odd


def test_unparseable_ids_are_never_dead() -> None:
    for text in (None, "", "vm:123:abcd", "a_b_c_notapid_t", "_boot_ns_1_tok", f"host:{_dead_pid()}:abcd"):
        assert parse(text) is None or not holders.ours(parse(text))  # type: ignore[arg-type]
        assert not dead_here(text)


def test_a_dead_pid_is_dead_only_on_this_host_boot_and_pid_namespace() -> None:
    dead = replace(new_holder(), pid=_dead_pid())
    assert dead_here(str(dead))
    assert not dead_here(str(new_holder()))  # this process: alive
    for other in (replace(dead, host="other-host"), replace(dead, boot="0" * 32), replace(dead, pidns="1")):
        assert not dead_here(str(other)), other  # its pid means nothing here: only the lease's TTL counts
    container = replace(dead, host="container-7", pidns="1")  # on this kernel: its flocks are ours to test
    assert holders.same_kernel(container) and not holders.same_kernel(replace(dead, boot="0" * 32))


def test_leases_replace_a_dead_local_holder_at_once_and_wait_for_a_remote_one(tmp_path: Path) -> None:
    async def body() -> None:
        cat = open_catalog("sqlite", str(tmp_path / "metadata.db"))
        try:
            me = str(new_holder())
            remote = str(replace(new_holder(), host="gateway-2", pid=_dead_pid()))
            assert await take_lease(cat, "job", remote, 60)
            assert not await take_lease(cat, "job", me, 60)  # another host's: alive until its TTL
            await cat.release("job", remote)
            local_dead = str(replace(new_holder(), pid=_dead_pid()))
            assert await take_lease(cat, "job", local_dead, 60)
            assert await take_lease(cat, "job", me, 60)  # a dead process of ours: replaced at once
            assert await take_lease(cat, "job", me, 60, held=True)  # renewed
            assert await cat.lease_holder("job") == me
        finally:
            await cat.aclose()

    asyncio.run(body())
