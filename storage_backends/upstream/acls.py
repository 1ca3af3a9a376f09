"""ACLs through the upstream: forwarded as grants, read back from it, owners translated both ways.

The upstream enforces its resource controls itself; the gateway only sends what its client asked
for. The gateway reports its root user (``owner_id``) as the owner of everything the upstream
account owns, so a grant to that id goes upstream as a grant to the upstream's own account, and the
upstream's account id reads back as the root user's. Other grantees pass through unchanged.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

from gateway.wire import xml
from gateway.wire.documents import acl as acl_doc
from gateway.wire.documents.acl import AccessControlPolicy, Grant, Grants
from gateway.wire.documents.values import owner_id as owner_id_of
from gateway.wire.errors import Code
from storage_backends.base import ObjectAcl
from storage_backends.upstream.subresources import version_query

if TYPE_CHECKING:
    from storage_backends.s3client.client import UpstreamClient

HEADER_OF = {"FULL_CONTROL": "x-amz-grant-full-control", "READ": "x-amz-grant-read",
             "READ_ACP": "x-amz-grant-read-acp", "WRITE": "x-amz-grant-write", "WRITE_ACP": "x-amz-grant-write-acp"}
_FIELD = {acl_doc.CANONICAL_USER: "id", acl_doc.GROUP: "uri", acl_doc.EMAIL: "emailAddress"}


def _swap(grants: Grants, old: str, new: str) -> Grants:
    return tuple(Grant(g.type, new, g.permission) if g.type == acl_doc.CANONICAL_USER and g.grantee == old else g
                 for g in grants)



class UpstreamAcls:
    """The ACL verbs of UpstreamBackend (which provides ``up`` and ``owner_id``)."""

    owner_id: str
    _upstream_owner_id: str | None = None

    @property
    def up(self) -> UpstreamClient:
        raise NotImplementedError

    async def _upstream_owner(self, bucket: str) -> str:
        """The upstream account's canonical id as its ACLs name it: the owner in a bucket's ACL (asked
        once; not ListBuckets' owner, which some implementations spell differently)."""
        if self._upstream_owner_id is None:
            _, body = await self.up.request("GET", bucket, query={"acl": ""}, missing=Code.NoSuchBucket)
            self._upstream_owner_id = owner_id_of(self.up.document(body, acl_doc.ROOT))
        return self._upstream_owner_id

    async def grant_headers(self, bucket: str, grants: Grants | None) -> dict[str, str]:
        """``x-amz-grant-*`` headers for a write's ACL (none for the default, the owner's FULL_CONTROL)."""
        if grants is None:
            return {}
        upstream = _swap(grants, self.owner_id, await self._upstream_owner(bucket))
        headers: dict[str, str] = {}
        for grant in upstream:
            name = HEADER_OF[grant.permission]
            item = f'{_FIELD[grant.type]}="{grant.grantee}"'
            headers[name] = f"{headers[name]}, {item}" if name in headers else item
        return headers

    async def _read_acl(self, bucket: str, key: str | None, version_id: str | None
                        ) -> tuple[AccessControlPolicy, dict[str, str]]:
        headers, body = await self.up.request("GET", bucket, key, query={"acl": "", **version_query(version_id)},
                                              missing=Code.NoSuchKey if key is not None else Code.NoSuchBucket)
        policy = acl_doc.parse_acl(self.up.document(body, acl_doc.ROOT))
        upstream = policy.owner_id or await self._upstream_owner(bucket)
        if key is None and policy.owner_id:
            self._upstream_owner_id = policy.owner_id
        return AccessControlPolicy(self.owner_id, _swap(policy.grants, upstream, self.owner_id)), headers

    async def _write_acl(self, bucket: str, key: str | None, grants: Grants, version_id: str | None) -> dict[str, str]:
        upstream = await self._upstream_owner(bucket)
        policy = AccessControlPolicy(upstream, _swap(grants, self.owner_id, upstream))
        content = xml.render(acl_doc.render_acl(policy, lambda _id: ""))
        md5 = base64.b64encode(hashlib.md5(content).digest()).decode("ascii")
        headers, _ = await self.up.request("PUT", bucket, key, query={"acl": "", **version_query(version_id)},
                                           content=content, headers={"content-md5": md5},
                                           missing=Code.NoSuchKey if key is not None else Code.NoSuchBucket)
        return headers

    async def get_bucket_acl_document(self, bucket: str) -> str:
        policy, _ = await self._read_acl(bucket, None, None)
        return xml.render(acl_doc.render_acl(policy, lambda _id: "")).decode("utf-8")

    async def put_bucket_acl_document(self, bucket: str, document: str | None) -> None:
        grants = acl_doc.owner_full_control(self.owner_id) if document is None else \
            acl_doc.parse_acl(xml.parse(document.encode("utf-8"), acl_doc.ROOT)).grants
        await self._write_acl(bucket, None, grants, None)

    async def get_object_acl(self, bucket: str, key: str, *, version_id: str | None = None) -> ObjectAcl:
        policy, headers = await self._read_acl(bucket, key, version_id)
        return ObjectAcl(self.owner_id, policy.grants, headers.get("x-amz-version-id"))

    async def put_object_acl(self, bucket: str, key: str, grants: Grants | None, *,
                             version_id: str | None = None) -> str | None:
        headers = await self._write_acl(bucket, key, grants or acl_doc.owner_full_control(self.owner_id), version_id)
        return headers.get("x-amz-version-id")
