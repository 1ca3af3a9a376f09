"""Authorization across accounts: both the caller's account and the bucket owner must allow; object
ACLs under ObjectWriter, ignored under BucketOwnerEnforced."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.harness.clients import make_client, unique_bucket_name
from tests.harness.iam import allow, document, failure, new_user
from tests.harness.servers import LOCAL

PARTNER, PARTNER_CANONICAL = "222233334444", "b" * 64
DENIED = ("AccessDenied", 403)
pytestmark = pytest.mark.backends(*LOCAL, reason="every gateway account shares the one upstream account, which owns "
                                  "every bucket: the upstream cannot tell the gateway's accounts apart")


@pytest.fixture
def two_accounts(make_server: Any, tmp_path: Path) -> tuple[Any, Any, str]:
    """(this account's root client, the partner's root client, the gateway's endpoint)."""
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"accounts": [{"id": PARTNER, "name": "partner", "canonical_id": PARTNER_CANONICAL,
                                               "root": {"access_key": "p-root", "secret_key": "p-root-secret"}}]}))
    srv = make_server(args=["--users", str(users)]).start()
    return make_client(srv.endpoint), make_client(srv.endpoint, access_key="p-root", secret_key="p-root-secret"), \
        srv.endpoint


def test_both_sides_must_allow(two_accounts):
    mine, partner, endpoint = two_accounts
    name = unique_bucket_name("x")
    mine.create_bucket(Bucket=name)
    mine.put_object(Bucket=name, Key="k", Body=b"shared")
    _, partner_user = new_user(endpoint, allow("s3:GetObject"), access_key="p-root", secret_key="p-root-secret")
    _, partner_nobody = new_user(endpoint, access_key="p-root", secret_key="p-root-secret")
    # the caller's side allows (a root, a user's policy), the owner's does not
    assert failure(partner.get_object, Bucket=name, Key="k") == DENIED
    assert failure(partner_user.get_object, Bucket=name, Key="k") == DENIED
    mine.put_bucket_policy(Bucket=name, Policy=document(allow(
        "s3:GetObject", f"arn:aws:s3:::{name}/*", Principal={"AWS": f"arn:aws:iam::{PARTNER}:root"})))
    # both allow
    assert partner.get_object(Bucket=name, Key="k")["Body"].read() == b"shared"
    assert partner_user.get_object(Bucket=name, Key="k")["Body"].read() == b"shared"
    # the owner allows, the caller's account does not (a user without policy)
    assert failure(partner_nobody.get_object, Bucket=name, Key="k") == DENIED
    # the grant covers reading only
    assert failure(partner.put_object, Bucket=name, Key="k", Body=b"x") == DENIED
    assert failure(partner.delete_bucket_policy, Bucket=name) == DENIED
    # and the partner's own buckets stay its own
    theirs = unique_bucket_name("p")
    partner.create_bucket(Bucket=theirs)
    assert failure(mine.list_objects_v2, Bucket=theirs) == DENIED


def test_object_acls_under_object_writer_and_bucket_owner_enforced(two_accounts):
    mine, partner, _ = two_accounts
    name = unique_bucket_name("ow")
    mine.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    mine.put_bucket_policy(Bucket=name, Policy=document(allow(
        "s3:PutObject", f"arn:aws:s3:::{name}/*", Principal={"AWS": PARTNER})))
    mine.put_object(Bucket=name, Key="mine", Body=b"m")
    partner.put_object(Bucket=name, Key="theirs", Body=b"t")
    # the partner owns what it wrote: its object ACL lets it read that, and nothing else
    assert partner.get_object(Bucket=name, Key="theirs")["Body"].read() == b"t"
    assert failure(partner.get_object, Bucket=name, Key="mine") == DENIED
    mine.put_object_acl(Bucket=name, Key="mine", GrantRead=f"id={PARTNER_CANONICAL}")
    assert partner.get_object(Bucket=name, Key="mine")["Body"].read() == b"m"
    assert failure(partner.get_object_acl, Bucket=name, Key="mine") == DENIED  # READ, not READ_ACP
    # BucketOwnerEnforced: ACLs grant nothing any more
    mine.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    assert failure(partner.get_object, Bucket=name, Key="mine") == DENIED
    assert failure(partner.get_object, Bucket=name, Key="theirs") == DENIED
