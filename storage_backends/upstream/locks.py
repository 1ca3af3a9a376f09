"""Object Lock through the upstream: its configuration, retention and legal-hold documents forwarded.

The upstream keeps and enforces every lock (its own clock decides when a retention ends); the
gateway sends what its client asked for, having checked the caller may (s3:PutObjectRetention,
s3:BypassGovernanceRetention...), and reads the upstream's answers back into the same types.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from gateway.wire import xml
from gateway.wire.documents import object_lock as lock_doc
from gateway.wire.errors import Code, S3Error
from storage_backends.base import LockConfiguration, Retention
from storage_backends.upstream.subresources import content_md5_header, version_query

if TYPE_CHECKING:
    from storage_backends.s3client.client import UpstreamClient

BYPASS_HEADER = "x-amz-bypass-governance-retention"
NOT_SET = "NoSuchObjectLockConfiguration"  # a version without a retention, or without a legal hold


def _no_configuration(exc: S3Error) -> bool:
    """The upstream has no Object Lock on the bucket (or knows no Object Lock at all)."""
    return (exc.status == 404 and exc.code != Code.NoSuchBucket.name) or exc.code == Code.NotImplemented.name


def bypass_header(bypass: bool) -> dict[str, str]:
    return {BYPASS_HEADER: "true"} if bypass else {}


class UpstreamLocks:
    """The Object Lock verbs of UpstreamBackend (which provides ``up``)."""

    @property
    def up(self) -> UpstreamClient:
        raise NotImplementedError

    async def _document(self, bucket: str, key: str | None, sub: str, root: str, version_id: str | None = None,
                        *, unset: Callable[[S3Error], bool] = lambda exc: exc.code == NOT_SET
                        ) -> xml.Element | None:
        """The upstream's ``?<sub>`` document, or None where it answers "none set"."""
        try:
            _, body = await self.up.request("GET", bucket, key, query={sub: "", **version_query(version_id)},
                                            missing=Code.NoSuchBucket if key is None else Code.NoSuchKey)
        except S3Error as exc:
            if unset(exc):
                return None
            raise
        return self.up.document(body, root)

    async def _put(self, bucket: str, key: str | None, sub: str, doc: xml.Element, version_id: str | None = None,
                   headers: dict[str, str] | None = None) -> None:
        content = xml.render(doc)
        await self.up.request("PUT", bucket, key, query={sub: "", **version_query(version_id)}, content=content,
                              headers={**content_md5_header(content), **(headers or {})},
                              missing=Code.NoSuchBucket if key is None else Code.NoSuchKey)

    async def get_object_lock_configuration(self, bucket: str) -> LockConfiguration | None:
        doc = await self._document(bucket, None, "object-lock", lock_doc.CONFIGURATION_ROOT, unset=_no_configuration)
        if doc is None or xml.text(doc, "ObjectLockEnabled") != "Enabled":
            return None
        return lock_doc.parse_configuration(doc, strict=False)

    async def put_object_lock_configuration(self, bucket: str, config: LockConfiguration) -> None:
        await self._put(bucket, None, "object-lock", lock_doc.render_configuration(config))

    async def get_object_retention(self, bucket: str, key: str, *, version_id: str | None = None
                                   ) -> Retention | None:
        doc = await self._document(bucket, key, "retention", lock_doc.RETENTION_ROOT, version_id)
        return lock_doc.parse_retention(doc) if doc is not None else None

    async def put_object_retention(self, bucket: str, key: str, retention: Retention | None, *,
                                   version_id: str | None = None, bypass_governance: bool = False) -> None:
        doc = lock_doc.render_retention(retention) if retention is not None else xml.document(lock_doc.RETENTION_ROOT)
        await self._put(bucket, key, "retention", doc, version_id, bypass_header(bypass_governance))

    async def get_object_legal_hold(self, bucket: str, key: str, *, version_id: str | None = None) -> bool | None:
        doc = await self._document(bucket, key, "legal-hold", lock_doc.LEGAL_HOLD_ROOT, version_id)
        return lock_doc.parse_legal_hold(doc) if doc is not None else None

    async def put_object_legal_hold(self, bucket: str, key: str, on: bool, *, version_id: str | None = None
                                    ) -> None:
        await self._put(bucket, key, "legal-hold", lock_doc.render_legal_hold(on), version_id)
