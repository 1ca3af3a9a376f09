"""A bucket shaped like a photo app's, and what a delimiter listing of it must show.

``users/<id>/<photo>.jpg`` for many users, a few files between the folders and a deeper album,
so pages of a delimiter listing end on common prefixes and on keys alike.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

PREFIX = "users/"


def photo_keys(users: int = 40) -> list[str]:
    keys = [f"users/{u:03d}/{p}.jpg" for u in range(users) for p in range(2)]
    keys += [f"users/{u:03d}.txt" for u in range(0, users, 6)]  # sorts just before its folder
    keys += ["users/", "users/007/album/1.jpg", "top.txt"]  # a folder marker, a deeper key, one outside
    return sorted(keys)


def rolled_up(keys: list[str], delimiter: str = "/") -> list[str]:
    """The entries of a listing of ``keys`` under PREFIX, in order: keys, and common prefixes once each."""
    out: list[str] = []
    for key in sorted(k for k in keys if k.startswith(PREFIX)):
        at = key.find(delimiter, len(PREFIX))
        entry = key if at < 0 else key[: at + len(delimiter)]
        if entry not in out[-1:]:
            out.append(entry)
    return out


def each(fn: Callable[[str], object], keys: list[str]) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fn, keys))
