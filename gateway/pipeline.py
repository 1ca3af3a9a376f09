"""A front door's request flow as an ordered list of steps, read top to bottom.

Each step is an async function taking the request's :class:`Exchange`. The ``steps`` run in
order until one of them leaves a response (``handle`` does, or an earlier step that answers by
itself); any S3Error they raise becomes that error's response, any other exception becomes
InternalError (the traceback goes to the log only), rendered in one place: :meth:`Door.__call__`.
The ``finish`` steps then run on every response, errors included. Adding a step (metering,
access logging...) is adding one entry to a tuple below, not an ``if`` in the runner.

The door is also the :class:`~gateway.context.Gate` handlers call for what only they can read:
a copy's source and DeleteObjects' keys (``ctx.authorize``), and a POST form's credentials
(``ctx.authenticate_form``, then ``ctx.authorize_operation`` once the key is known).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from gateway import auth, cors, operations, params, post_policy, responses
from gateway.access.expected_owner import EXPECTED_OWNER, EXPECTED_SOURCE_OWNER, check_expected_owner
from gateway.auth import ANONYMOUS, Principal, version_action
from gateway.authorization import S3Authorizer
from gateway.context import Context
from gateway.controls import ResourceControls
from gateway.credentials import CredentialsDirectory
from gateway.observe.record import Observer, RequestRecord
from gateway.operations import EACH_OBJECT, OBJECT, Auth, Operation
from gateway.request import S3Request, parse_request
from gateway.responses import Response
from gateway.settings import Settings
from gateway.wire.errors import Code, S3Error
from gateway.wire.notification_rules import ORIGIN, Origin
from storage_backends.base import UNSIGNED_CALLER, Backend

log = logging.getLogger("s3gate")

Scope = dict[str, Any]


class Authorizer(Protocol):
    """An injected decision (tests record what is asked): returns, or raises AccessDenied. Without one,
    the S3 door evaluates policies and ACLs (``gateway.authorization``)."""

    async def __call__(self, principal: Principal, action: str, resource_arn: str) -> None: ...


async def allow_all(principal: Principal, action: str, resource_arn: str) -> None:
    """Every authenticated caller may go on (the admin door: its handlers check for the root themselves)."""


class Exchange:
    """One request's state on its way through a door's steps."""

    __slots__ = ("door", "scope", "send", "body", "request_id", "method", "resource", "req", "operation", "ctx",
                 "response", "started", "sent")

    def __init__(self, door: Door, scope: Scope, receive: Any, send: Any) -> None:
        self.door = door
        self.scope = scope
        self.started = time.time()
        # Watched doors count what goes out (the observe step reads it); others send straight through.
        self.sent: _SendCounter | None = _SendCounter(send) if door.observers else None
        self.send = send if self.sent is None else self.sent
        self.body = _BodyTracker(receive, scope)
        self.request_id = responses.new_request_id()
        self.method: str = scope["method"]
        self.resource: str = scope.get("path", "/")  # the error document's <Resource>, exact once parsed
        self.req: S3Request | None = None
        self.operation: Operation | None = None
        self.ctx: Context | None = None
        self.response: Response | None = None


Step = Callable[[Exchange], Awaitable[None]]
ErrorRenderer = Callable[[S3Error, Exchange], Response]


def xml_error(err: S3Error, x: Exchange) -> Response:
    return responses.error_response(err, x.resource, x.request_id, x.method)


class Door:
    """One front door: its ordered steps and the services they use (shared by all its requests)."""

    def __init__(self, steps: tuple[Step, ...], finish: tuple[Step, ...], *, settings: Settings,
                 directory: CredentialsDirectory, backend: Backend, authorizer: Authorizer | None,
                 controls: ResourceControls | None = None, observers: tuple[Observer, ...] = (),
                 render_error: ErrorRenderer | None = None) -> None:
        self.steps = steps
        self.finish = finish
        self.observers = observers  # each finished request's record goes to each (``gateway.observe``)
        self.render_error = render_error or xml_error  # the S3 door's XML; the website's HTML pages
        self.settings = settings
        self.directory = directory
        self.backend = backend
        self.authorizer = authorizer
        # ACL grantees (ids, e-mails) and expected owners (account ids) resolve through the directory.
        self.controls = controls or ResourceControls(backend, known_id=directory.knows_canonical_id,
                                                     resolve_email=directory.canonical_id_for_email,
                                                     account_of=directory.account_id_of)
        self.evaluator = None if authorizer is not None else S3Authorizer(
            backend, self.controls, directory.account_id_of, upstream=settings.backend == "upstream")

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        x = Exchange(self, scope, receive, send)
        try:
            for step in self.steps:
                await step(x)
                if x.response is not None:
                    break
        except S3Error as err:
            x.response = self.render_error(err, x)
        except Exception:  # noqa: BLE001 - the client gets InternalError, the log gets the traceback
            log.exception("internal error on %s %s (request %s)", x.method, x.resource, x.request_id)
            x.response = self.render_error(S3Error(Code.InternalError), x)
        for step in self.finish:
            await step(x)

    # -- the authorize logic, for the step and for handlers (gateway.context.Gate) ----------------
    async def authorize_operation(self, ctx: Context, key: str | None) -> None:
        """The operation's own actions on its resource (``key`` names the object, if any)."""
        op = ctx.operation
        principal = ctx.principal
        evaluator = self.evaluator
        if evaluator is None and principal.anonymous and op.auth is not _ANONYMOUS_ROW:
            raise _refused_anonymous()
        if op.resource == _EACH_OBJECT or op.auth is _ANONYMOUS_ROW:  # each key: the handler; preflight: none
            return
        req = ctx.req
        if op.resource == _OBJECT and req.bucket is not None and key is not None:
            arn = f"arn:aws:s3:::{req.bucket}/{key}"  # auth.object_arn, inlined: this runs on every request
        else:
            arn = operations.resource_arn(op.resource, req.bucket, key)
            key = None
        version_id = req.query.get("versionId")
        for action in op.actions:
            if evaluator is None:
                assert self.authorizer is not None
                await self.authorizer(principal, version_action(action, version_id), arn)
            else:
                await evaluator.check(ctx, version_action(action, version_id), arn, bucket=req.bucket, key=key,
                                      version_id=version_id, form=op.auth is _POST_FORM)

    async def authorize(self, ctx: Context, action: str, resource_arn: str, *, version_id: str | None = None,
                        identity_only: bool = False) -> None:
        """A secondary resource or action: a copy's source, one key of DeleteObjects, a write's Object Lock."""
        if self.evaluator is None:
            if ctx.principal.anonymous and ctx.operation.auth is not _ANONYMOUS_ROW:
                raise _refused_anonymous()
            assert self.authorizer is not None
            await self.authorizer(ctx.principal, action, resource_arn)
            return
        bucket, _, key = resource_arn.removeprefix("arn:aws:s3:::").partition("/")
        await self.evaluator.check(ctx, action, resource_arn, bucket=None if identity_only else bucket,
                                   key=key or None, version_id=version_id)

    async def hides_missing_key(self, ctx: Context) -> bool:
        """A read of a missing key answers 403, not 404, to a caller who may not list the bucket (so
        that keys cannot be probed)."""
        bucket = ctx.req.bucket
        if self.evaluator is None or bucket is None:
            return False
        return not await self.evaluator.allows(ctx, "s3:ListBucket", f"arn:aws:s3:::{bucket}", bucket=bucket,
                                               key=None, version_id=None)

    async def authenticate_form(self, ctx: Context, fields: dict[str, str]) -> Principal:
        """The POST form scheme: its signature is verified once the handler has read the fields."""
        await self.directory.refresh()
        credential = post_policy.verify_signature(fields, self.directory.active, ctx.now)
        # A form without signing fields is the anonymous caller, authorized as any (on an upstream, its
        # upload goes out unsigned for the upstream to judge).
        ctx.principal = ANONYMOUS if credential is None else Principal(credential.identity,
                                                                       access_key=credential.access_key)
        UNSIGNED_CALLER.set(credential is None)
        return ctx.principal


