"""The aws CLI v2 (Debian's ``awscli`` package, which .ci/run installs) run against a live gateway.

`aws` on PATH may be a pip-installed v1 or a pyenv shim, so the tests name Debian's binary; the
environment is emptied of the caller's AWS_* settings and profile files so nothing else is signed in,
and its home (where it keeps caches) is a directory of this process's own, as xdist workers run it at once.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import tempfile

from tests.harness.clients import ACCESS_KEY, SECRET_KEY

AWS = "/usr/bin/aws"


@functools.cache
def _own_home() -> str:
    home = tempfile.mkdtemp(prefix="s3gate-awscli-home-")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    return home


def aws_cli(endpoint: str, *args: str, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
            home: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    home = home or _own_home()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
    }
    return subprocess.run([AWS, "--endpoint-url", endpoint, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)
