"""Running the ``s3gate`` command (``python -m gateway``) to completion, without the caller's S3GATE_ settings."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.harness.servers import REPO


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("S3GATE_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "gateway", *args], cwd=REPO, env=full_env, capture_output=True,
                          text=True, timeout=30)
