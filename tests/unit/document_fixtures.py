"""The values behind the golden answers (listings, multipart, copy, attributes, errors).

Why: the golden files were captured from the handlers with these values, and the unit tests feed
them to the wire renders, which must give the same bytes. Keys and names carry ``&``, ``<``,
quotes and spaces so escaping and URL encoding are pinned too.
"""

from __future__ import annotations

from gateway.wire.checksums import Checksum
from gateway.wire.errors import Code, S3Error
from storage_backends.base import ObjectInfo, PartInfo, UploadInfo

BUCKET = "golden-bucket"
HOST = "s3.example.test:9000"
KEY = "dir/big file&.bin"
UPLOAD_ID = "upload-1"
OWNER = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
OTHER = "1111111111111111111111111111111111111111111111111111111111111111"
NAMES = {OWNER: "owner & <co>"}  # OTHER has no user: its name is the id's first 16 characters
T1 = 1764086477123  # 2025-11-25T16:01:17.123Z
T2 = 1764172877000
BUCKETS = [("alpha", "us-east-1", T1), ("a&b-bucket", "eu-west-1", T2), ("beta", "us-east-1", T2)]
RESOURCE = "/golden-bucket/a&b <c>"
REQUEST_ID = "4442587FB7D0A2F9"
ERRORS = {
    "error-no-such-key.xml": S3Error(Code.NoSuchKey, Key="a&b <c>"),
    "error-fields.xml": S3Error(Code.InvalidArgument, "Bad <argument> & more", ArgumentName="x-amz-max-parts",
                                ArgumentValue="-1", Extra=""),
    "error-custom.xml": S3Error("Upstream599", "The upstream answered HTTP 599.", status=599),
}
CRC32 = Checksum("CRC32", "6Dk7zw==", "FULL_OBJECT")
COMPOSITE = Checksum("CRC32", "AAAAAA==-3", "COMPOSITE")


def object_info(key: str, *, multipart: bool = False) -> ObjectInfo:
    if multipart:
        return ObjectInfo(BUCKET, key, 15 * 1024 * 1024, "4a8a08f09d37b73795649038408b5f33-3", T1, OWNER, "v1",
                          "STANDARD_IA", checksum=COMPOSITE, parts_count=3)
    return ObjectInfo(BUCKET, key, 11, "0cc175b9c0f1b6a831c399e269772661", T1, OWNER, None)


COPIED = ObjectInfo(BUCKET, "dst.txt", 11, "92eb5ffee6ae2fec3ad71c777531578f", T2, OWNER, "v2", checksum=CRC32)
COPIED_PLAIN = ObjectInfo(BUCKET, "dst.txt", 11, "92eb5ffee6ae2fec3ad71c777531578f", T2, OWNER)
COMPLETED = ObjectInfo(BUCKET, KEY, 0, "4a8a08f09d37b73795649038408b5f33-2", T2, OWNER, "v3", checksum=COMPOSITE)
COMPLETE_BODY = (b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e1\"</ETag></Part>"
                 b"<Part><PartNumber>2</PartNumber><ETag>\"e2\"</ETag></Part></CompleteMultipartUpload>")
PARTS = [PartInfo(1, 5 * 1024 * 1024, "a54357aff0632cce46d942af68356b38", T1, Checksum("CRC32", "AAAAAA==", "PART")),
         PartInfo(2, 5 * 1024 * 1024, "0c78aef83f66abc1fa1e8477f296d394", T1, Checksum("CRC32", "6Dk7zw==", "PART")),
         PartInfo(3, 1024, "acbd18db4cc2f85cedef654fccc4a4d8", T2, Checksum("CRC32", "jHNlIQ==", "PART")),
         PartInfo(4, 10, "37b51d194a7513e45b56f6524f2d51f2", T2, None)]
COPIED_PART = PartInfo(2, 1024, "acbd18db4cc2f85cedef654fccc4a4d8", T2, Checksum("CRC32", "jHNlIQ==", "PART"))


def upload_info(algorithm: str | None = "CRC32") -> UploadInfo:
    if algorithm is None:
        return UploadInfo("upload-2", BUCKET, "plain upload", T2, OTHER)
    return UploadInfo(UPLOAD_ID, BUCKET, KEY, T1, OWNER, "STANDARD_IA", algorithm, "COMPOSITE")


def objects() -> list[ObjectInfo]:
    return [ObjectInfo(BUCKET, "a&b <c>.txt", 0, "d41d8cd98f00b204e9800998ecf8427e", T1, OWNER),
            ObjectInfo(BUCKET, "caf\u00e9 plus+.txt", 11, "0cc175b9c0f1b6a831c399e269772661", T2, OTHER,
                       storage_class="GLACIER", checksum=CRC32),
            ObjectInfo(BUCKET, "k9", 15728640, "4a8a08f09d37b73795649038408b5f33-3", T2, OWNER, checksum=COMPOSITE)]


def versions() -> list[ObjectInfo]:
    return [ObjectInfo(BUCKET, "a&b <c>.txt", 0, "", T2, OWNER, "m1", delete_marker=True),
            ObjectInfo(BUCKET, "a&b <c>.txt", 11, "0cc175b9c0f1b6a831c399e269772661", T1, OWNER, "v1",
                       is_latest=False, checksum=CRC32),
            ObjectInfo(BUCKET, "k&1", 3, "acbd18db4cc2f85cedef654fccc4a4d8", T1, OTHER, None, "STANDARD_IA"),
            ObjectInfo(BUCKET, "old", 0, "", T1, OTHER, "m2", is_latest=False, delete_marker=True)]
