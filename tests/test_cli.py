"""The ``s3gate`` command: version, configuration errors, environment variables, workers."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.harness.assertions import assert_same_bytes
from tests.harness.cli import run_cli
from tests.harness.clients import make_client
from tests.harness.iam import grant_account
from tests.harness.servers import REPO, Server, free_port


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == "s3gate 0.1.0"


@pytest.mark.parametrize("content,message", [
    ("{not json", "not valid JSON"),
    ('{"people": []}', 'expected an object with a "users" list'),
    ('{"users": [{"access_key": "a"}]}', 'users[0] needs a non-empty string "secret_key"'),
    ('{"users": [{"access_key": "a", "secret_key": "b", "role": "admin"}]}', "unknown field(s): role"),
    ('{"users": [{"access_key": "a", "secret_key": "b"}, {"access_key": "a", "secret_key": "c"}]}',
     "access key 'a' is defined twice"),
    # the accounts form, and accounts of either form side by side
    ('{"accounts": [{"id": "123"}]}', "accounts[0]: id must be 12 digits, got '123'"),
    ('{"accounts": [{"id": "222233334444", "users": [{"name": "app", "access_key": "k", "secret_key": "s", '
     '"groups": ["nope"]}]}]}', "accounts[0].users[0]: unknown group 'nope'"),
    ('{"accounts": [{"id": "222233334444", "users": [{"name": "app", "access_key": "k", "secret_key": "s", '
     '"policies": {"p": {"Statement": []}}}]}]}',
     "accounts[0].users[0]: policy 'p' is malformed: Could not parse the policy: Statement is empty!"),
    ('{"accounts": [{"id": "222233334444"}, {"id": "222233334444"}]}', "account id 222233334444 is defined twice"),
    ('{"users": [{"access_key": "k", "secret_key": "s"}], "accounts": [{"id": "222233334444", '
     '"root": {"access_key": "k", "secret_key": "t"}}]}', "access key 'k' is defined twice"),
    ('{"users": [{"access_key": "a", "secret_key": "b", "account_id": "000000000000"}]}',
     "account id 000000000000 is defined twice (it is the default account's, --account-id)"),
    ('{"users": [{"access_key": "s3gate", "secret_key": "b"}]}',
     "access key 's3gate' is also the root access key (S3GATE_ACCESS_KEY)"),
    ('{"accounts": [{"id": "222233334444", "groups": [{"name": "g"}, {"name": "G"}]}]}',
     "accounts[0].groups[1]: group 'G' is defined twice in its account"),
])
def test_bad_users_file_stops_startup(tmp_path, content, message):
    users = tmp_path / "users.json"
    users.write_text(content)
    result = run_cli("serve", "--users", str(users), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert message in result.stderr and str(users) in result.stderr


def test_missing_users_file(tmp_path):
    result = run_cli("serve", "--users", str(tmp_path / "nope.json"))
    assert result.returncode == 2 and "no such file" in result.stderr


@pytest.mark.parametrize("args,message", [
    (["--port", "http"], "port must be a whole number"),
    (["--workers", "0"], "workers must be at least 1"),
    (["--certfile", "/nonexistent.pem"], "--certfile and --keyfile go together"),
    (["--account-id", "12345"], "account id must be 12 digits, got '12345'"),
    (["--access-log", "/nonexistent/access.log"], "--access-log /nonexistent/access.log: No such file or directory"),
])
def test_bad_flags(args, message):
    result = run_cli("serve", *args)
    assert result.returncode == 2 and message in result.stderr


def test_max_connections_fit_the_open_file_limit(tmp_path):
    """The server raises its soft limit towards the hard one; past that, it lowers the cap and says so."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        pytest.skip("no hard open-file limit to run into")
    srv = Server(tmp_path / "data", args=["--max-connections", str(hard)]).start()
    try:
        fits = (hard - min(256, hard // 4)) // 3
        assert f"leaves room for {fits} connections per worker, not {hard}" in srv.log()
        limits = Path(f"/proc/{srv.proc.pid}/limits").read_text()  # type: ignore[union-attr]
        assert re.search(rf"Max open files\s+{hard}\s+{hard}", limits)
    finally:
        srv.stop()


def test_environment_variables_and_banner(tmp_path):
    port = free_port()
    srv = Server(tmp_path / "data", env={"S3GATE_PORT": str(port), "S3GATE_ACCESS_KEY": "envkey",
                                         "S3GATE_SECRET_KEY": "envsecret", "S3GATE_REGION": "eu-west-1"})
    srv.port = port

    def no_port_flag() -> list[str]:
        return [sys.executable, "-m", "gateway", "serve", "--data-dir", str(srv.data_dir)]

    srv.command = no_port_flag  # type: ignore[method-assign]
    srv.start()
    try:
        s3 = make_client(srv.endpoint, access_key="envkey", secret_key="envsecret", region="eu-west-1")
        s3.create_bucket(Bucket="env", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        assert s3.get_bucket_location(Bucket="env")["LocationConstraint"] == "eu-west-1"
        log = srv.log()
        assert "access key: envkey" in log and "secret key: envsecret" in log
        assert f"http://127.0.0.1:{port}" in log
    finally:
        srv.stop()


def test_flag_beats_environment(tmp_path):
    srv = Server(tmp_path / "data", env={"S3GATE_REGION": "eu-west-1"}, args=["--region", "us-west-2"]).start()
    try:
        assert "region:     us-west-2" in srv.log()
    finally:
        srv.stop()


def test_users_file_users_can_sign(tmp_path):
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"users": [
        {"access_key": "alice", "secret_key": "alice-secret", "display_name": "Alice", "canonical_id": "a" * 64},
        {"access_key": "bob", "secret_key": "bob-secret"},
    ]}))
    srv = Server(tmp_path / "data", args=["--users", str(users)]).start()
    try:
        alice = make_client(srv.endpoint, access_key="alice", secret_key="alice-secret")
        alice.create_bucket(Bucket="alices")
        listed = alice.list_buckets()
        assert listed["Owner"] == {"DisplayName": "Alice", "ID": "a" * 64}
        grant_account(alice, "alices", srv.endpoint, "bob", "bob-secret")
        make_client(srv.endpoint, access_key="bob", secret_key="bob-secret").put_object(
            Bucket="alices", Key="k", Body=b"from bob")
        make_client(srv.endpoint).list_buckets()  # the root user still works (alice's bucket is not its own)
    finally:
        srv.stop()


