"""The upstream backend's sub-resource verbs: versioning, version listings, tags, lifecycle, restores.

Each is one request to the upstream and one wire document each way; split from ``backend`` (which
provides ``up`` and ``owner_id``) to keep that module readable.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

from gateway.wire import xml
from gateway.wire.documents import restore as restore_doc
from gateway.wire.documents import tagging as tagging_doc
from gateway.wire.documents import versioning as versioning_doc
from gateway.wire.errors import Code, S3Error
from gateway.wire.lifecycle_rules import Configuration
from storage_backends.base import VersionsPage
from storage_backends.upstream import documents

if TYPE_CHECKING:
    from storage_backends.s3client.client import UpstreamClient


def version_query(version_id: str | None) -> dict[str, str]:
    return {"versionId": version_id} if version_id is not None else {}


def content_md5_header(content: bytes) -> dict[str, str]:
    """S3 wants Content-MD5 on DeleteObjects and on bucket configuration documents."""
    return {"content-md5": base64.b64encode(hashlib.md5(content).digest()).decode("ascii")}


class UpstreamSubresources:
    """Versioning, ListObjectVersions, object tagging, lifecycle and RestoreObject through the upstream."""

    owner_id: str

    @property
    def up(self) -> UpstreamClient:
        raise NotImplementedError

    async def get_bucket_versioning(self, bucket: str) -> str | None:
        _, body = await self.up.request("GET", bucket, query={"versioning": ""}, missing=Code.NoSuchBucket)
        return versioning_doc.parse_versioning(self.up.document(body, "VersioningConfiguration")).status

    async def put_bucket_versioning(self, bucket: str, status: str) -> None:
        content = xml.render(versioning_doc.render_versioning(versioning_doc.Versioning(status)))
        await self.up.request("PUT", bucket, query={"versioning": ""}, content=content,
                              headers=content_md5_header(content), missing=Code.NoSuchBucket)

    async def list_object_versions(self, bucket: str, *, prefix: str = "", delimiter: str = "", key_marker: str = "",
                                   version_id_marker: str = "", limit: int = 1000) -> VersionsPage:
        query = {"versions": "", "encoding-type": "url", "max-keys": str(limit)}
        for name, value in (("prefix", prefix), ("delimiter", delimiter), ("key-marker", key_marker),
                            ("version-id-marker", version_id_marker)):
            if value:
                query[name] = value
        _, body = await self.up.request("GET", bucket, query=query, missing=Code.NoSuchBucket)
        return documents.versions(self.up.document(body, "ListVersionsResult"), bucket, self.owner_id)

    async def get_object_tagging(self, bucket: str, key: str, *, version_id: str | None = None
                                 ) -> tuple[str | None, dict[str, str]]:
        headers, body = await self.up.request("GET", bucket, key, query={"tagging": "", **version_query(version_id)},
                                              missing=Code.NoSuchKey)
        tags = tagging_doc.parse_tagging(self.up.document(body, "Tagging"), strict=False)
        return headers.get("x-amz-version-id"), dict(tags)

    async def put_object_tagging(self, bucket: str, key: str, tags: dict[str, str], *,
                                 version_id: str | None = None) -> str | None:
        query = {"tagging": "", **version_query(version_id)}
        if not tags:
            headers, _ = await self.up.request("DELETE", bucket, key, query=query, missing=Code.NoSuchKey)
        else:
            content = xml.render(tagging_doc.render_tagging(tags))
            headers, _ = await self.up.request("PUT", bucket, key, query=query, content=content,
                                               headers=content_md5_header(content), missing=Code.NoSuchKey)
        return headers.get("x-amz-version-id")

    async def get_bucket_lifecycle(self, bucket: str) -> Configuration | None:
        """The upstream's rules, read through the gateway's own LifecycleConfiguration parser."""
        from gateway.wire.lifecycle_xml import parse_configuration

        try:
            headers, body = await self.up.request("GET", bucket, query={"lifecycle": ""}, missing=Code.NoSuchBucket)
        except S3Error as exc:
            if exc.code == Code.NoSuchLifecycleConfiguration.name:
                return None
            raise
        return parse_configuration(self.up.document(body, "LifecycleConfiguration"),
                                   headers.get("x-amz-transition-default-minimum-object-size"))

    async def put_bucket_lifecycle(self, bucket: str, config: Configuration | None) -> None:
        from gateway.wire.lifecycle_xml import render_configuration

        if config is None:
            await self.up.request("DELETE", bucket, query={"lifecycle": ""}, missing=Code.NoSuchBucket)
            return
        content = xml.render(render_configuration(config))
        await self.up.request("PUT", bucket, query={"lifecycle": ""}, content=content,
                              headers={**content_md5_header(content),
                                       "x-amz-transition-default-minimum-object-size": config.min_transition_size},
                              missing=Code.NoSuchBucket)

    async def restore_object(self, bucket: str, key: str, *, version_id: str | None, days: int) -> bool:
        content = xml.render(restore_doc.render_restore_request(restore_doc.RestoreRequest(days)))
        response = await self.up.send("POST", bucket, key, query={"restore": "", **version_query(version_id)},
                                      content=content, headers=content_md5_header(content), missing=Code.NoSuchKey)
        await response.aclose()
        return response.status_code == 202

    async def run_lifecycle(self, *, advance_days: float = 0) -> dict[str, object]:
        raise S3Error(Code.NotImplemented, "The upstream applies its own lifecycle rules; the gateway has no clock "
                      "to advance.")
