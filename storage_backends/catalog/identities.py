"""The IdentityStore protocol served by a catalog: the local backend's own, or one the upstream
backend opens in its data dir just for identities (the upstream has nowhere to keep them)."""

from __future__ import annotations

from storage_backends.catalog.dialects import MetadataLocation, open_metadata
from storage_backends.catalog.sql import iam
from storage_backends.catalog.store import Catalog
from storage_backends.identity import (
    Attachment,
    IamAccessKey,
    IamGroup,
    IamUser,
    IdentityState,
    InlinePolicy,
    ManagedPolicy,
)


class CatalogIdentities:
    """Each IdentityStore verb is one catalog read or one group-committed write."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    @classmethod
    def open(cls, location: MetadataLocation) -> CatalogIdentities:
        """A catalog of its own at ``location`` (created if need be), for a backend that has none."""
        return cls(open_metadata(location))

    async def generation(self) -> int:
        return await self.catalog.iam_generation()

    async def state(self) -> IdentityState:
        return await self.catalog.iam_state()

    async def create_user(self, user: IamUser) -> None:
        await self.catalog.write(lambda tx: iam.create_user(tx, user))

    async def delete_user(self, account_id: str, name: str) -> None:
        await self.catalog.write(lambda tx: iam.delete_user(tx, account_id, name))

    async def create_access_key(self, key: IamAccessKey, *, limit: int = 2) -> None:
        await self.catalog.write(lambda tx: iam.create_access_key(tx, key, limit))

    async def update_access_key(self, account_id: str, user_name: str, access_key: str, status: str) -> None:
        await self.catalog.write(lambda tx: iam.update_access_key(tx, account_id, user_name, access_key, status))

    async def delete_access_key(self, account_id: str, user_name: str, access_key: str) -> None:
        await self.catalog.write(lambda tx: iam.delete_access_key(tx, account_id, user_name, access_key))

    async def create_group(self, group: IamGroup) -> None:
        await self.catalog.write(lambda tx: iam.create_group(tx, group))

    async def delete_group(self, account_id: str, name: str) -> None:
        await self.catalog.write(lambda tx: iam.delete_group(tx, account_id, name))

    async def add_member(self, account_id: str, group_name: str, user_name: str) -> None:
        await self.catalog.write(lambda tx: iam.add_member(tx, account_id, group_name, user_name))

    async def remove_member(self, account_id: str, group_name: str, user_name: str) -> None:
        await self.catalog.write(lambda tx: iam.remove_member(tx, account_id, group_name, user_name))

    async def put_inline_policy(self, policy: InlinePolicy) -> None:
        await self.catalog.write(lambda tx: iam.put_inline_policy(tx, policy))

    async def delete_inline_policy(self, account_id: str, kind: str, owner: str, name: str) -> None:
        await self.catalog.write(lambda tx: iam.delete_inline_policy(tx, account_id, kind, owner, name))

    async def create_policy(self, policy: ManagedPolicy) -> None:
        await self.catalog.write(lambda tx: iam.create_policy(tx, policy))

    async def delete_policy(self, account_id: str, arn: str) -> None:
        await self.catalog.write(lambda tx: iam.delete_policy(tx, account_id, arn))

    async def attach(self, attachment: Attachment) -> None:
        await self.catalog.write(lambda tx: iam.attach(tx, attachment))

    async def detach(self, attachment: Attachment) -> None:
        await self.catalog.write(lambda tx: iam.detach(tx, attachment))
