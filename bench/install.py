"""Idempotent installation of the peers and tools the benchmark drives.

wrk and nginx come from Debian packages, s3rver from npm (into ``bench/.deps``, git-ignored),
and the Python side (moto[server], matplotlib, py-spy, boto3) from the ``bench`` extra. Each
step runs only when its tool is missing, so a second run costs a few ``which`` calls.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DEPS_DIR = BENCH_DIR / ".deps"
S3RVER_VERSION = "3.7.1"
S3RVER_JS = DEPS_DIR / "node_modules" / "s3rver" / "bin" / "s3rver.js"
PY_MODULES = ("moto", "flask", "matplotlib", "boto3")  # flask: moto's server mode


def _run(argv: list[str]) -> None:
    print("+", " ".join(argv), flush=True)
    subprocess.run(argv, check=True)


def venv_tool(name: str) -> str | None:
    """A console script of this interpreter's environment, else one on PATH."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else shutil.which(name)


def ensure_apt(*packages_by_binary: tuple[str, str]) -> None:
    missing = [pkg for binary, pkg in packages_by_binary if shutil.which(binary) is None
               and not Path("/usr/sbin", binary).exists()]
    if not missing:
        return
    if os.geteuid() != 0:
        raise SystemExit(f"bench: install {' '.join(missing)} (apt-get install -y {' '.join(missing)})")
    _run(["apt-get", "update", "-qq"])
    _run(["apt-get", "install", "-y", "-qq", *missing])


def ensure_s3rver() -> None:
    if S3RVER_JS.exists():
        return
    if shutil.which("npm") is None:
        raise SystemExit("bench: npm is needed to install s3rver")
    DEPS_DIR.mkdir(exist_ok=True)
    _run(["npm", "install", "--prefix", str(DEPS_DIR), "--no-audit", "--no-fund", f"s3rver@{S3RVER_VERSION}"])


def ensure_python() -> None:
    missing = [m for m in PY_MODULES if importlib.util.find_spec(m) is None]
    if missing or venv_tool("py-spy") is None:
        _run([sys.executable, "-m", "pip", "install", "-q", "-e", f"{REPO_DIR}[bench]"])


def ensure_all() -> None:
    ensure_apt(("wrk", "wrk"), ("nginx", "nginx"))
    ensure_s3rver()
    ensure_python()


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"
