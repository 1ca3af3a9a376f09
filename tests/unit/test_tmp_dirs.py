"""Temp directories in a shared data dir: this host's are swept by their flock, another host's by the age
of their heartbeat on the file system's clock."""

from __future__ import annotations

import fcntl
import os
from dataclasses import replace
from pathlib import Path

from storage_backends.holders import new_holder
from storage_backends.local.tmp_dirs import CLAIM_LOCK, HEARTBEAT, LOCK, STALE_S, TempDir, sweep


def _fs_now(root: Path) -> float:
    probe = root / "probe"
    probe.touch()
    return probe.stat().st_mtime


def _other_hosts_dir(root: Path, host: str, beat_age_s: float | None, dir_age_s: float) -> Path:
    """A temp dir as a gateway on ``host`` made it; its heartbeat (if any) and itself aged by the FS's clock."""
    path = root / str(replace(new_holder(), host=host, boot="f" * 32))
    path.mkdir()
    (path / LOCK).touch()  # its flock is held on that host: here it looks free
    now = _fs_now(root)
    if beat_age_s is not None:
        (path / HEARTBEAT).touch()
        os.utime(path / HEARTBEAT, (now - beat_age_s, now - beat_age_s))
    os.utime(path, (now - dir_age_s, now - dir_age_s))
    return path


def test_another_hosts_dir_lives_until_its_heartbeat_is_an_hour_old(tmp_path: Path) -> None:
    beating = _other_hosts_dir(tmp_path, "gw-2", beat_age_s=60, dir_age_s=2 * STALE_S)
    claiming = _other_hosts_dir(tmp_path, "gw-3", beat_age_s=None, dir_age_s=1)  # between mkdir and heartbeat
    stale = _other_hosts_dir(tmp_path, "gw-4", beat_age_s=STALE_S + 120, dir_age_s=STALE_S + 120)
    silent = _other_hosts_dir(tmp_path, "gw-5", beat_age_s=None, dir_age_s=STALE_S + 120)
    removed = sweep(tmp_path)
    assert sorted(removed) == sorted([stale.name, silent.name])
    assert beating.exists() and claiming.exists() and not stale.exists() and not silent.exists()


def test_this_hosts_dirs_are_swept_by_their_flock_whatever_their_age(tmp_path: Path) -> None:
    live = tmp_path / str(new_holder())
    dead = tmp_path / str(new_holder())
    legacy = tmp_path / "4242-cafe0001"  # an older gateway's name: one host only, so its flock tells
    for path in (live, dead, legacy):
        path.mkdir()
        (path / LOCK).touch()
    held = os.open(live / LOCK, os.O_RDWR)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)  # another open file: conflicts as another process's would
        os.utime(live / LOCK, (0, 0))  # no heartbeat needed here
        assert sorted(sweep(tmp_path)) == sorted([dead.name, legacy.name])
        assert live.exists()
    finally:
        os.close(held)
    assert sweep(tmp_path) == [live.name]


def test_claims_beat_and_release(tmp_path: Path) -> None:
    stale = _other_hosts_dir(tmp_path, "gw-9", beat_age_s=STALE_S + 1, dir_age_s=STALE_S + 1)
    first, second = TempDir(tmp_path), TempDir(tmp_path)
    mine = first.claim()
    assert not stale.exists()  # swept on claiming
    assert mine.name == str(first.path.name if first.path else "") and (mine / HEARTBEAT).exists()
    os.utime(mine / HEARTBEAT, (0, 0))
    theirs = second.claim()  # does not take the first's directory for dead
    assert mine.exists() and theirs.exists() and mine != theirs
    first.beat()
    assert (mine / HEARTBEAT).stat().st_mtime >= _fs_now(tmp_path) - 5
    later = _other_hosts_dir(tmp_path, "gw-8", beat_age_s=STALE_S + 1, dir_age_s=STALE_S + 1)
    second.beat()  # each beat sweeps too
    assert not later.exists()
    first.release()
    second.release()
    assert sorted(p.name for p in tmp_path.iterdir()) == [CLAIM_LOCK, "probe"]