def test_multiple_workers_share_the_data_dir(tmp_path):
    # Workers start at the same moment; each must keep its own temp directory (an earlier
    # version let one worker sweep another's as dead, and that worker's uploads then failed).
    # Every round starts 4 workers and sends blob-sized bodies over fresh connections, which
    # the kernel spreads over the workers.
    body = os.urandom(100 * 1024)  # above the inline limit: goes through a temp file
    for round_no in range(4):
        srv = Server(tmp_path / "data", args=["--workers", "4"])
        started_before = srv.log().count("Application startup complete")
        srv.start()
        try:
            deadline = time.monotonic() + 10  # the port opens before the workers finish starting
            while srv.log().count("Application startup complete") < started_before + 4:
                assert time.monotonic() < deadline, srv.log()
                time.sleep(0.05)
            claimed = [entry for entry in (tmp_path / "data" / "tmp").iterdir() if entry.is_dir()]
            assert len(claimed) == 4, f"{len(claimed)} of 4 workers kept their temp directory"
            if round_no == 0:
                make_client(srv.endpoint).create_bucket(Bucket="workers")
            for i in range(12):
                client = make_client(srv.endpoint)  # a new connection each time
                client.put_object(Bucket="workers", Key=f"r{round_no}/k{i}", Body=body)
                client.close()
        finally:
            srv.stop()
    srv = Server(tmp_path / "data").start()
    try:
        s3 = make_client(srv.endpoint)
        assert s3.list_objects_v2(Bucket="workers")["KeyCount"] == 48
        assert_same_bytes(s3.get_object(Bucket="workers", Key="r3/k11")["Body"].read(), body)
    finally:
        srv.stop()


