"""The website door's steps, in order, like the S3 door's (``gateway.pipeline``):

    parse         the bucket from the Host (``gateway.website.hosts``), the key from the path
    resolve       GET and HEAD only: any other method is 405 MethodNotAllowed
    authenticate  always the anonymous caller (a website serves the public; credentials are ignored)
    handle        ``gateway.website.serving``: every object read authorized as an anonymous GetObject
    finish        CORS (``Vary`` on every response of a bucket with rules), send, observe

Errors, whatever step raises them, are S3's HTML pages (``pages``), never XML.
"""

from __future__ import annotations

from datetime import UTC, datetime

from gateway import pipeline
from gateway.auth import ANONYMOUS
from gateway.context import Context
from gateway.controls import ResourceControls
from gateway.credentials import CredentialsDirectory
from gateway.operations import OBJECT, Operation
from gateway.responses import Response
from gateway.settings import Settings
from gateway.website import pages, serving
from gateway.website.hosts import site_request
from gateway.wire.errors import Code, S3Error
from storage_backends.base import UNSIGNED_CALLER, Backend

# The website's rows: what authorization reads (the action, an object resource), and their own names.
ROWS = {method: Operation(f"Website{verb}Object", method, OBJECT, serving.serve, ("s3:GetObject",),
                          log_name=f"WEBSITE.{method}.OBJECT")
        for method, verb in (("GET", "Get"), ("HEAD", "Head"))}


async def parse(x: pipeline.Exchange) -> None:
    x.req = site_request(x.scope, x.door.settings.website_domain, x.request_id)
    x.resource = x.req.resource


async def resolve(x: pipeline.Exchange) -> None:
    x.operation = ROWS.get(x.method)
    if x.operation is None:
        raise S3Error(Code.MethodNotAllowed, Method=x.method, ResourceType="OBJECT")


async def authenticate(x: pipeline.Exchange) -> None:
    assert x.req is not None and x.operation is not None
    door = x.door
    UNSIGNED_CALLER.set(True)  # on an upstream, the reads go out unsigned: the upstream judges them too
    x.ctx = Context(x.req, ANONYMOUS, door.backend, door.settings, door.directory, x.body.receive,
                    datetime.now(UTC), x.operation, door)


def render_error(err: S3Error, x: pipeline.Exchange) -> Response:
    return pages.page(err, x.request_id)


STEPS: tuple[pipeline.Step, ...] = (parse, resolve, authenticate, pipeline.handle)
FINISH: tuple[pipeline.Step, ...] = (pipeline.apply_cors, pipeline.send, pipeline.observe)


def website_door(settings: Settings, directory: CredentialsDirectory, backend: Backend,
                 authorizer: pipeline.Authorizer | None, controls: ResourceControls) -> pipeline.Door:
    """The door, sharing the S3 door's bucket controls (a policy put through the API applies at once)."""
    return pipeline.Door(STEPS, FINISH, settings=settings, directory=directory, backend=backend,
                         authorizer=authorizer, controls=controls, render_error=render_error)
