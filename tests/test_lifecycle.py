"""Lifecycle rules that really run: configuration, every action, the admin clock, restores."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import assert_same_bytes, error_code, error_code_of
from tests.harness.clients import make_client, unique_bucket_name
from tests.harness.payloads import content_md5
from tests.harness.rawhttp import signed
from tests.harness.servers import LOCAL, Server

pytestmark = pytest.mark.backends(*LOCAL, reason="lifecycle enforcement is the local backend's")

BIG = 200 * 1024  # transitions skip objects under 128 KiB by default


@pytest.fixture(scope="module")
def lc_server(stack, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Days are long enough here that only the admin endpoint moves time (no background surprises)."""
    cold = tmp_path_factory.mktemp("cold")
    srv = stack.gateway(tmp_path_factory.mktemp("lc") / "data",
                        args=["--lifecycle-day-seconds", "100000", "--restore-delay-seconds", "0.5",
                              "--storage-class-dir", f"DEEP_ARCHIVE={cold}"]).start()
    srv.cold = cold  # type: ignore[attr-defined]
    yield srv
    srv.stop()


@pytest.fixture
def lc(lc_server):  # type: ignore[no-untyped-def]
    return lc_server.client()


@pytest.fixture
def lcb(lc):  # type: ignore[no-untyped-def]
    name = unique_bucket_name("lc")
    lc.create_bucket(Bucket=name)
    return name


def advance(server: Server, days: float = 0) -> dict[str, object]:
    """The admin endpoint: move the lifecycle clock, run a pass, get the report."""
    response = signed(server, "POST", f"/_s3gate/admin/lifecycle?advance-days={days}")
    assert response.status_code == 200, response.text
    return dict(json.loads(response.content))


def keys(s3, bucket):  # type: ignore[no-untyped-def]
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def rule(**fields):  # type: ignore[no-untyped-def]
    return {"ID": fields.pop("ID", "r1"), "Status": fields.pop("Status", "Enabled"),
            "Filter": fields.pop("Filter", {"Prefix": ""}), **fields}


# -- configuration ------------------------------------------------------------------------------------
def test_configuration_round_trip(lc, lcb):
    with pytest.raises(ClientError) as exc:
        lc.get_bucket_lifecycle_configuration(Bucket=lcb)
    assert error_code(exc) == "NoSuchLifecycleConfiguration"
    rules = [
        rule(ID="logs", Filter={"Prefix": "logs/"}, Expiration={"Days": 30},
             Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"}][:0],
             NoncurrentVersionExpiration={"NoncurrentDays": 7, "NewerNoncurrentVersions": 2},
             AbortIncompleteMultipartUpload={"DaysAfterInitiation": 3}),
        rule(ID="tagged", Filter={"And": {"Prefix": "img/", "Tags": [{"Key": "tier", "Value": "cold"}],
                                          "ObjectSizeGreaterThan": 1000}},
             Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
             NoncurrentVersionTransitions=[{"NoncurrentDays": 30, "StorageClass": "GLACIER_IR"}]),
        rule(ID="markers", Filter={"Tag": {"Key": "a", "Value": "b"}}, Status="Disabled",
             Expiration={"Date": datetime(2030, 1, 1, tzinfo=UTC)}),
    ]
    put = lc.put_bucket_lifecycle_configuration(Bucket=lcb, LifecycleConfiguration={"Rules": rules})
    assert put["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    got = lc.get_bucket_lifecycle_configuration(Bucket=lcb)["Rules"]
    assert [r["ID"] for r in got] == ["logs", "tagged", "markers"]
    assert got[0]["Expiration"] == {"Days": 30} and got[0]["Filter"] == {"Prefix": "logs/"}
    assert got[0]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 7, "NewerNoncurrentVersions": 2}
    assert got[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 3}
    assert got[1]["Filter"]["And"]["Tags"] == [{"Key": "tier", "Value": "cold"}]
    assert [t["StorageClass"] for t in got[1]["Transitions"]] == ["STANDARD_IA", "GLACIER"]
    assert got[2]["Status"] == "Disabled" and got[2]["Expiration"]["Date"].year == 2030
    lc.delete_bucket_lifecycle(Bucket=lcb)
    with pytest.raises(ClientError):
        lc.get_bucket_lifecycle_configuration(Bucket=lcb)


