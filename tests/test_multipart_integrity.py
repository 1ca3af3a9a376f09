"""The checksums GET/HEAD ?partNumber report for multipart uploads."""

from __future__ import annotations

import os

import pytest

from tests.harness.clients import upload
from tests.harness.payloads import MiB, checksum

PARTS = [os.urandom(5 * MiB), b"the last part"]


@pytest.mark.differs("upstream-moto", reason="moto ignores partNumber on GET/HEAD and serves the whole object")
@pytest.mark.parametrize("kind", ["FULL_OBJECT", "COMPOSITE"])
def test_part_number_reads_report_the_checksum_s3_has_for_the_part(s3, bucket, kind):
    """A COMPOSITE object has a checksum per part; a FULL_OBJECT one only for the whole object, so a
    part read reports it when the part is the whole object (a one-part upload) and nothing otherwise."""
    for key, parts in (("two", PARTS), ("one", PARTS[1:])):
        upload_id, done = upload(s3, bucket, key, parts, ChecksumAlgorithm="CRC32", ChecksumType=kind)
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done})
    for read in (s3.get_object, s3.head_object):
        first = read(Bucket=bucket, Key="two", PartNumber=1, ChecksumMode="ENABLED")
        whole = read(Bucket=bucket, Key="one", PartNumber=1, ChecksumMode="ENABLED")
        if kind == "COMPOSITE":
            assert (first["ChecksumCRC32"], first["ChecksumType"]) == (checksum("CRC32", PARTS[0]), "COMPOSITE")
            assert (whole["ChecksumCRC32"], whole["ChecksumType"]) == (checksum("CRC32", PARTS[1]), "COMPOSITE")
        else:
            assert "ChecksumCRC32" not in first and "ChecksumType" not in first
            assert (whole["ChecksumCRC32"], whole["ChecksumType"]) == (checksum("CRC32", PARTS[1]), "FULL_OBJECT")
