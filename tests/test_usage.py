"""Usage accounting and the cost report: 90 simulated days on the lifecycle test clock, priced by hand.

The server's usage endpoint is read by the real ``s3gate usage`` command (SigV4 as the root), which
prices it with the shipped us-east-1 table; the expected figures are worked out below from the table's
own numbers, step by step, as a reader would check a bill.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from gateway.observe.pricing import load_prices
from tests.harness.cli import run_cli
from tests.harness.clients import unique_bucket_name
from tests.harness.iam import SETTLE_S, allow, document
from tests.harness.iam import client as iam_client
from tests.harness.rawhttp import signed
from tests.harness.servers import LOCAL, Server

pytestmark = pytest.mark.backends(*LOCAL, reason="usage is the local backend's accounting (an upstream bills its own)")

MIB, KIB, GIB = 1024 ** 2, 1024, 2 ** 30
FLUSH = 0.2  # --flush-interval: request counts reach the catalog this often


@pytest.fixture(scope="module")
def usage_server(tmp_path_factory: pytest.TempPathFactory, backend: str):  # type: ignore[no-untyped-def]
    srv = Server(tmp_path_factory.mktemp("usage") / "data", args=["--flush-interval", str(FLUSH)]).start()
    yield srv
    srv.stop()


def advance(server: Server, days: float) -> None:
    response = signed(server, "POST", f"/_s3gate/admin/lifecycle?advance-days={days}")
    assert response.status_code == 200, response.text


def report(server: Server, *flags: str) -> Any:
    time.sleep(FLUSH * 3)  # the last requests' counts are written
    done = run_cli("usage", "--endpoint", server.endpoint, *flags)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "--json" in flags else done.stdout


def test_ninety_days_cost_what_the_price_table_says(usage_server: Server, tmp_path: Any) -> None:
    s3 = usage_server.client()
    hot, cold = unique_bucket_name("hot"), unique_bucket_name("cold")
    s3.create_bucket(Bucket=hot)
    s3.create_bucket(Bucket=cold)
    s3.put_bucket_lifecycle_configuration(Bucket=cold, LifecycleConfiguration={"Rules": [
        {"ID": "archive", "Status": "Enabled", "Filter": {"Prefix": "b"},
         "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]}]})
    # day 0: three versions
    s3.put_object(Bucket=hot, Key="a", Body=b"a" * MIB)
    s3.put_object(Bucket=cold, Key="b", Body=b"b" * 3 * MIB)
    s3.put_object(Bucket=cold, Key="c", Body=b"c" * 64 * KIB, StorageClass="STANDARD_IA")
    for _ in range(3):
        s3.get_object(Bucket=hot, Key="a")["Body"].read()
    advance(usage_server, 10)  # day 10: c leaves STANDARD_IA 20 days before its 30-day minimum
    s3.delete_object(Bucket=cold, Key="c")
    advance(usage_server, 20)  # day 30: b is due at the midnight after day 30 ...
    advance(usage_server, 1)  # ... so the pass at day 31 moves it to GLACIER
    assert s3.head_object(Bucket=cold, Key="b")["StorageClass"] == "GLACIER"
    advance(usage_server, 29)  # day 60: b leaves GLACIER 61 days before its 90-day minimum; d arrives
    s3.delete_object(Bucket=cold, Key="b")
    s3.put_object(Bucket=hot, Key="d", Body=b"d" * 2 * MIB)
    advance(usage_server, 30)  # day 90

    got = report(usage_server, "--json", "--cost")
    usage, cost = got["usage"], got["cost"]
    h, c = usage["buckets"][hot], usage["buckets"][cold]

    # Stored now, and GB-months: a GB-month is 2^30 bytes for 30 days.
    assert h["storage"]["STANDARD"]["objects"] == 2 and h["storage"]["STANDARD"]["bytes"] == 3 * MIB
    assert c["storage"]["STANDARD"]["objects"] == 0 and c["storage"]["GLACIER"]["bytes"] == 0
    gbm_hot = (1 * MIB * 90 + 2 * MIB * 30) / GIB / 30
    gbm_cold_standard = 3 * MIB * 31 / GIB / 30
    gbm_cold_glacier = 3 * MIB * 29 / GIB / 30
    gbm_cold_ia = 64 * KIB * 10 / GIB / 30
    approx = pytest.approx
    assert h["storage"]["STANDARD"]["gb_months"] == approx(gbm_hot, rel=1e-4)
    assert c["storage"]["STANDARD"]["gb_months"] == approx(gbm_cold_standard, rel=1e-4)
    assert c["storage"]["GLACIER"]["gb_months"] == approx(gbm_cold_glacier, rel=1e-4)
    assert c["storage"]["STANDARD_IA"]["gb_months"] == approx(gbm_cold_ia, rel=1e-4)
    assert c["storage"]["STANDARD_IA"]["small_object_months"] == approx(10 / 30, rel=1e-4)
    # Requests by tier (CreateBucket, the lifecycle PUT and the PUTs are tier 1; GETs and the HEAD tier 2;
    # deletes are free) ...
    assert h["requests"] == {"STANDARD": {"tier1": 3, "tier2": 3}}
    assert c["requests"] == {"STANDARD": {"tier1": 3, "tier2": 1}, "STANDARD_IA": {"tier1": 1, "tier2": 0}}
    assert h["bytes_out"] == 3 * MIB and c["bytes_out"] == 0
    assert c["transitions"] == {"GLACIER": {"requests": 1, "bytes": 3 * MIB}}
    # ... and early deletions by age in whole days.
    assert [(e["age_days"], e["bytes"]) for e in c["early_deletions"]["STANDARD_IA"]] == [(10, 64 * KIB)]
    assert [(e["age_days"], e["bytes"]) for e in c["early_deletions"]["GLACIER"]] == [(29, 3 * MIB)]

    # The bill, from the shipped table's numbers.
    p = load_prices()["classes"]
    std, ia, gl = p["STANDARD"], p["STANDARD_IA"], p["GLACIER"]
    hot_standard = gbm_hot * std["storage_per_gb_month"] + 3 / 1000 * std["tier1_per_1000"] \
        + 3 / 1000 * std["tier2_per_1000"]
    hot_total = hot_standard + 3 * MIB / GIB * load_prices()["transfer_out_per_gb"]
    cold_standard = gbm_cold_standard * std["storage_per_gb_month"] + 3 / 1000 * std["tier1_per_1000"] \
        + 1 / 1000 * std["tier2_per_1000"]
    # 64 KiB in STANDARD_IA is billed as 128 KiB, for 10 days; then the 20 days it fell short, on its bytes.
    cold_ia = 128 * KIB / GIB * 10 / 30 * ia["storage_per_gb_month"] + 1 / 1000 * ia["tier1_per_1000"] \
        + 64 * KIB / GIB * (30 - 10) / 30 * ia["storage_per_gb_month"]
    # GLACIER: 29 days of 3 MiB plus 40 KiB of overhead per object (32 KiB at GLACIER's rate, 8 KiB at
    # STANDARD's), the transition request, and the 61 days short of 90.
    cold_glacier = gbm_cold_glacier * gl["storage_per_gb_month"] \
        + 29 / 30 * (32 * KIB / GIB * gl["storage_per_gb_month"] + 8 * KIB / GIB * std["storage_per_gb_month"]) \
        + 1 / 1000 * gl["transition_per_1000"] + 3 * MIB / GIB * (90 - 29) / 30 * gl["storage_per_gb_month"]
    hb, cb = cost["buckets"][hot], cost["buckets"][cold]
    assert hb["classes"]["STANDARD"]["total"] == approx(hot_standard, rel=1e-4)
    assert hb["total"] == approx(hot_total, rel=1e-4)
    assert cb["classes"]["STANDARD"]["total"] == approx(cold_standard, rel=1e-4)
    assert cb["classes"]["STANDARD_IA"]["total"] == approx(cold_ia, rel=1e-4)
    assert cb["classes"]["GLACIER"]["total"] == approx(cold_glacier, rel=1e-4)
    assert cb["classes"]["GLACIER"]["early_deletions"] == approx(
        3 * MIB / GIB * 61 / 30 * gl["storage_per_gb_month"], rel=1e-4)

    # The readable table and the chart say the same.
    text = report(usage_server, "--cost")
    assert f"{hot:<24} STANDARD" in text and f"{hb['total']:.6f}" in text
    chart = tmp_path / "cost.png"
    report(usage_server, "--chart", str(chart))
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_usage_is_for_the_root_only(usage_server: Server) -> None:
    anonymous = httpx.get(usage_server.endpoint + "/_s3gate/admin/usage")
    assert anonymous.status_code == 403 and b"AccessDenied" in anonymous.content
    iam = iam_client("iam", usage_server.endpoint)
    name = unique_bucket_name("admin")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=document(allow("*")))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    time.sleep(SETTLE_S)
    done = run_cli("usage", "--endpoint", usage_server.endpoint, "--access-key", key["AccessKeyId"],
                   "--secret-key", key["SecretAccessKey"])
    assert done.returncode == 1 and "403" in done.stderr and "root credentials" in done.stderr
    # s3gate's own endpoints (admin, metrics) serve no bucket: nothing of theirs is billed.
    assert httpx.get(usage_server.endpoint + "/_s3gate/metrics").status_code == 403
    assert "_s3gate" not in report(usage_server)


def test_a_bad_price_table_is_refused_clearly(usage_server: Server, tmp_path: Any) -> None:
    table = load_prices()
    table["classes"]["STANDARD_IA"]["min_billable_bytes"] = 1000
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(table))
    done = run_cli("usage", "--endpoint", usage_server.endpoint, "--prices", str(path))
    assert done.returncode == 1 and "min_billable_bytes must be 0 or 131072" in done.stderr


def test_stored_totals_follow_every_write(usage_server: Server) -> None:
    """Overwrites, versions and delete markers: what is stored is every version's bytes, markers excluded."""
    s3 = usage_server.client()
    bucket = unique_bucket_name("totals")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"1" * 100)
    s3.put_object(Bucket=bucket, Key="k", Body=b"2" * 300)  # replaces the null version
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"3" * 50)
    s3.delete_object(Bucket=bucket, Key="k")  # a delete marker: no bytes
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "k", "VersionId": "null"})
    stored = report(usage_server, "--json")["buckets"][bucket]["storage"]["STANDARD"]
    assert (stored["objects"], stored["bytes"]) == (3, 300 + 50 + 300)