@pytest.mark.parametrize("bad,code", [
    (rule(Expiration={"Days": 0}), "InvalidArgument"),
    (rule(Expiration={"Days": 5, "ExpiredObjectDeleteMarker": True}), "InvalidArgument"),
    (rule(Expiration={"Date": datetime(2030, 1, 1, 12, tzinfo=UTC)}), "InvalidArgument"),
    (rule(Transitions=[{"Days": 10, "StorageClass": "STANDARD_IA"}]), "InvalidArgument"),
    (rule(Transitions=[{"Days": 40, "StorageClass": "STANDARD"}]), "InvalidStorageClass"),
    (rule(Transitions=[{"Days": 40, "StorageClass": "GLACIER"}], Expiration={"Days": 30}), "InvalidArgument"),
    (rule(Filter={"Tag": {"Key": "a", "Value": "b"}}, AbortIncompleteMultipartUpload={"DaysAfterInitiation": 1}),
     "InvalidArgument"),
    (rule(Filter={"Tag": {"Key": "a", "Value": "b"}}, Expiration={"ExpiredObjectDeleteMarker": True}),
     "InvalidArgument"),
    (rule(NoncurrentVersionExpiration={"NoncurrentDays": 1, "NewerNoncurrentVersions": 101}), "InvalidArgument"),
    (rule(ID="x" * 256, Expiration={"Days": 1}), "InvalidArgument"),
    (rule(), "InvalidArgument"),  # no action at all
])
def test_invalid_rules(lc, lcb, bad, code):
    with pytest.raises(ClientError) as exc:
        lc.put_bucket_lifecycle_configuration(Bucket=lcb, LifecycleConfiguration={"Rules": [bad]})
    assert error_code(exc) == code


def test_duplicate_ids_and_malformed_status(lc, lcb, lc_server):
    with pytest.raises(ClientError) as exc:
        lc.put_bucket_lifecycle_configuration(Bucket=lcb, LifecycleConfiguration={"Rules": [
            rule(Expiration={"Days": 1}), rule(Expiration={"Days": 2})]})
    assert error_code(exc) == "InvalidArgument"
    body = (b"<LifecycleConfiguration><Rule><ID>x</ID><Filter><Prefix/></Filter><Status>On</Status>"
            b"<Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>")
    response = signed(lc_server, "PUT", f"/{lcb}?lifecycle", body=body,
                      headers={"Content-MD5": content_md5(body)})
    assert response.status_code == 400 and error_code_of(response) == "MalformedXML"
    response = signed(lc_server, "PUT", f"/{lcb}?lifecycle", body=body.replace(b"On", b"Enabled"))
    assert response.status_code == 400 and error_code_of(response) == "InvalidRequest"  # no Content-MD5


# -- enforcement ---------------------------------------------------------------------------------------
def test_expiration_days(lc, lcb, lc_server):
    lc.put_bucket_lifecycle_configuration(Bucket=lcb, LifecycleConfiguration={"Rules": [
        rule(ID="logs-30d", Filter={"Prefix": "logs/"}, Expiration={"Days": 30})]})
    put = lc.put_object(Bucket=lcb, Key="logs/a.log", Body=b"x")
    assert 'rule-id="logs-30d"' in put["Expiration"]
    lc.put_object(Bucket=lcb, Key="photos/keep.jpg", Body=b"x")
    head = lc.head_object(Bucket=lcb, Key="logs/a.log")
    assert head["Expiration"].startswith('expiry-date="') and 'rule-id="logs-30d"' in head["Expiration"]
    assert "Expiration" not in lc.head_object(Bucket=lcb, Key="photos/keep.jpg")
    assert advance(lc_server, 29)["expired"] == 0
    assert keys(lc, lcb) == ["logs/a.log", "photos/keep.jpg"]
    report = advance(lc_server, 2)
    assert report["expired"] >= 1
    assert keys(lc, lcb) == ["photos/keep.jpg"]


def test_expiration_in_versioned_bucket_adds_delete_marker(lc, lcb, lc_server):
    lc.put_bucket_versioning(Bucket=lcb, VersioningConfiguration={"Status": "Enabled"})
    v1 = lc.put_object(Bucket=lcb, Key="doc", Body=b"x")["VersionId"]
    lc.put_bucket_lifecycle_configuration(Bucket=lcb, LifecycleConfiguration={"Rules": [
        rule(Expiration={"Days": 5})]})
    advance(lc_server, 6)
    versions = lc.list_object_versions(Bucket=lcb)
    assert [(v["VersionId"], v["IsLatest"]) for v in versions["Versions"]] == [(v1, False)]
    assert len(versions["DeleteMarkers"]) == 1 and versions["DeleteMarkers"][0]["IsLatest"] is True
    advance(lc_server, 6)  # a delete marker is not expired again
    assert len(lc.list_object_versions(Bucket=lcb)["DeleteMarkers"]) == 1


