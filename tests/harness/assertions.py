"""Checking answers: the error code and status of a boto3 failure or of a raw reply; byte-exact payloads."""

from __future__ import annotations

import httpx
import pytest
from botocore.exceptions import ClientError


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def status(exc: pytest.ExceptionInfo[ClientError]) -> int:
    return int(exc.value.response["ResponseMetadata"]["HTTPStatusCode"])


def error_code_of(response: httpx.Response) -> str:
    from lxml import etree

    return str(etree.fromstring(response.content).findtext("Code"))


def assert_same_bytes(got: bytes, want: bytes) -> None:
    """``got == want``, failing with sizes and the first differing offset.

    A plain ``assert`` on payloads of hundreds of KiB or more is a trap: pytest's diff of two long
    byte strings is quadratic, and with ``-vv`` or under CI (``CI`` set: no truncation) it ran
    for hours before the per-test timeout ended the whole run.
    """
    __tracebackhide__ = True
    if got == want:
        return
    block = 64 * 1024  # find the differing block with C-speed compares, then the byte within it
    start = next(i for i in range(0, max(len(got), len(want)), block) if got[i:i + block] != want[i:i + block])
    pairs = zip(got[start:start + block], want[start:start + block], strict=False)
    at = start + next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(got), len(want)) - start)
    raise AssertionError(f"payloads differ: got {len(got)} bytes, want {len(want)}; first difference at byte {at}")
