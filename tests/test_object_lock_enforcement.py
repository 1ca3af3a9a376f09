"""What Object Lock refuses: deleting a locked version (DeleteObject with a versionId, DeleteObjects,
lifecycle expiration), shortening or lifting a retention; the GOVERNANCE bypass and the permissions
each part needs; the lifecycle clock ending retention. Delete markers can always be put, as in S3."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.harness.clients import unique_bucket_name
from tests.harness.iam import allow, deny, new_user
from tests.harness.rawhttp import signed
from tests.harness.servers import LOCAL, Server
from tests.test_object_lock import failure, later, lock_of

LOCKED = ("AccessDenied", 403, "Access Denied because object protected by object lock.")
DENIED = ("AccessDenied", 403, "Access Denied")
MOTO_NO_RULES = "moto applies none of the rules of PutObjectRetention: a retention in force can be shortened or lifted"


@pytest.fixture
def locked(s3) -> str:  # type: ignore[no-untyped-def]
    name = unique_bucket_name("ole")
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def put_locked(s3, bucket: str, key: str = "k", mode: str | None = "COMPLIANCE", hold: str | None = None,
               days: float = 1, now: datetime | None = None) -> str:  # type: ignore[no-untyped-def]
    """A version locked for ``days`` real days from ``now`` (default: now)."""
    lock: dict[str, object] = {}
    if mode is not None:
        until = later(days) if now is None else now + timedelta(days=days)
        lock = {"ObjectLockMode": mode, "ObjectLockRetainUntilDate": until}
    if hold is not None:
        lock["ObjectLockLegalHoldStatus"] = hold
    return str(s3.put_object(Bucket=bucket, Key=key, Body=b"kept", **lock)["VersionId"])


def versions(s3, bucket: str, key: str = "k") -> list[str]:  # type: ignore[no-untyped-def]
    return [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])]


def delete_errors(s3, bucket: str, version: str, key: str = "k", **extra) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key, "VersionId": version}]}, **extra)
    return [(e["Code"], e["Message"]) for e in answer.get("Errors", [])]


# -- deletes ------------------------------------------------------------------------------------------
@pytest.mark.differs("upstream-moto", reason="moto's refusal of a locked DeleteObject says only \"Access Denied\"")
def test_a_refused_delete_says_why(s3, locked):
    version = put_locked(s3, locked)
    assert failure(s3.delete_object, Bucket=locked, Key="k", VersionId=version) == LOCKED


def test_a_locked_version_survives_delete_object_and_delete_objects(s3, locked):
    version = put_locked(s3, locked)
    assert failure(s3.delete_object, Bucket=locked, Key="k", VersionId=version)[:2] == LOCKED[:2]
    assert delete_errors(s3, locked, version) == [LOCKED[::2]]
    assert delete_errors(s3, locked, version, BypassGovernanceRetention=True) == [LOCKED[::2]]  # COMPLIANCE
    marker = s3.delete_object(Bucket=locked, Key="k")  # a delete marker can be put over it, as in S3
    assert marker["DeleteMarker"] is True
    assert versions(s3, locked) == [version]
    assert s3.get_object(Bucket=locked, Key="k", VersionId=version)["Body"].read() == b"kept"
    s3.delete_object(Bucket=locked, Key="k", VersionId=marker["VersionId"])  # markers are not locked
    assert s3.get_object(Bucket=locked, Key="k")["Body"].read() == b"kept"


def test_compliance_cannot_be_bypassed_even_by_the_root_user(s3, locked):
    version = put_locked(s3, locked)
    assert failure(s3.delete_object, Bucket=locked, Key="k", VersionId=version,
                   BypassGovernanceRetention=True)[:2] == LOCKED[:2]
    assert versions(s3, locked) == [version]


def test_governance_gives_way_to_a_bypass(s3, locked):
    one, two = put_locked(s3, locked, "a", "GOVERNANCE"), put_locked(s3, locked, "b", "GOVERNANCE")
    assert failure(s3.delete_object, Bucket=locked, Key="a", VersionId=one)[:2] == LOCKED[:2]
    assert delete_errors(s3, locked, two, "b") == [LOCKED[::2]]
    s3.delete_object(Bucket=locked, Key="a", VersionId=one, BypassGovernanceRetention=True)
    assert delete_errors(s3, locked, two, "b", BypassGovernanceRetention=True) == []
    assert versions(s3, locked, "a") == versions(s3, locked, "b") == []


def test_a_legal_hold_blocks_deletes_until_it_is_lifted(s3, locked):
    version = put_locked(s3, locked, mode="GOVERNANCE", hold="ON")
    assert failure(s3.delete_object, Bucket=locked, Key="k", VersionId=version,
                   BypassGovernanceRetention=True)[:2] == LOCKED[:2]  # a bypass of GOVERNANCE leaves the hold in force
    held = put_locked(s3, locked, "held", mode=None, hold="ON")  # a hold without any retention
    assert delete_errors(s3, locked, held, "held") == [LOCKED[::2]]
    s3.put_object_legal_hold(Bucket=locked, Key="held", VersionId=held, LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=locked, Key="held", VersionId=held)
    assert versions(s3, locked, "held") == []


def test_the_bypass_header_needs_a_bucket_with_object_lock(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    only = ("InvalidArgument", 400, "x-amz-bypass-governance-retention is only applicable to Object Lock enabled "
                                    "buckets.")
    assert failure(s3.delete_object, Bucket=bucket, Key="k", BypassGovernanceRetention=True) == only
    assert failure(s3.delete_objects, Bucket=bucket, Delete={"Objects": [{"Key": "k"}]},
                   BypassGovernanceRetention=False) == only
    s3.delete_object(Bucket=bucket, Key="k")


# -- permissions --------------------------------------------------------------------------------------
def test_the_bypass_needs_s3_bypass_governance_retention(server, s3, locked):
    one, two = put_locked(s3, locked, "a", "GOVERNANCE"), put_locked(s3, locked, "b", "GOVERNANCE")
    _, denied = new_user(server.endpoint, allow("s3:*"), deny("s3:BypassGovernanceRetention"))
    assert failure(denied.delete_object, Bucket=locked, Key="a", VersionId=one, BypassGovernanceRetention=True) \
        == DENIED
    assert delete_errors(denied, locked, one, "a", BypassGovernanceRetention=True) == [DENIED[::2]]
    assert failure(denied.put_object_retention, Bucket=locked, Key="a", VersionId=one, Retention={},
                   BypassGovernanceRetention=True) == DENIED
    assert versions(s3, locked, "a") == [one]
    _, allowed = new_user(server.endpoint, allow(["s3:DeleteObjectVersion", "s3:DeleteObject",
                                                  "s3:BypassGovernanceRetention"], f"arn:aws:s3:::{locked}/*"))
    allowed.delete_object(Bucket=locked, Key="a", VersionId=one, BypassGovernanceRetention=True)
    assert delete_errors(allowed, locked, two, "b", BypassGovernanceRetention=True) == []


def test_lock_headers_on_writes_need_their_own_permissions(server, s3, locked):
    _, writer = new_user(server.endpoint, allow("s3:PutObject"))
    writer.put_object(Bucket=locked, Key="plain", Body=b"x")
    assert failure(writer.put_object, Bucket=locked, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
                   ObjectLockRetainUntilDate=later()) == DENIED
    assert failure(writer.put_object, Bucket=locked, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON") == DENIED
    assert failure(writer.create_multipart_upload, Bucket=locked, Key="k", ObjectLockLegalHoldStatus="ON") == DENIED
    _, keeper = new_user(server.endpoint, allow(["s3:PutObject", "s3:PutObjectRetention"]))
    keeper.put_object(Bucket=locked, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=later())
    assert failure(keeper.put_object, Bucket=locked, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON") == DENIED


def test_reads_show_a_lock_only_to_callers_allowed_to_see_it(server, s3, locked):
    put_locked(s3, locked, mode="GOVERNANCE", hold="ON")
    _, reader = new_user(server.endpoint, allow("s3:GetObject"))
    assert lock_of(reader.head_object(Bucket=locked, Key="k")) == {}
    assert lock_of(reader.get_object(Bucket=locked, Key="k")) == {}
    _, auditor = new_user(server.endpoint, allow(["s3:GetObject", "s3:GetObjectRetention"]))
    assert set(lock_of(auditor.head_object(Bucket=locked, Key="k"))) == {"ObjectLockMode", "ObjectLockRetainUntilDate"}
    _, lawyer = new_user(server.endpoint, allow(["s3:GetObject", "s3:GetObjectLegalHold"]))
    assert lock_of(lawyer.head_object(Bucket=locked, Key="k")) == {"ObjectLockLegalHoldStatus": "ON"}


def test_creating_a_bucket_with_object_lock_needs_its_permissions(server, s3):
    _, creator = new_user(server.endpoint, allow(["s3:CreateBucket", "s3:PutBucketVersioning"]))
    name = unique_bucket_name("olp")
    assert failure(creator.create_bucket, Bucket=name, ObjectLockEnabledForBucket=True) == DENIED
    assert failure(s3.head_bucket, Bucket=name)[:2] == ("404", 404)  # nothing was made
    _, admin = new_user(server.endpoint, allow(["s3:CreateBucket", "s3:PutBucketVersioning",
                                                "s3:PutBucketObjectLockConfiguration"]))
    admin.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)


# -- retention changes --------------------------------------------------------------------------------
@pytest.mark.differs("upstream-moto", reason=MOTO_NO_RULES)
def test_compliance_retention_can_be_extended_but_not_shortened(s3, locked):
    version = put_locked(s3, locked, days=2)
    extended = later(5)
    s3.put_object_retention(Bucket=locked, Key="k", VersionId=version,
                            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": extended})
    for retention in ({"Mode": "COMPLIANCE", "RetainUntilDate": later(3)},  # shorter
                      {"Mode": "GOVERNANCE", "RetainUntilDate": later(9)},  # another mode
                      {}):  # none
        assert failure(s3.put_object_retention, Bucket=locked, Key="k", VersionId=version, Retention=retention,
                       BypassGovernanceRetention=True) == LOCKED
    assert s3.head_object(Bucket=locked, Key="k")["ObjectLockRetainUntilDate"] == extended


@pytest.mark.differs("upstream-moto", reason=MOTO_NO_RULES)
def test_governance_retention_changes_only_with_a_bypass(s3, locked):
    version = put_locked(s3, locked, mode="GOVERNANCE", days=2)
    s3.put_object_retention(Bucket=locked, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(4)})
    for retention in ({"Mode": "GOVERNANCE", "RetainUntilDate": later(1)}, {}):
        assert failure(s3.put_object_retention, Bucket=locked, Key="k", Retention=retention) == LOCKED
    assert failure(s3.put_object_retention, Bucket=locked, Key="k",
                   Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later(9)}) == LOCKED
    s3.put_object_retention(Bucket=locked, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(1)},
                            BypassGovernanceRetention=True)
    s3.put_object_retention(Bucket=locked, Key="k", Retention={}, BypassGovernanceRetention=True)  # lifted
    assert lock_of(s3.head_object(Bucket=locked, Key="k")) == {}
    s3.delete_object(Bucket=locked, Key="k", VersionId=version)


# -- the clock and the lifecycle (local: the admin endpoint moves the server's clock) --------------------
@pytest.fixture(scope="module")
def clock_server(stack, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A lifecycle day here is 100,000 seconds, and only the admin endpoint moves time."""
    srv = stack.gateway(tmp_path_factory.mktemp("olc") / "data", args=["--lifecycle-day-seconds", "100000"]).start()
    yield srv
    srv.stop()