def test_noncurrent_expiration_keeps_newer_versions(lc, lcb, lc_server):
    lc.put_bucket_versioning(Bucket=lcb, VersioningConfiguration={"Status": "Enabled"})
    ids = [lc.put_object(Bucket=lcb, Key="k", Body=b"%d" % i)["VersionId"] for i in range(5)]
    lc.put_bucket_lifecycle_configuration(Bucket=lcb, LifecycleConfiguration={"Rules": [
        rule(NoncurrentVersionExpiration={"NoncurrentDays": 7, "NewerNoncurrentVersions": 1})]})
    assert advance(lc_server, 6)["noncurrent_expired"] == 0
    report = advance(lc_server, 2)
    assert report["noncurrent_expired"] == 3
    remaining = [v["VersionId"] for v in lc.list_object_versions(Bucket=lcb)["Versions"]]
    assert remaining == [ids[4], ids[3]]  # the current one and the newest noncurrent one


def test_expired_object_delete_markers_are_removed(lc, lcb, lc_server):
    lc.put_bucket_versioning(Bucket=lcb, VersioningConfiguration={"Status": "Enabled"})
    lc.put_object(Bucket=lcb, Key="gone", Body=b"x")
    lc.delete_object(Bucket=lcb, Key="gone")
    lc.put_object(Bucket=lcb, Key="kept", Body=b"x")
    lc.delete_object(Bucket=lcb, Key="kept")
    lc.put_bucket_lifecycle_configuration(Bucket=lcb, LifecycleConfiguration={"Rules": [
        rule(ID="noncurrent", Filter={"Prefix": "gone"}, NoncurrentVersionExpiration={"NoncurrentDays": 1}),
        rule(ID="markers", Expiration={"ExpiredObjectDeleteMarker": True})]})
    report = advance(lc_server, 2)
    assert report["noncurrent_expired"] == 1
    advance(lc_server, 0)  # the marker of "gone" is now alone; the next pass removes it
    listing = lc.list_object_versions(Bucket=lcb)
    assert [m["Key"] for m in listing["DeleteMarkers"]] == ["kept"]  # "kept" still has a version
    assert [v["Key"] for v in listing["Versions"]] == ["kept"]


def test_abort_incomplete_multipart_uploads(lc, lcb, lc_server):
    upload_id = lc.create_multipart_upload(Bucket=lcb, Key="big/video")["UploadId"]
    lc.upload_part(Bucket=lcb, Key="big/video", UploadId=upload_id, PartNumber=1, Body=os.urandom(BIG))
    lc.create_multipart_upload(Bucket=lcb, Key="other/doc")
    lc.put_bucket_lifecycle_configuration(Bucket=lcb, LifecycleConfiguration={"Rules": [
        rule(Filter={"Prefix": "big/"}, AbortIncompleteMultipartUpload={"DaysAfterInitiation": 2})]})
    assert advance(lc_server, 3)["uploads_aborted"] == 1
    assert [u["Key"] for u in lc.list_multipart_uploads(Bucket=lcb).get("Uploads", [])] == ["other/doc"]
    with pytest.raises(ClientError) as exc:
        lc.list_parts(Bucket=lcb, Key="big/video", UploadId=upload_id)
    assert error_code(exc) == "NoSuchUpload"


def test_transitions_and_archive_reads(lc, lcb, lc_server):
    lc.put_object(Bucket=lcb, Key="big", Body=os.urandom(BIG))
    lc.put_object(Bucket=lcb, Key="small", Body=b"tiny")
    lc.put_bucket_lifecycle_configuration(Bucket=lcb, LifecycleConfiguration={"Rules": [
        rule(Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 60, "StorageClass": "GLACIER"}])]})
    assert advance(lc_server, 31)["transitioned"] == 1
    assert lc.head_object(Bucket=lcb, Key="big")["StorageClass"] == "STANDARD_IA"
    assert "StorageClass" not in lc.head_object(Bucket=lcb, Key="small")  # under 128 KiB: stays
    advance(lc_server, 30)
    assert lc.head_object(Bucket=lcb, Key="big")["StorageClass"] == "GLACIER"
    listed = {o["Key"]: o["StorageClass"] for o in lc.list_objects_v2(Bucket=lcb)["Contents"]}
    assert listed == {"big": "GLACIER", "small": "STANDARD"}
    with pytest.raises(ClientError) as exc:
        lc.get_object(Bucket=lcb, Key="big")
    assert error_code(exc) == "InvalidObjectState"
    advance(lc_server, 100)  # never back up the waterfall
    assert lc.head_object(Bucket=lcb, Key="big")["StorageClass"] == "GLACIER"


