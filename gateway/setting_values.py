"""Parsing one raw setting value (a flag or an ``S3GATE_*`` variable) and rendering it back.

``gateway.settings`` names these in its table of options; each raises ConfigError on a bad value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from gateway.accounts import ConfigError
from storage_backends.base import FreeSpaceReserve

Parse = Callable[[str], object]
Render = Callable[[Any], "str | None"]
BACKENDS = ("local", "upstream")
BUCKET_DEFAULTS = ("aws", "legacy")
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def text(raw: str) -> str:
    return raw


def whole_number(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


def port(raw: str) -> int:
    number = whole_number("port", raw)
    if not 0 <= number <= 65535:
        raise ConfigError(f"port must be 0-65535, got {number}")
    return number


def at_least_one(name: str) -> Parse:
    def parse(raw: str) -> int:
        number = whole_number(name, raw)
        if number < 1:
            raise ConfigError(f"{name} must be at least 1, got {number}")
        return number

    return parse


def domains(raw: str) -> tuple[str, ...]:
    return tuple(d.strip().lower().strip(".") for d in raw.split(",") if d.strip())


def domain(raw: str) -> str:
    if len(found := domains(raw)) != 1:
        raise ConfigError(f"website-domain must be one domain, got {raw!r}")
    return found[0]


def seconds(name: str, *, allow_zero: bool = False) -> Parse:
    def parse(raw: str) -> float:
        try:
            seconds = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
        if seconds < 0 or (seconds == 0 and not allow_zero):
            raise ConfigError(f"{name} must be positive, got {raw!r}")
        return seconds

    return parse


def boolean(name: str) -> Parse:
    def parse(raw: str) -> bool:
        if raw.lower() not in TRUE + FALSE:
            raise ConfigError(f"{name} must be true or false, got {raw!r}")
        return raw.lower() in TRUE

    return parse


def class_dirs(raw: str) -> tuple[tuple[str, str], ...]:
    """``GLACIER=/mnt/cold,DEEP_ARCHIVE=/mnt/cold`` -> ((class, dir), ...)."""
    from gateway.wire.lifecycle_rules import TRANSITION_CLASSES

    pairs = []
    for item in raw.split(","):
        storage_class, sep, directory = item.partition("=")
        storage_class = storage_class.strip().upper()
        if not sep or not directory.strip():
            raise ConfigError(f"storage-class-dir entries look like CLASS=DIRECTORY, got {item!r}")
        if storage_class not in TRANSITION_CLASSES:
            raise ConfigError(f"storage-class-dir: {storage_class!r} is not a storage class objects can move to "
                              f"({', '.join(TRANSITION_CLASSES)})")
        pairs.append((storage_class, directory.strip()))
    return tuple(pairs)


_TARGET_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_NEXT_TARGET = re.compile(r",(?=[A-Za-z0-9_-]{1,80}=)")  # a comma that starts the next NAME=


def notify_targets(raw: str) -> tuple[tuple[str, str], ...]:
    """``NAME=URL,NAME=URL`` (a comma inside a URL stays there unless ``NAME=`` follows it)."""
    pairs: list[tuple[str, str]] = []
    for item in _NEXT_TARGET.split(raw):
        name, sep, url = item.strip().partition("=")
        if not sep or not url.strip():
            raise ConfigError(f"notify-target entries look like NAME=URL, got {item!r}")
        if not _TARGET_NAME.fullmatch(name):
            raise ConfigError(f"notify-target name {name!r}: 1-80 letters, digits, '-' or '_' (it is the last part "
                              "of the ARN a bucket's notification configuration names)")
        if any(name == n for n, _ in pairs):
            raise ConfigError(f"notify-target {name!r} is declared twice")
        pairs.append((name, url.strip()))
    return tuple(pairs)


def render_targets(value: tuple[tuple[str, str], ...]) -> str | None:
    return ",".join(f"{n}={u}" for n, u in value) or None


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)", re.IGNORECASE)
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(name: str) -> Parse:
    def parse(raw: str) -> float:
        match = _DURATION.fullmatch(raw.strip())
        if match is None or float(match[1]) <= 0:
            raise ConfigError(f"{name} must be a positive duration: seconds, or a number with s, m, h or d "
                              f"(24h), got {raw!r}")
        return float(match[1]) * _DURATION_UNITS[match[2].lower()]

    return parse


def render_class_dirs(value: tuple[tuple[str, str], ...]) -> str | None:
    return ",".join(f"{c}={d}" for c, d in value) or None


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]i?)?b?", re.IGNORECASE)
_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
          "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}


def kms_keys(raw: str) -> tuple[str, ...]:
    from gateway.wire import sse

    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    for key in keys:
        if sse.parse_kms_arn(sse.kms_arn(key, "region", "000000000000")) is None:
            raise ConfigError(f"kms-key {key!r}: not a KMS key id, alias/NAME, or arn:aws:kms:REGION:ACCOUNT:key/ID "
                              "(or :alias/NAME)")
    return keys


def min_free_space(raw: str) -> FreeSpaceReserve:
    """``1%`` (of each file system's size), ``500MB``, ``2GiB``, ``1048576`` (bytes) or ``0`` (no reserve)."""
    text = raw.strip()
    if text.endswith("%"):
        try:
            percent = float(text[:-1])
        except ValueError:
            percent = -1.0
        if not 0 <= percent < 100:
            raise ConfigError(f"min-free-space: a percentage is 0% to 99%, got {raw!r}")
        return FreeSpaceReserve(percent=percent)
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ConfigError(f"min-free-space must be a percentage (1%) or a size (500MB, 2GiB, bytes), got {raw!r}")
    return FreeSpaceReserve(size=int(float(match[1]) * _UNITS[(match[2] or "").lower()]))


def render_min_free_space(value: FreeSpaceReserve) -> str:
    return f"{value.percent:g}%" if not value.size else str(value.size)