def advance(server: Server, days: float) -> dict[str, object]:
    response = signed(server, "POST", f"/_s3gate/admin/lifecycle?advance-days={days}")
    assert response.status_code == 200, response.text
    return dict(json.loads(response.content))


def server_now(server: Server) -> datetime:
    """The server's clock, which earlier tests of the module moved ahead: retain-until dates count from it."""
    return datetime.fromtimestamp(int(advance(server, 0)["now_ms"]) / 1000, UTC)  # type: ignore[call-overload]


@pytest.mark.backends(*LOCAL, reason="the admin endpoint moves the local backend's clock")
def test_retention_ends_when_the_clock_passes_it(clock_server):
    s3 = clock_server.client()
    name = unique_bucket_name("olc")
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})
    by_default = s3.put_object(Bucket=name, Key="default", Body=b"x")["VersionId"]
    head = s3.head_object(Bucket=name, Key="default")  # a default day is a lifecycle day long
    assert abs(head["ObjectLockRetainUntilDate"] - head["LastModified"] - timedelta(seconds=100000)) \
        < timedelta(seconds=2)
    dated = put_locked(s3, name, "dated", days=3, now=server_now(clock_server))  # 259,200 s: 2.6 lifecycle days
    assert failure(s3.delete_object, Bucket=name, Key="default", VersionId=by_default) == LOCKED
    advance(clock_server, 1.1)
    s3.delete_object(Bucket=name, Key="default", VersionId=by_default)
    assert failure(s3.delete_object, Bucket=name, Key="dated", VersionId=dated) == LOCKED
    assert failure(s3.put_object, Bucket=name, Key="late", Body=b"x", ObjectLockMode="COMPLIANCE",
                   ObjectLockRetainUntilDate=datetime.now(UTC) - timedelta(hours=1))[0] == "InvalidArgument"
    advance(clock_server, 1.6)
    s3.delete_object(Bucket=name, Key="dated", VersionId=dated)
    assert versions(s3, name, "d") == []