def test_size_filter_lowers_the_transition_floor(lc, lcb, lc_server):
    lc.put_object(Bucket=lcb, Key="small", Body=b"tiny")
    lc.put_bucket_lifecycle_configuration(Bucket=lcb, LifecycleConfiguration={"Rules": [
        rule(Filter={"ObjectSizeGreaterThan": 1}, Transitions=[{"Days": 1, "StorageClass": "GLACIER_IR"}])]})
    advance(lc_server, 2)
    assert lc.head_object(Bucket=lcb, Key="small")["StorageClass"] == "GLACIER_IR"


def test_noncurrent_transition(lc, lcb, lc_server):
    lc.put_bucket_versioning(Bucket=lcb, VersioningConfiguration={"Status": "Enabled"})
    old = lc.put_object(Bucket=lcb, Key="k", Body=os.urandom(BIG))["VersionId"]
    lc.put_object(Bucket=lcb, Key="k", Body=os.urandom(BIG))
    lc.put_bucket_lifecycle_configuration(Bucket=lcb, LifecycleConfiguration={"Rules": [
        rule(NoncurrentVersionTransitions=[{"NoncurrentDays": 30, "StorageClass": "ONEZONE_IA"}])]})
    assert advance(lc_server, 31)["noncurrent_transitioned"] == 1
    versions = {v["VersionId"]: v["StorageClass"] for v in lc.list_object_versions(Bucket=lcb)["Versions"]}
    assert versions[old] == "ONEZONE_IA" and sorted(versions.values()) == ["ONEZONE_IA", "STANDARD"]


def test_tag_and_size_filters(lc, lcb, lc_server):
    lc.put_object(Bucket=lcb, Key="tagged", Body=b"x" * 100, Tagging="temp=yes")
    lc.put_object(Bucket=lcb, Key="untagged", Body=b"x" * 100)
    lc.put_object(Bucket=lcb, Key="big-tagged", Body=b"x" * 5000, Tagging="temp=yes")
    lc.put_bucket_lifecycle_configuration(Bucket=lcb, LifecycleConfiguration={"Rules": [
        rule(Filter={"And": {"Tags": [{"Key": "temp", "Value": "yes"}], "ObjectSizeLessThan": 1000}},
             Expiration={"Days": 1})]})
    advance(lc_server, 2)
    assert keys(lc, lcb) == ["big-tagged", "untagged"]


def test_date_expiration_and_disabled_rules(lc, lcb, lc_server):
    lc.put_object(Bucket=lcb, Key="a/x", Body=b"x")
    lc.put_object(Bucket=lcb, Key="b/x", Body=b"x")
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    lc.put_bucket_lifecycle_configuration(Bucket=lcb, LifecycleConfiguration={"Rules": [
        rule(ID="past-date", Filter={"Prefix": "a/"}, Expiration={"Date": midnight}),
        rule(ID="off", Status="Disabled", Filter={"Prefix": "b/"}, Expiration={"Days": 1})]})
    advance(lc_server, 5)
    assert keys(lc, lcb) == ["b/x"]


def test_transition_moves_bytes_to_the_class_directory(lc, lcb, lc_server):
    data = os.urandom(BIG)
    lc.put_object(Bucket=lcb, Key="deep", Body=data)
    cold: Path = lc_server.cold  # type: ignore[attr-defined]
    before = {p.name for p in cold.rglob("*") if p.is_file() and p.parent.parent.name == "blobs"}
    lc.put_bucket_lifecycle_configuration(Bucket=lcb, LifecycleConfiguration={"Rules": [
        rule(Transitions=[{"Days": 1, "StorageClass": "DEEP_ARCHIVE"}])]})
    advance(lc_server, 2)
    after = {p.name for p in cold.rglob("*") if p.is_file() and p.parent.parent.name == "blobs"}
    assert len(after - before) == 1  # the blob now lives on the cold volume
    assert lc.head_object(Bucket=lcb, Key="deep")["StorageClass"] == "DEEP_ARCHIVE"
    lc.restore_object(Bucket=lcb, Key="deep", RestoreRequest={"Days": 1})
    time.sleep(0.7)
    assert_same_bytes(lc.get_object(Bucket=lcb, Key="deep")["Body"].read(), data)