def principal_id(principal: Principal) -> str:
    """An event's userIdentity.principalId: the account for its root, ``AWS:`` and the user id for a user."""
    identity = principal.identity
    if identity is None:
        return "anonymous"
    return identity.user_id if identity.is_root else f"AWS:{identity.user_id}"


def _refused_anonymous() -> S3Error:
    # With an injected authorizer: any unsigned request but a preflight (a POST form's included).
    return S3Error(Code.AccessDenied)


# Looked up once: enum and module attribute lookups are not free on the hot path.
_SIGNED, _POST_FORM, _ANONYMOUS_ROW = Auth.SIGNED, Auth.POST_FORM, Auth.ANONYMOUS
_OBJECT, _EACH_OBJECT = OBJECT, EACH_OBJECT
_NO_SUCH_KEY = Code.NoSuchKey.name


# -- the steps ---------------------------------------------------------------------------------------
async def parse(x: Exchange) -> None:
    x.req = parse_request(x.scope, x.door.settings.domains, x.request_id)
    x.resource = x.req.resource


async def resolve(x: Exchange) -> None:
    assert x.req is not None
    x.operation = operations.resolve(x.req)


async def resolve_admin(x: Exchange) -> None:
    assert x.req is not None
    x.operation = operations.resolve_admin(x.req)