NOT_AT_START = {
    "boto3", "botocore", "httpx", "cryptography",  # nothing of the upstream backend's client
    "storage_backends.upstream", "storage_backends.s3client",
    "websockets",  # uvicorn's WebSocket protocol: S3 has none
    "_awscrt",  # CRC32C / CRC64NVME: loading it gathers jitter entropy for tens of ms; the first PUT does
    "gateway.iam.door",  # the IAM/STS API: built at its first request
}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_start_up_imports_only_what_the_first_requests_need(tmp_path, workers):
    """Imports are most of a cold start: the local backend answers its first signed ListBuckets and health
    probe without loading the modules above (python -X importtime, through its environment variable; it
    names every module imported by an import statement, not those importlib.import_module loads itself)."""
    srv = Server(tmp_path / "data", args=["--workers", workers], env={"PYTHONPROFILEIMPORTTIME": "1"}).start()
    try:
        assert make_client(srv.endpoint).list_buckets()["Buckets"] == []
        assert httpx.get(f"{srv.endpoint}/_s3gate/health").json()["status"] == "ok"
    finally:
        srv.stop()
    imported = set(re.findall(r"^import time: +\d+ \| +\d+ \| +(\S+)$", srv.log(), re.MULTILINE))
    assert {"gateway.pipeline", "storage_backends.local.core"} <= imported
    assert imported & NOT_AT_START == set()


def test_installed_package_serves(tmp_path):
    """What ``pip install .`` (and the Docker image, which copies the same files) installs must
    run on its own: package data such as the metadata schema has to be in the wheel, not only in
    the checkout that an editable install points at."""
    src = tmp_path / "src"  # the files docker/Dockerfile copies
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for package in ("gateway", "storage_backends"):
        shutil.copytree(REPO / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(src)],
                   check=True, capture_output=True, timeout=180)
    env = {"PYTHONPATH": str(site)}
    probe = "import gateway, storage_backends; print(gateway.__file__, storage_backends.__file__)"
    where = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env={**os.environ, **env},
                           capture_output=True, text=True, check=True)
    assert all(path.startswith(str(site)) for path in where.stdout.split()), where.stdout
    srv = Server(tmp_path / "data", env=env, cwd=tmp_path).start()
    try:
        s3 = make_client(srv.endpoint)
        s3.create_bucket(Bucket="installed")
        s3.put_object(Bucket="installed", Key="k", Body=b"from the wheel")
        assert s3.get_object(Bucket="installed", Key="k")["Body"].read() == b"from the wheel"
    finally:
        srv.stop()


def test_https_server_stops_promptly_while_clients_hold_idle_connections(tmp_path, tls_files):
    """SDKs keep connections pooled; a TLS close waits for the client's close_notify, which an idle
    pooled connection never sends (the server used to take 30 s to stop). Clients reconnect after."""
    cert, key, ca = tls_files
    srv = Server(tmp_path / "data", tls=(cert, key), ca_path=ca).start()
    s3 = srv.client()
    s3.create_bucket(Bucket="pooled")
    assert srv.proc is not None
    started = time.monotonic()
    srv.proc.send_signal(signal.SIGINT)
    srv.proc.wait(timeout=25)
    assert time.monotonic() - started < 5
    srv.start()
    try:
        s3.put_object(Bucket="pooled", Key="k", Body=b"after restart")  # the same client, pool and all
        assert s3.get_object(Bucket="pooled", Key="k")["Body"].read() == b"after restart"
    finally:
        srv.stop()


def test_health_endpoint_needs_no_credentials(server):
    import httpx

    response = httpx.get(f"{server.endpoint}/_s3gate/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    names = [v["name"] for v in response.json()["volumes"]]
    assert names == ([] if "upstream" in server.args else ["data"])  # an upstream keeps the objects elsewhere


def test_workers_are_restarted_when_they_die(tmp_path):
    srv = Server(tmp_path / "data", args=["--workers", "2"]).start()
    try:
        assert srv.proc is not None
        listing = Path(f"/proc/{srv.proc.pid}/task/{srv.proc.pid}/children")
        # the port answers once the first worker serves; on a loaded machine the second may still be forking
        deadline = time.monotonic() + 10
        while len(children := listing.read_text().split()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(children) == 2
        os.kill(int(children[0]), signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            now = Path(f"/proc/{srv.proc.pid}/task/{srv.proc.pid}/children").read_text().split()
            if len(now) == 2 and children[0] not in now:
                break
            time.sleep(0.1)
        assert len(now) == 2 and children[0] not in now
        s3 = make_client(srv.endpoint)
        s3.create_bucket(Bucket="survivor")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["survivor"]
        assert "starting another" in srv.log()
    finally:
        srv.stop()
