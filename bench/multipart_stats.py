"""Multipart figures: 1 GiB through boto3's transfer manager, and completing a 1,000-part upload.

Starts its own s3gate on a temporary data directory. Prints upload/download MB/s with the
server's peak RSS, and how long CompleteMultipartUpload of 1,000 x 5 MiB parts takes (the parts
are made server-side with UploadPartCopy, so the client does not have to send 5 GB).
Run: ``python -m bench.multipart_stats``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from boto3.s3.transfer import TransferConfig

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.harness.files import write_random_file  # noqa: E402 - the live-server helpers the tests use
from tests.harness.servers import Server  # noqa: E402

MiB = 1024 * 1024


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="s3gate-mp-") as tmp:
        root = Path(tmp)
        srv = Server(root / "data").start()
        try:
            s3 = srv.client()
            s3.create_bucket(Bucket="mpu")
            source = root / "1GiB.bin"
            write_random_file(source, 1024 * MiB)
            config = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=8)
            started = time.perf_counter()
            s3.upload_file(str(source), "mpu", "gib", Config=config)
            up = time.perf_counter() - started
            print(f"1 GiB multipart upload (8 MiB parts, 8 threads): {1024 * MiB / up / 1e6:.0f} MB/s, "
                  f"server peak RSS so far {srv.peak_rss_mb():.0f} MB")
            started = time.perf_counter()
            s3.download_file("mpu", "gib", str(root / "back.bin"), Config=config)
            down = time.perf_counter() - started
            print(f"1 GiB download: {1024 * MiB / down / 1e6:.0f} MB/s, server peak RSS {srv.peak_rss_mb():.0f} MB")
            source.unlink()
            (root / "back.bin").unlink()

            s3.put_object(Bucket="mpu", Key="part", Body=os.urandom(5 * MiB))
            upload_id = s3.create_multipart_upload(Bucket="mpu", Key="thousand")["UploadId"]

            def copy_part(number: int) -> dict[str, object]:
                r = s3.upload_part_copy(Bucket="mpu", Key="thousand", UploadId=upload_id, PartNumber=number,
                                        CopySource={"Bucket": "mpu", "Key": "part"})
                return {"PartNumber": number, "ETag": r["CopyPartResult"]["ETag"]}

            started = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                parts = list(pool.map(copy_part, range(1, 1001)))
            print(f"1,000 x 5 MiB parts made with UploadPartCopy in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            s3.complete_multipart_upload(Bucket="mpu", Key="thousand", UploadId=upload_id,
                                         MultipartUpload={"Parts": parts})
            took = time.perf_counter() - started
            size = s3.head_object(Bucket="mpu", Key="thousand")["ContentLength"]
            print(f"CompleteMultipartUpload of 1,000 parts ({size / 1e9:.2f} GB): {took * 1000:.0f} ms round trip")
        finally:
            srv.stop()


if __name__ == "__main__":
    main()
