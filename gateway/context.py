"""What every operation handler receives: the parsed request, the caller, the backend.

The context also lends handlers the two pipeline hooks that need what only the handler reads:
``authorize`` for secondary resources (a copy's source, each key of DeleteObjects) and
``authenticate_form`` for PostObject, whose credentials are in the body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from gateway.access.identity import Identity
from gateway.auth import Principal, version_action
from gateway.credentials import CredentialsDirectory
from gateway.payload import Receive, RequestBody, open_body
from gateway.request import S3Request
from gateway.settings import Settings
from gateway.wire import xml
from gateway.wire.errors import Code, S3Error
from storage_backends.base import Backend

if TYPE_CHECKING:
    from gateway.controls import ResourceControls
    from gateway.operations import Operation


class Gate(Protocol):
    """The pipeline's authenticate and authorize logic, as a handler may call it (``gateway.pipeline``)."""

    controls: ResourceControls  # buckets' resource controls (owner, policy, ACL, ownership, BPA), cached

    async def authorize(self, ctx: Context, action: str, resource_arn: str, *,
                        version_id: str | None = None, identity_only: bool = False) -> None: ...

    async def authorize_operation(self, ctx: Context, key: str | None) -> None: ...

    async def authenticate_form(self, ctx: Context, fields: dict[str, str]) -> Principal: ...

    async def hides_missing_key(self, ctx: Context) -> bool: ...


@dataclass(slots=True)
class Context:
    req: S3Request
    principal: Principal  # ANONYMOUS until proven otherwise (a POST form: once its fields are read)
    backend: Backend
    settings: Settings
    directory: CredentialsDirectory  # access keys, canonical ids' display names, emails
    receive: Receive
    now: datetime
    operation: Operation
    gate: Gate

    @property
    def bucket(self) -> str:
        assert self.req.bucket is not None
        return self.req.bucket

    @property
    def key(self) -> str:
        assert self.req.key is not None
        return self.req.key

    @property
    def signed(self) -> Principal:
        """The caller, as its payload was signed (an anonymous caller the authorize step let through
        sends an unsigned payload)."""
        return self.principal

    @property
    def writer_id(self) -> str:
        """The canonical id of the account writing (``""`` for an anonymous writer: the bucket owner's
        then, see ``controls.new_object``)."""
        identity = self.principal.identity
        return identity.canonical_id if identity is not None else ""

    @property
    def identity(self) -> Identity:
        """Who signed the request (its account's canonical id owns what it creates)."""
        identity = self.signed.identity
        assert identity is not None
        return identity

    @property
    def controls(self) -> ResourceControls:
        return self.gate.controls

    async def authorize(self, action: str, resource_arn: str, *, version_id: str | None = None,
                        identity_only: bool = False) -> None:
        """Ask for ``action`` (its version variant when ``version_id`` is given) on another resource;
        ``identity_only``: of a bucket being created, which has no bucket policy or ACL yet."""
        await self.gate.authorize(self, version_action(action, version_id), resource_arn, version_id=version_id,
                                  identity_only=identity_only)

    async def authorize_operation(self, key: str | None) -> None:
        """The authorize step for this operation's own actions, once the handler knows the key (PostObject)."""
        await self.gate.authorize_operation(self, key)

    async def authenticate_form(self, fields: dict[str, str]) -> Principal:
        """A POST form's credentials: verified, recorded as this request's principal, and returned."""
        return await self.gate.authenticate_form(self, fields)

    def open_body(self, *, max_size: int, store_algorithm: str | None = None,
                  checksum_headers: bool = True) -> RequestBody:
        return open_body(self.req, self.signed, self.receive, max_size=max_size, store_algorithm=store_algorithm,
                         checksum_headers=checksum_headers)

    def header(self, name: str) -> str | None:
        return self.req.headers.get(name)

    def has_integrity_header(self) -> bool:
        """Content-MD5 or an x-amz-checksum-* (header, or trailer): a payload hash does not count."""
        h = self.req.headers
        return "content-md5" in h or "x-amz-trailer" in h or any(n.startswith("x-amz-checksum-") for n in h)

    def require_integrity_header(self) -> None:
        """Operations S3 refuses without Content-MD5 or an x-amz-checksum-* (DeleteObjects, PutBucketCors...)."""
        if not self.has_integrity_header():
            raise S3Error(Code.InvalidRequest, "Missing required header for this request: Content-MD5")

    async def read_small_body(self, limit: int = xml.MAX_DOCUMENT, *, checksum_headers: bool = True) -> bytes:
        """A control-plane body (an XML document), verified like any upload, capped at ``limit``
        (``checksum_headers=False``: the x-amz-checksum-* headers are not this body's, see ``open_body``)."""
        h = self.req.headers
        if "content-length" not in h and "transfer-encoding" not in h \
                and "x-amz-decoded-content-length" not in h:
            return b""
        try:
            body = self.open_body(max_size=limit, checksum_headers=checksum_headers)
        except S3Error as exc:
            if exc.code == Code.EntityTooLarge.name:
                raise S3Error(Code.MalformedXML, "The XML you provided was larger than the maximum allowed.") \
                    from None
            raise
        data = bytearray()
        async for chunk in body:
            data += chunk
            if len(data) > limit:
                raise S3Error(Code.MalformedXML, "The XML you provided was larger than the maximum allowed.")
        return bytes(data)

    async def read_xml(self, root: str, *, checksum_headers: bool = True) -> xml.Element:
        return xml.parse(await self.read_small_body(checksum_headers=checksum_headers), root)
