"""Running the ``s3gate`` command (``python -m gateway``) to completion, without the caller's S3GATE_ settings."""

from __future__ import annotations

import subprocess
import sys

from tests.harness.servers import REPO, child_env


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway", *args], cwd=REPO, env=child_env(env), capture_output=True,
                          text=True, timeout=30)
