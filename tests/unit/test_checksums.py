"""The checksum registry against botocore's S3 model and independent implementations of each algorithm."""

from __future__ import annotations

import botocore.session
import pytest

from gateway.wire import checksums
from tests.harness.payloads import DIGESTS, checksum


def test_every_algorithm_of_the_s3_model_is_known() -> None:
    model = botocore.session.get_session().get_service_model("s3")
    assert set(checksums.ALGORITHMS) == set(model.shape_for("ChecksumAlgorithm").enum) == set(DIGESTS)


@pytest.mark.parametrize("algorithm", checksums.ALGORITHMS)
def test_digests_match_an_independent_implementation(algorithm: str) -> None:
    data = bytes(range(256)) * 1000 + b"tail"
    hasher = checksums.new_hasher(algorithm)
    for start in range(0, len(data), 70001):  # incremental, in uneven pieces
        hasher.update(memoryview(data)[start:start + 70001])
    assert checksums.b64(hasher.digest()) == checksum(algorithm, data) == checksums.compute(algorithm, data)
    assert len(hasher.digest()) == checksums.DIGEST_SIZES[algorithm]
    assert checksums.is_valid_value(algorithm, checksum(algorithm, b""))
    assert not checksums.is_valid_value(algorithm, checksums.b64(bytes(checksums.DIGEST_SIZES[algorithm] + 1)))


def test_only_crcs_make_full_object_checksums_of_parts() -> None:
    assert checksums.CRC_ALGORITHMS == ("CRC32", "CRC32C", "CRC64NVME")
    assert checksums.algorithm_of_header("x-amz-checksum-xxhash128") == "XXHASH128"
    assert checksums.algorithm_of_header("x-amz-checksum-md5") == "MD5"
    assert checksums.algorithm_of_header("x-amz-checksum-type") is None
