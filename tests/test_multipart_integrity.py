"""What CompleteMultipartUpload checks before it makes the object (the expected object checksum,
the parts' checksums, the checksum type, the size) and the checksums GET/HEAD ?partNumber report."""

from __future__ import annotations

import os

import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code, error_code_of, status
from tests.harness.clients import upload
from tests.harness.payloads import MiB, checksum, multipart_checksum
from tests.harness.rawhttp import signed

PARTS = [os.urandom(5 * MiB), b"the last part"]
MOTO_COMPLETE = "moto does not check what CompleteMultipartUpload asserts (headers, part checksums)"


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error_code(exc), str(exc.value.response["Error"]["Message"])


@pytest.mark.differs("upstream-moto", reason=MOTO_COMPLETE)
@pytest.mark.parametrize("algorithm,kind", [("CRC32", "FULL_OBJECT"), ("CRC64NVME", "FULL_OBJECT"),
                                            ("CRC32C", "COMPOSITE"), ("SHA256", "COMPOSITE")])
def test_complete_checks_the_expected_object_checksum(s3, bucket, algorithm, kind):
    """x-amz-checksum-<algorithm> on Complete is the object's checksum (full-object, or composite
    ``...-N``), not the XML body's: a wrong one is BadDigest and makes nothing, the right one completes."""
    upload_id, done = upload(s3, bucket, "k", PARTS, ChecksumAlgorithm=algorithm, ChecksumType=kind)
    expected = multipart_checksum(algorithm, kind, PARTS)
    wrong = multipart_checksum(algorithm, kind, [b"other", b"parts"])
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done},
                                     **{f"Checksum{algorithm}": wrong})
    assert _error(exc) == ("BadDigest", f"The {algorithm} you specified did not match the calculated checksum.")
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="k")
    assert status(exc) == 404
    result = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                          MultipartUpload={"Parts": done}, **{f"Checksum{algorithm}": expected})
    assert result[f"Checksum{algorithm}"] == expected and result["ChecksumType"] == kind


def test_complete_checksum_headers_must_be_well_formed(server, s3, bucket):
    upload_id, done = upload(s3, bucket, "k", [b"only"], ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")
    value = checksum("CRC32", b"only")
    for sent, message in (({"ChecksumCRC32": "not base64"}, "Value for x-amz-checksum-crc32 header is invalid."),
                          ({"ChecksumCRC32": f"{value}-one"}, "Value for x-amz-checksum-crc32 header is invalid."),
                          ({"ChecksumType": "SOMETHING"}, "Value for x-amz-checksum-type header is invalid."),
                          ({"MpuObjectSize": -1}, "Value for x-amz-mp-object-size header is less than zero: '-1'")):
        with pytest.raises(ClientError) as exc:
            s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                         MultipartUpload={"Parts": done}, **sent)
        assert _error(exc) == ("InvalidRequest", message), sent
    body = (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{done[0]['ETag']}</ETag>"
            "</Part></CompleteMultipartUpload>").encode()
    two = signed(server, "POST", f"/{bucket}/k?uploadId={upload_id}", body=body,
                 headers={"x-amz-checksum-crc32": value, "x-amz-checksum-crc32c": checksum("CRC32C", b"only")})
    assert two.status_code == 400 and error_code_of(two) == "InvalidRequest"
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done},
                                 ChecksumCRC32=value)


@pytest.mark.differs("upstream-moto", reason=MOTO_COMPLETE)
def test_complete_assertions_must_match_the_upload(s3, bucket):
    upload_id, done = upload(s3, bucket, "k", [b"only"], ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")
    for sent, code, message in (
            ({"ChecksumSHA256": checksum("SHA256", b"only")}, "InvalidRequest",
             "Checksum Type mismatch occurred, expected checksum Type: crc32, actual checksum Type: sha256"),
            ({"ChecksumType": "COMPOSITE"}, "BadDigest",  # the API reference: "it'll result in a BadDigest error"
             "The upload was created using the FULL_OBJECT checksum mode. The complete request must use the same "
             "checksum mode."),
            ({"MpuObjectSize": 5}, "InvalidRequest",
             "The provided 'x-amz-mp-object-size' header value 5 does not match what was computed: 4")):
        with pytest.raises(ClientError) as exc:
            s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                         MultipartUpload={"Parts": done}, **sent)
        assert _error(exc) == (code, message), sent
    result = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done},
                                          ChecksumType="FULL_OBJECT", MpuObjectSize=4)
    assert result["ChecksumCRC32"] == checksum("CRC32", b"only")


@pytest.mark.differs("upstream-moto", reason=MOTO_COMPLETE)
def test_composite_completion_lists_every_part_checksum(s3, bucket):
    upload_id, done = upload(s3, bucket, "k", PARTS, ChecksumAlgorithm="SHA256")
    bare = [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in done]
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": bare})
    assert _error(exc) == ("InvalidRequest", "The upload was created using a sha256 checksum. The complete request "
                           "must include the checksum for each part. It was missing for part 1 in the request.")
    other = [bare[0] | {"ChecksumCRC32": checksum("CRC32", PARTS[0])}, done[1]]
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": other})
    assert _error(exc) == ("BadDigest", "The crc32 you specified for part 1 did not match what we received.")
    swapped = [done[0] | {"ChecksumSHA256": done[1]["ChecksumSHA256"]}, done[1]]
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": swapped})
    assert error_code(exc) == "InvalidPart"
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done})


def test_full_object_completion_needs_no_part_checksums(s3, bucket):
    upload_id, done = upload(s3, bucket, "k", PARTS, ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")
    bare = [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in done]
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": bare})
    head = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == checksum("CRC32", b"".join(PARTS))


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


def test_composite_upload_parts_bring_their_checksum(s3_plain, bucket):
    """A COMPOSITE checksum is made of the client's part checksums (a FULL_OBJECT one S3 can compute)."""
    composite = s3_plain.create_multipart_upload(Bucket=bucket, Key="c", ChecksumAlgorithm="SHA256")["UploadId"]
    with pytest.raises(ClientError) as exc:
        s3_plain.upload_part(Bucket=bucket, Key="c", UploadId=composite, PartNumber=1, Body=b"no checksum")
    assert _error(exc) == ("InvalidRequest", "Checksum Type mismatch occurred, expected checksum Type: sha256, "
                           "actual checksum Type: null")
    full = s3_plain.create_multipart_upload(Bucket=bucket, Key="f", ChecksumAlgorithm="CRC32",
                                            ChecksumType="FULL_OBJECT")["UploadId"]
    part = s3_plain.upload_part(Bucket=bucket, Key="f", UploadId=full, PartNumber=1, Body=b"no checksum")
    assert part["ChecksumCRC32"] == checksum("CRC32", b"no checksum")