def test_restore_object(lc, lcb, lc_server):
    lc.put_object(Bucket=lcb, Key="frozen", Body=b"ice", StorageClass="GLACIER")
    with pytest.raises(ClientError) as exc:
        lc.get_object(Bucket=lcb, Key="frozen")
    assert error_code(exc) == "InvalidObjectState" and exc.value.response["Error"]["StorageClass"] == "GLACIER"
    first = lc.restore_object(Bucket=lcb, Key="frozen", RestoreRequest={
        "Days": 2, "GlacierJobParameters": {"Tier": "Standard"}})
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert lc.head_object(Bucket=lcb, Key="frozen")["Restore"] == 'ongoing-request="true"'
    with pytest.raises(ClientError) as exc:
        lc.restore_object(Bucket=lcb, Key="frozen", RestoreRequest={"Days": 2})
    assert error_code(exc) == "RestoreAlreadyInProgress"
    time.sleep(0.7)  # --restore-delay-seconds 0.5
    restore = lc.head_object(Bucket=lcb, Key="frozen")["Restore"]
    assert restore.startswith('ongoing-request="false", expiry-date="')
    assert lc.get_object(Bucket=lcb, Key="frozen")["Body"].read() == b"ice"
    again = lc.restore_object(Bucket=lcb, Key="frozen", RestoreRequest={"Days": 5})
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200  # already restored: the expiry is extended
    report = advance(lc_server, 6)
    assert report["restores_expired"] >= 1
    assert "Restore" not in lc.head_object(Bucket=lcb, Key="frozen")
    with pytest.raises(ClientError) as exc:
        lc.get_object(Bucket=lcb, Key="frozen")
    assert error_code(exc) == "InvalidObjectState"


def test_restore_needs_an_archived_object(lc, lcb):
    lc.put_object(Bucket=lcb, Key="warm", Body=b"x", StorageClass="GLACIER_IR")
    assert lc.get_object(Bucket=lcb, Key="warm")["Body"].read() == b"x"  # instant retrieval is readable
    with pytest.raises(ClientError) as exc:
        lc.restore_object(Bucket=lcb, Key="warm", RestoreRequest={"Days": 1})
    assert error_code(exc) == "InvalidObjectState"


def test_archived_objects_cannot_be_copied_until_restored(lc, lcb):
    lc.put_object(Bucket=lcb, Key="deep", Body=b"x", StorageClass="DEEP_ARCHIVE")
    with pytest.raises(ClientError) as exc:
        lc.copy_object(Bucket=lcb, Key="copy", CopySource={"Bucket": lcb, "Key": "deep"})
    assert error_code(exc) == "InvalidObjectState"


def test_admin_endpoint_requires_root(stack, tmp_path):
    users = tmp_path / "users.json"
    users.write_text('{"users": [{"access_key": "app", "secret_key": "app-secret"}]}')
    srv = stack.gateway(tmp_path / "data", args=["--users", str(users)]).start()
    try:
        import httpx

        assert httpx.post(f"{srv.endpoint}/_s3gate/admin/lifecycle").status_code == 403
        from tests.harness.rawhttp import send, sign_v4

        url = f"{srv.endpoint}/_s3gate/admin/lifecycle?advance-days=1"
        response = send("POST", url, headers=sign_v4("POST", url, access_key="app", secret_key="app-secret"))
        assert response.status_code == 403 and error_code_of(response) == "AccessDenied"
        assert advance(srv, 1)["offset_days"] == 1
        bad = signed(srv, "POST", "/_s3gate/admin/lifecycle?advance-days=-1")
        assert bad.status_code == 400
    finally:
        srv.stop()


def test_accelerated_days_run_without_the_admin_endpoint(stack, tmp_path):
    srv = stack.gateway(tmp_path / "data", args=["--lifecycle-day-seconds", "1"]).start()
    try:
        s3 = make_client(srv.endpoint)
        s3.create_bucket(Bucket="fast")
        s3.put_bucket_lifecycle_configuration(Bucket="fast", LifecycleConfiguration={"Rules": [
            rule(Expiration={"Days": 1})]})
        s3.put_object(Bucket="fast", Key="k", Body=b"x")
        deadline = time.monotonic() + 10
        while keys(s3, "fast") and time.monotonic() < deadline:
            time.sleep(0.25)
        assert keys(s3, "fast") == []
    finally:
        srv.stop()