async def authenticate(x: Exchange) -> None:
    """The request's principal: signed (verified now, before the body is read), or anonymous.

    A POST form's principal is anonymous until the handler has read the form's fields and calls
    ``ctx.authenticate_form``; a preflight's stays anonymous (browsers send no credentials).
    """
    assert x.req is not None and x.operation is not None
    door = x.door
    now = datetime.now(UTC)
    directory = door.directory
    if x.operation.auth is _SIGNED:
        await directory.refresh()  # a clock read; the identity store's generation at most twice a second
        principal = auth.authenticate(x.req, directory.active, now)
    else:
        principal = ANONYMOUS
    # An anonymous caller's backend calls go out unsigned on an upstream (the upstream decides).
    UNSIGNED_CALLER.set(principal.anonymous and x.operation.auth is _SIGNED)
    x.ctx = Context(x.req, principal, door.backend, door.settings, directory, x.body.receive, now, x.operation,
                    door)


async def authorize(x: Exchange) -> None:
    ctx = x.ctx
    assert ctx is not None
    if ctx.operation.auth is not _POST_FORM:  # a form is authorized by the handler's hooks, before the file is stored
        await x.door.authorize_operation(ctx, ctx.req.key)


async def expected_owner(x: Exchange) -> None:
    """``x-amz-expected-bucket-owner`` (and ``x-amz-source-expected-bucket-owner`` for a copy's source):
    403 when the bucket belongs to another account. Costs nothing for requests without the headers."""
    ctx = x.ctx
    assert ctx is not None
    h = ctx.req.headers
    expected, source = h.get(EXPECTED_OWNER), h.get(EXPECTED_SOURCE_OWNER)
    if expected is None and source is None:
        return
    controls = x.door.controls
    if expected is not None and ctx.req.bucket is not None:
        check_expected_owner(expected, (await controls.bucket(ctx.req.bucket)).owner_id, controls.account_of)
    if source is not None and "x-amz-copy-source" in h:
        src_bucket = params.copy_source(h["x-amz-copy-source"])[0]
        check_expected_owner(source, (await controls.bucket(src_bucket)).owner_id, controls.account_of)


# Reads whose missing key is hidden from callers who may not list the bucket.
_KEY_READS = frozenset({"GetObject", "HeadObject", "GetObjectAttributes", "GetObjectTagging", "GetObjectAcl",
                        "GetObjectRetention", "GetObjectLegalHold"})


async def handle(x: Exchange) -> None:
    ctx = x.ctx
    assert ctx is not None
    # Who is asking, for the events this request's changes emit (storage records it with them).
    client = x.scope.get("client")
    ORIGIN.set(Origin(principal_id(ctx.principal), client[0] if client else "", x.request_id,
                      responses.host_id(x.request_id), ctx.operation.name))
    try:
        x.response = await ctx.operation.handler(ctx)
    except S3Error as err:
        if err.code == _NO_SUCH_KEY and ctx.operation.name in _KEY_READS and await x.door.hides_missing_key(ctx):
            raise S3Error(Code.AccessDenied) from None
        raise


