"""An opened version of the local backend: the pieces of blobs a read serves, plaintext or sealed."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

from gateway.wire.errors import Code, S3Error
from storage_backends.base import Checksum, ObjectInfo
from storage_backends.catalog import records as rec
from storage_backends.catalog.records import Extent
from storage_backends.local.blobs import read_fd
from storage_backends.local.sealed import Opened, read_sealed


@dataclass(frozen=True, slots=True)
class Piece:
    """``length`` plaintext bytes at ``offset`` of one blob: an open descriptor, or bytes in memory
    (inline bodies, already decrypted); ``sealed`` when the descriptor's file is a sealed blob."""

    source: int | bytes
    offset: int
    length: int
    sealed: Opened | None = None


def close_pieces(pieces: list[Piece]) -> None:
    for piece in pieces:
        if isinstance(piece.source, int):
            os.close(piece.source)


class LocalObjectStream:
    """An opened version: descriptors (or inline bytes) for just the extents the range needs; of a
    sealed blob, only the chunks the range touches are read and decrypted."""

    def __init__(self, info: ObjectInfo, start: int, end: int, checksum: Checksum | None,
                 pieces: list[Piece]) -> None:
        self.info = info
        self.start = start
        self.end = end
        self.checksum = checksum
        self._pieces = pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            if isinstance(piece.source, bytes):
                yield piece.source[piece.offset: piece.offset + piece.length]
            elif piece.sealed is not None:
                async for chunk in read_sealed(piece.source, piece.sealed, piece.offset, piece.length):
                    yield chunk
            else:
                async for chunk in read_fd(piece.source, piece.offset, piece.length):
                    yield chunk

    async def aclose(self) -> None:
        close_pieces(self._pieces)
        self._pieces = []


def part_range(info: ObjectInfo, extents: list[Extent], part_number: int) -> tuple[int, int, Checksum | None]:
    """Byte range and checksum of part N (a single-part object is its own part 1).

    A COMPOSITE object has a checksum per part; a FULL_OBJECT one only for the whole, which is
    reported when the part is the whole object (S3 does the same, as for a whole-object range).
    """
    count = info.parts_count or 1
    if not 1 <= part_number <= count:
        raise S3Error(Code.InvalidPartNumber, PartNumberRequested=str(part_number), ActualPartCount=str(count))
    if not info.parts_count:
        return 0, info.size - 1, info.checksum
    offset = 0
    for extent in extents:
        if extent.part_number == part_number:
            checksum = rec.part_checksum(extent.checksum)
            if checksum is not None and info.checksum is not None and info.checksum.type == "COMPOSITE":
                checksum = Checksum(checksum.algorithm, checksum.value, "COMPOSITE")
            else:
                checksum = info.checksum if extent.size == info.size else None
            return extent.start, extent.start + extent.size - 1, checksum
        offset = extent.start + extent.size
    return offset, offset - 1, None  # an empty part
