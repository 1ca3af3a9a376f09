"""What a CompleteMultipartUpload request asserts about the object it makes, and S3's checks of it.

Its ``x-amz-checksum-<algorithm>`` header is the expected checksum of the *object* (the full-object
value, or for a COMPOSITE upload the checksum of the part checksums, ``-N`` optional), not of the
XML body; ``x-amz-checksum-type`` must be the upload's type ("it'll result in a BadDigest error")
and ``x-amz-mp-object-size`` its size. The gateway parses the headers; a backend that makes the
object checks them, and the listed parts' checksums, before it commits anything (the upstream
backend forwards them for the upstream to check). Every rule goes through the checksum registry,
so an algorithm added there is checked like the others.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.wire import checksums
from gateway.wire.checksums import Checksum
from gateway.wire.documents.multipart import CompletedPart
from gateway.wire.errors import Code, S3Error
from gateway.wire.headers import CHECKSUM_TYPE

OBJECT_SIZE = "x-amz-mp-object-size"
CHECKSUM_TYPES = ("COMPOSITE", "FULL_OBJECT")
_COMPOSITE_VALUE = re.compile(r"(.*)-([0-9]+)")


@dataclass(frozen=True, slots=True)
class CompletionChecks:
    """The request's assertions; ``checksum.value`` is as sent (a composite one may end in ``-N``)."""

    checksum: Checksum | None = None
    checksum_type: str | None = None
    object_size: int | None = None

    def headers(self) -> dict[str, str]:
        """The headers that assert them, to forward."""
        out: dict[str, str] = {}
        if self.checksum is not None:
            out[checksums.header_name(self.checksum.algorithm)] = self.checksum.value
        if self.checksum_type is not None:
            out[CHECKSUM_TYPE] = self.checksum_type
        if self.object_size is not None:
            out[OBJECT_SIZE] = str(self.object_size)
        return out


def parse_headers(headers: Mapping[str, str]) -> CompletionChecks:
    """InvalidRequest for more than one checksum, or a malformed checksum, type or size."""
    found = [(algo, value) for name, value in headers.items() if (algo := checksums.algorithm_of_header(name))]
    if len(found) > 1:
        raise S3Error(Code.InvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are "
                      "not allowed.")
    expected = None
    if found:
        algorithm, value = found[0]
        composite = _COMPOSITE_VALUE.fullmatch(value)
        if not checksums.is_valid_value(algorithm, composite.group(1) if composite else value):
            raise S3Error(Code.InvalidRequest, f"Value for {checksums.header_name(algorithm)} header is invalid.")
        expected = Checksum(algorithm, value)
    return CompletionChecks(expected, checksum_type(headers.get(CHECKSUM_TYPE)), _object_size(headers.get(OBJECT_SIZE)))


def checksum_type(raw: str | None) -> str | None:
    """An ``x-amz-checksum-type`` header (CreateMultipartUpload's too), upper-cased; InvalidRequest if unknown."""
    if raw is None:
        return None
    if raw.upper() not in CHECKSUM_TYPES:
        raise S3Error(Code.InvalidRequest, "Value for x-amz-checksum-type header is invalid.")
    return raw.upper()


def _object_size(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        size = int(raw)
    except ValueError:
        raise S3Error(Code.InvalidRequest, f"Value for {OBJECT_SIZE} header is invalid: '{raw}'") from None
    if size < 0:
        raise S3Error(Code.InvalidRequest, f"Value for {OBJECT_SIZE} header is less than zero: '{raw}'")
    return size


def check_upload(checks: CompletionChecks, algorithm: str | None, checksum_type: str | None) -> None:
    """The assertions that need only the upload: its type, and its algorithm (an upload created
    without one makes a FULL_OBJECT checksum, S3's CRC64NVME default)."""
    made = checksum_type or "FULL_OBJECT"
    if checks.checksum_type is not None and checks.checksum_type != made:
        raise S3Error(Code.BadDigest, f"The upload was created using the {made} checksum mode. The complete "
                      "request must use the same checksum mode.")
    if checks.checksum is not None and algorithm is not None and checks.checksum.algorithm != algorithm:
        raise S3Error(Code.InvalidRequest, f"Checksum Type mismatch occurred, expected checksum Type: "
                      f"{algorithm.lower()}, actual checksum Type: {checks.checksum.algorithm.lower()}")


def check_part(part: CompletedPart, stored: Checksum | None, algorithm: str | None, checksum_type: str | None,
               upload_id: str) -> None:
    """A listed part's checksums against the stored part: a COMPOSITE upload needs each part's, in
    the upload's algorithm (another one is BadDigest); a different value names no part (InvalidPart)."""
    sent = part.checksums
    if algorithm is not None:
        for other in sent:
            if other != algorithm:
                raise S3Error(Code.BadDigest, f"The {other.lower()} you specified for part {part.part_number} did "
                              "not match what we received.")
        if algorithm not in sent and checksum_type == "COMPOSITE":
            raise S3Error(Code.InvalidRequest, f"The upload was created using a {algorithm.lower()} checksum. The "
                          "complete request must include the checksum for each part. It was missing for part "
                          f"{part.part_number} in the request.")
    if stored is not None and stored.algorithm in sent and sent[stored.algorithm] != stored.value:
        raise S3Error(Code.InvalidPart, PartNumber=str(part.part_number), ETag=part.etag, UploadId=upload_id)


def check_object(checks: CompletionChecks, made: Checksum | None, size: int) -> None:
    """The assertions about the object about to be made: its size and its checksum (which can be
    checked only in the algorithm the object's checksum has)."""
    if checks.object_size is not None and checks.object_size != size:
        raise S3Error(Code.InvalidRequest, f"The provided '{OBJECT_SIZE}' header value {checks.object_size} does "
                      f"not match what was computed: {size}")
    expected = checks.checksum
    if expected is None or made is None or made.algorithm != expected.algorithm:
        return
    accepted = {made.value}
    if made.type == "COMPOSITE":
        accepted.add(made.value.rpartition("-")[0])
    if expected.value not in accepted:
        raise S3Error(Code.BadDigest, f"The {made.algorithm} you specified did not match the calculated checksum.")
