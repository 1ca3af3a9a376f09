"""The identity store's contract on the catalog (every dialect must pass): IAM's rules, checked in the
write's transaction, a generation that moves with every write (and only then), one state for every handle."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from storage_backends.catalog.dialects import DIALECTS, open_catalog
from storage_backends.catalog.identities import CatalogIdentities
from storage_backends.identity import (
    Attachment,
    IamAccessKey,
    IamGroup,
    IamUser,
    IdentityError,
    InlinePolicy,
    ManagedPolicy,
    PolicyVersion,
)
from tests.unit.test_catalog import catalog_location

ACCT = "111122223333"
DOC = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'


@pytest.fixture(params=DIALECTS)
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], CatalogIdentities]:
    location = catalog_location(str(request.param), tmp_path, request)
    return lambda: CatalogIdentities(open_catalog(str(request.param), location))


def run(make: Callable[[], CatalogIdentities], body: Callable[[CatalogIdentities], Any]) -> Any:
    async def main() -> Any:
        store = make()
        try:
            return await body(store)
        finally:
            await store.catalog.aclose()
    return asyncio.run(main())


def user(name: str, account: str = ACCT) -> IamUser:
    return IamUser(account, name, f"AIDA{account[:4]}{name.upper():0<13}"[:21], "/", 1)


def key(access_key: str, name: str, status: str = "Active") -> IamAccessKey:
    return IamAccessKey(access_key, "secret", ACCT, name, status, 1)


def policy(name: str) -> ManagedPolicy:
    return ManagedPolicy(ACCT, name, f"ANPA{name.upper():0<17}"[:21], "/", "", "v1", (PolicyVersion("v1", DOC, 1),),
                         1, 1)


async def code(coro: Any) -> str:
    with pytest.raises(IdentityError) as caught:
        await coro
    return caught.value.code


def test_users_are_unique_per_account_without_regard_to_case(make):
    async def body(store: CatalogIdentities) -> None:
        await store.create_user(user("alice"))
        assert await code(store.create_user(user("ALICE"))) == "EntityAlreadyExists"
        await store.create_user(user("alice", "444455556666"))  # another account's alice
        state = await store.state()
        assert [(u.account_id, u.name) for u in state.users] == [(ACCT, "alice"), ("444455556666", "alice")]
    run(make, body)


def test_generation_moves_with_each_write_and_not_with_a_refused_one(make):
    async def body(store: CatalogIdentities) -> None:
        start = await store.generation()
        await store.create_user(user("a"))
        after = await store.generation()
        assert after > start
        await code(store.create_user(user("a")))
        assert await store.generation() == after
        assert (await store.state()).generation == after
    run(make, body)


def test_two_access_keys_per_user_and_status_changes(make):
    async def body(store: CatalogIdentities) -> None:
        assert await code(store.create_access_key(key("AKIA1", "nobody"))) == "NoSuchEntity"
        await store.create_user(user("a"))
        await store.create_access_key(key("AKIA1", "a"))
        await store.create_access_key(key("AKIA2", "a"))
        assert await code(store.create_access_key(key("AKIA3", "a"))) == "LimitExceeded"
        await store.update_access_key(ACCT, "a", "AKIA1", "Inactive")
        assert {k.access_key: k.status for k in (await store.state()).access_keys} == \
            {"AKIA1": "Inactive", "AKIA2": "Active"}
        assert await code(store.delete_access_key(ACCT, "a", "AKIA9")) == "NoSuchEntity"
        await store.delete_access_key(ACCT, "a", "AKIA1")
        assert [k.access_key for k in (await store.state()).access_keys] == ["AKIA2"]
    run(make, body)


def test_a_user_with_keys_policies_or_groups_cannot_be_deleted(make):
    async def body(store: CatalogIdentities) -> None:
        await store.create_user(user("a"))
        await store.create_access_key(key("AKIA1", "a"))
        assert await code(store.delete_user(ACCT, "a")) == "DeleteConflict"
        await store.delete_access_key(ACCT, "a", "AKIA1")
        await store.put_inline_policy(InlinePolicy(ACCT, "user", "a", "p", DOC))
        assert await code(store.delete_user(ACCT, "a")) == "DeleteConflict"
        await store.delete_inline_policy(ACCT, "user", "a", "p")
        await store.create_group(IamGroup(ACCT, "devs", "AGPA1", "/", 1))
        await store.add_member(ACCT, "devs", "a")
        assert await code(store.delete_user(ACCT, "a")) == "DeleteConflict"
        assert await code(store.delete_group(ACCT, "devs")) == "DeleteConflict"
        await store.remove_member(ACCT, "devs", "a")
        assert await code(store.remove_member(ACCT, "devs", "a")) == "NoSuchEntity"
        await store.delete_user(ACCT, "a")
        await store.delete_group(ACCT, "devs")
        assert await code(store.delete_user(ACCT, "a")) == "NoSuchEntity"
        state = await store.state()
        assert not state.users and not state.groups and not state.memberships
    run(make, body)


def test_managed_policies_attach_and_cannot_be_deleted_while_attached(make):
    async def body(store: CatalogIdentities) -> None:
        p = policy("mp")
        await store.create_policy(p)
        assert await code(store.create_policy(policy("MP"))) == "EntityAlreadyExists"
        await store.create_user(user("a"))
        await store.attach(Attachment(ACCT, "user", "a", p.arn))
        assert await code(store.attach(Attachment(ACCT, "user", "a", p.arn + "x"))) == "NoSuchEntity"
        assert await code(store.delete_policy(ACCT, p.arn)) == "DeleteConflict"
        state = await store.state()
        assert state.policies == (p,) and state.policies[0].document == DOC
        assert state.attachments == (Attachment(ACCT, "user", "a", p.arn),)
        await store.detach(Attachment(ACCT, "user", "a", p.arn))
        assert await code(store.detach(Attachment(ACCT, "user", "a", p.arn))) == "NoSuchEntity"
        await store.delete_policy(ACCT, p.arn)
        assert (await store.state()).policies == ()
    run(make, body)


def test_inline_policies_replace_by_name(make):
    async def body(store: CatalogIdentities) -> None:
        await store.create_group(IamGroup(ACCT, "g", "AGPA1", "/", 1))
        await store.put_inline_policy(InlinePolicy(ACCT, "group", "g", "p", DOC))
        await store.put_inline_policy(InlinePolicy(ACCT, "group", "g", "p", DOC.replace("s3:*", "s3:Get*")))
        assert [p.document for p in (await store.state()).inline_policies] == [DOC.replace("s3:*", "s3:Get*")]
        assert await code(store.put_inline_policy(InlinePolicy(ACCT, "user", "nobody", "p", DOC))) == "NoSuchEntity"
    run(make, body)


def test_another_handle_sees_the_same_state_and_it_survives_reopening(make):
    async def write(store: CatalogIdentities) -> int:
        await store.create_user(user("a"))
        await store.create_access_key(key("AKIA1", "a"))
        return await store.generation()

    generation = run(make, write)

    async def read(store: CatalogIdentities) -> None:
        assert await store.generation() == generation
        state = await store.state()
        assert [u.name for u in state.users] == ["a"] and [k.access_key for k in state.access_keys] == ["AKIA1"]
    run(make, read)
