"""gateway.wire.completion in process: what CompleteMultipartUpload's headers assert and how it is checked."""

from __future__ import annotations

import pytest

from gateway.wire.checksums import Checksum
from gateway.wire.completion import CompletionChecks, check_object, check_part, check_upload, parse_headers
from gateway.wire.documents.multipart import CompletedPart
from gateway.wire.errors import S3Error

CRC = "fKqBzw=="  # a well-formed CRC32 value
SHA = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="  # a well-formed SHA256 value


def test_parse_headers_keeps_the_value_as_sent_and_round_trips():
    checks = parse_headers({"x-amz-checksum-sha256": f"{SHA}-3", "x-amz-checksum-type": "composite",
                            "x-amz-mp-object-size": "10", "content-md5": "ignored"})
    assert checks == CompletionChecks(Checksum("SHA256", f"{SHA}-3"), "COMPOSITE", 10)
    assert parse_headers(checks.headers()) == checks
    assert parse_headers({}) == CompletionChecks()


@pytest.mark.parametrize("headers", [{"x-amz-checksum-crc32": "fKqB"}, {"x-amz-checksum-crc32": f"{CRC}-"},
                                     {"x-amz-checksum-crc32": f"{CRC}-2-3"}, {"x-amz-checksum-type": "PART"},
                                     {"x-amz-checksum-crc32": CRC, "x-amz-checksum-sha256": SHA},
                                     {"x-amz-mp-object-size": "ten"}, {"x-amz-mp-object-size": "-1"}])
def test_parse_headers_refuses_malformed_ones(headers):
    with pytest.raises(S3Error) as exc:
        parse_headers(headers)
    assert exc.value.code == "InvalidRequest"


def test_a_composite_checksum_matches_with_or_without_its_part_count():
    made = Checksum("SHA256", f"{SHA}-2", "COMPOSITE")
    for value in (f"{SHA}-2", SHA):
        check_object(CompletionChecks(Checksum("SHA256", value)), made, 0)
    for value in (f"{SHA}-3", "x" + SHA[1:]):
        with pytest.raises(S3Error) as exc:
            check_object(CompletionChecks(Checksum("SHA256", value)), made, 0)
        assert exc.value.code == "BadDigest"


def test_a_full_object_checksum_matches_only_exactly():
    made = Checksum("CRC32", CRC, "FULL_OBJECT")
    check_object(CompletionChecks(Checksum("CRC32", CRC)), made, 0)
    with pytest.raises(S3Error) as exc:
        check_object(CompletionChecks(Checksum("CRC32", f"{CRC}-1")), made, 0)
    assert exc.value.code == "BadDigest"


def test_without_an_upload_algorithm_only_the_checksum_the_object_gets_is_checked():
    check_upload(CompletionChecks(Checksum("SHA256", SHA), "FULL_OBJECT"), None, None)
    check_object(CompletionChecks(Checksum("SHA256", SHA)), Checksum("CRC64NVME", "AAAAAAAAAAA="), 0)
    check_object(CompletionChecks(Checksum("SHA256", SHA)), None, 0)
    with pytest.raises(S3Error) as exc:
        check_upload(CompletionChecks(checksum_type="COMPOSITE"), None, None)
    assert exc.value.code == "BadDigest"


def test_listed_part_checksums():
    stored = Checksum("CRC32", CRC, "PART")
    check_part(CompletedPart(1, "e", {"CRC32": CRC}), stored, "CRC32", "COMPOSITE", "u")
    check_part(CompletedPart(1, "e"), stored, "CRC32", "FULL_OBJECT", "u")
    check_part(CompletedPart(1, "e", {"SHA256": SHA}), stored, None, None, "u")  # no algorithm: nothing to match
    for part, algorithm, kind, code in ((CompletedPart(1, "e"), "CRC32", "COMPOSITE", "InvalidRequest"),
                                        (CompletedPart(1, "e", {"SHA256": SHA}), "CRC32", "FULL_OBJECT", "BadDigest"),
                                        (CompletedPart(1, "e", {"CRC32": "AAAAAA=="}), "CRC32", "COMPOSITE",
                                         "InvalidPart"),
                                        (CompletedPart(1, "e", {"CRC32": "AAAAAA=="}), None, None, "InvalidPart")):
        with pytest.raises(S3Error) as exc:
            check_part(part, stored, algorithm, kind, "u")
        assert exc.value.code == code, (part, algorithm, kind)