async def apply_cors(x: Exchange) -> None:
    """A bucket's CORS answer on an actual (non-preflight) response, errors included: ``Vary`` always, the
    matching rule's headers when the request has an ``Origin``."""
    req = x.req
    if req is None or req.bucket is None or x.method == "OPTIONS":
        return
    assert x.response is not None
    await cors.apply(x.door.controls, req.bucket, req.headers.get("origin"), x.method, x.response)


async def send(x: Exchange) -> None:
    assert x.response is not None
    common = responses.id_headers(x.request_id)
    if x.body.unread:
        # The client may still send (or, after Expect: 100-continue, never send) the rest of a
        # body we did not read: the connection cannot carry another request.
        common.append((b"connection", b"close"))
    try:
        await responses.send(x.send, x.response, x.method, common)
    except Exception:  # noqa: BLE001 - headers are out; all we can do is drop the connection
        log.warning("response to %s %s aborted (request %s)", x.method, x.resource, x.request_id, exc_info=True)
        raise


async def observe(x: Exchange) -> None:
    """The finished request's record, to each of the door's observers (none: nothing is built)."""
    sent = x.sent
    if sent is None:
        return
    req, response, ctx = x.req, x.response, x.ctx
    client = x.scope.get("client")
    # In the fields' order: as keywords, the call cost 2 µs more, on every request.
    record = RequestRecord(
        x.started, x.request_id, x.method,  # start, request_id, method
        req.raw_path if req is not None else x.scope.get("path", "/"),  # path
        req.query_string if req is not None else "",  # query_string
        x.operation.name if x.operation is not None else None,  # operation
        req.bucket if req is not None else None, req.key if req is not None else None,  # bucket, key
        sent.status, response.error_code if response is not None else None,  # status, error_code
        x.body.received, sent.bytes, time.time() - x.started,  # bytes_in, bytes_out, total_s
        None if sent.started_at is None else sent.started_at - x.started,  # first_byte_s
        client[0] if client else "", ctx.principal if ctx is not None else None,  # remote, principal
        req.headers if req is not None else {}, x.scope.get("scheme") == "https")  # headers, tls
    for observer in x.door.observers:
        try:
            observer(record)
        except Exception:  # noqa: BLE001 - watching must never break serving
            log.exception("observer %r failed on request %s", observer, x.request_id)


# -- the doors' steps, in order -----------------------------------------------------------------------
S3_STEPS: tuple[Step, ...] = (parse, resolve, authenticate, authorize, expected_owner, handle)
S3_FINISH: tuple[Step, ...] = (apply_cors, send, observe)
# s3gate's own endpoints (/_s3gate/admin/...): signed like S3, no bucket and so no CORS.
ADMIN_STEPS: tuple[Step, ...] = (parse, resolve_admin, authenticate, authorize, handle)
ADMIN_FINISH: tuple[Step, ...] = (send, observe)


class _SendCounter:
    """The ASGI ``send`` of a watched request: the status, when the response started, the body bytes sent."""

    __slots__ = ("_send", "status", "started_at", "bytes")

    def __init__(self, send: Any) -> None:
        self._send = send
        self.status = 0
        self.started_at: float | None = None
        self.bytes = 0

    async def __call__(self, message: Any) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.started_at = time.time()
        else:
            self.bytes += len(message.get("body", b""))
        await self._send(message)


class _BodyTracker:
    """Knows whether the request body has been read to its end."""

    __slots__ = ("_receive", "unread", "received")

    def __init__(self, receive: Any, scope: Scope) -> None:
        self._receive = receive
        self.unread = False
        self.received = 0  # body bytes read so far
        for name, value in scope["headers"]:
            if (name == b"content-length" and value != b"0") or name == b"transfer-encoding":
                self.unread = True

    async def receive(self) -> Any:
        message = await self._receive()
        self.received += len(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.unread = False
        return message