@pytest.mark.backends(*LOCAL, reason="the admin endpoint moves the local backend's clock")
def test_a_locked_noncurrent_version_outlives_its_lifecycle_expiration(clock_server):
    s3 = clock_server.client()
    name = unique_bucket_name("oll")
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
        {"ID": "old", "Status": "Enabled", "Filter": {"Prefix": ""},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})
    kept = put_locked(s3, name, days=3, now=server_now(clock_server))  # locked for 2.6 lifecycle days
    held = put_locked(s3, name, mode=None, hold="ON")
    free = s3.put_object(Bucket=name, Key="k", Body=b"free")["VersionId"]
    s3.put_object(Bucket=name, Key="k", Body=b"current")  # all three before it are noncurrent now
    assert advance(clock_server, 1.1)["noncurrent_expired"] == 1  # only the unlocked one
    assert free not in versions(s3, name) and {kept, held} <= set(versions(s3, name))
    assert advance(clock_server, 2)["noncurrent_expired"] == 1  # the retention ended; the hold stays
    assert kept not in versions(s3, name) and held in versions(s3, name)
    s3.put_object_legal_hold(Bucket=name, Key="k", VersionId=held, LegalHold={"Status": "OFF"})
    assert advance(clock_server, 0)["noncurrent_expired"] == 1
    assert len(versions(s3, name)) == 1
