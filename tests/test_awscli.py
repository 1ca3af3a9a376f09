"""The aws CLI v2 (Debian's ``awscli`` package) against a live server: cp, ls, sync, s3api."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path

from tests.harness.awscli import AWS, aws_cli


def aws(server, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    result = aws_cli(server.endpoint, *args, home=str(tmp_path))
    assert result.returncode == 0, result.stderr
    return result


def test_aws_cli_is_v2():
    assert subprocess.run([AWS, "--version"], capture_output=True, text=True).stdout.startswith("aws-cli/2.")


def test_cp_up_and_down_with_multipart(server, s3, bucket, tmp_path):
    data = os.urandom(21 * 1024 * 1024 + 5)  # above the CLI's 8 MiB multipart threshold
    src = tmp_path / "video.mp4"
    src.write_bytes(data)
    aws(server, tmp_path, "s3", "cp", str(src), f"s3://{bucket}/videos/video.mp4")
    head = s3.head_object(Bucket=bucket, Key="videos/video.mp4")
    assert head["ContentLength"] == len(data) and head["ETag"].endswith('-3"')
    out = tmp_path / "back.mp4"
    aws(server, tmp_path, "s3", "cp", f"s3://{bucket}/videos/video.mp4", str(out))
    assert hashlib.md5(out.read_bytes()).hexdigest() == hashlib.md5(data).hexdigest()
    listing = aws(server, tmp_path, "s3", "ls", f"s3://{bucket}/videos/").stdout
    assert "video.mp4" in listing and str(len(data)) in listing


def test_sync_uploads_only_changes(server, s3, bucket, tmp_path):
    tree = tmp_path / "site"
    (tree / "img").mkdir(parents=True)
    (tree / "index.html").write_text("<h1>hi</h1>")
    (tree / "img" / "a.png").write_bytes(b"png" * 100)
    for path in (tree / "index.html", tree / "img" / "a.png"):  # files that existed before the sync
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    first = aws(server, tmp_path, "s3", "sync", str(tree), f"s3://{bucket}/site").stdout
    assert first.count("upload:") == 2
    again = aws(server, tmp_path, "s3", "sync", str(tree), f"s3://{bucket}/site").stdout
    assert "upload:" not in again  # sizes and LastModified agree: nothing to do
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["site/img/a.png", "site/index.html"]


def test_s3api_and_rm(server, s3, bucket, tmp_path):
    aws(server, tmp_path, "s3api", "put-object", "--bucket", bucket, "--key", "k", "--body", __file__)
    assert '"ContentLength"' in aws(server, tmp_path, "s3api", "head-object", "--bucket", bucket, "--key", "k").stdout
    aws(server, tmp_path, "s3", "rm", f"s3://{bucket}/k")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
