"""The Query API front door (IAM, STS, and SNS's topic actions): read the form, verify the signature, run the
action, answer the service's XML.

Steps, in order: the body (form-encoded, at most :data:`MAX_BODY`) and the query make the
parameters; the identity store's generation is checked (IAM reads see every worker's writes);
the signature names the caller (anonymous: MissingAuthenticationToken); the action's handler
authorizes and answers (SNS's: ``gateway.sns``, account roots only). Every failure is IAM's
``<ErrorResponse>`` in the service's namespace.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from lxml import etree

from gateway import responses
from gateway.access.identity import Identity
from gateway.credentials import CredentialsDirectory
from gateway.iam import signing
from gateway.iam.actions import IAM_ACTIONS, STS_ACTIONS
from gateway.iam.call import Call
from gateway.iam.errors import IAM_NS, STS_NS, IamError, render_error
from gateway.request import decode_headers
from gateway.settings import Settings
from gateway.sns import SNS_ACTIONS, SNS_NS, TopicCall
from gateway.wire import xml
from gateway.wire.errors import S3Error
from storage_backends.base import Backend
from storage_backends.identity import IdentityError

log = logging.getLogger("s3gate")

MAX_BODY = 256 * 1024


class IamDoor:
    def __init__(self, directory: CredentialsDirectory, backend: Backend, settings: Settings) -> None:
        self.directory = directory
        self.backend = backend
        self.settings = settings

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        request_id = str(uuid.uuid4())
        namespace = IAM_NS
        try:
            headers = decode_headers(scope["headers"])
            body = await _read_body(receive)
            raw_query = scope.get("query_string", b"").decode("latin-1")
            query = dict(parse_qsl(raw_query, keep_blank_values=True))
            params = dict(query)
            if headers.get("content-type", "").startswith(signing.FORM):
                params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            action = params.get("Action", "")
            service = signing.scope_service(headers.get("authorization"), raw_query) or \
                ("sts" if action in STS_ACTIONS else "iam")
            namespace = {"sts": STS_NS, "sns": SNS_NS}.get(service, IAM_NS)
            await self.directory.refresh(force=True)
            credential = signing.verify(scope["method"], scope.get("raw_path", b"/").decode("latin-1").split("?")[0]
                                        or "/", raw_query, query, headers, body, self.directory.active,
                                        datetime.now(UTC))
            if credential is None:
                raise IamError("MissingAuthenticationToken", "Request is missing Authentication Token")
            if not action:
                raise IamError("MissingAction", "Missing Action")
            if service == "sns":
                run = self._topic_action(action, params, credential.identity)
            else:
                handler = (STS_ACTIONS if service == "sts" else IAM_ACTIONS).get(action)
                if handler is None:
                    raise _no_such_action(action, params)
                run = handler(Call(action, params, credential.identity, self.directory, self.backend.identities))
            try:
                answer = await run
            except IdentityError as exc:  # the store's own check, made inside its transaction
                raise IamError(exc.code, exc.message) from None
            except S3Error as exc:  # the store's disk is full (storage_backends.space): retry later
                raise IamError("ServiceUnavailable", exc.message) from None
            response = responses.Response(200, {"content-type": "text/xml"},
                                          _document(action, namespace, answer, request_id))
        except IamError as err:
            response = responses.Response(err.status, {"content-type": "text/xml"},
                                          render_error(err, namespace, request_id))
        except Exception:  # noqa: BLE001 - the client gets ServiceFailure, the log the traceback
            log.exception("internal error on IAM request %s", request_id)
            failure = IamError("ServiceFailure", "Request processing has failed due to an internal error.")
            response = responses.Response(500, {"content-type": "text/xml"},
                                          render_error(failure, namespace, request_id))
        await responses.send(send, response, scope["method"], [(b"x-amzn-requestid", request_id.encode()),
                                                               (b"server", b"s3gate")])

    def _topic_action(self, action: str, params: dict[str, str], identity: Identity
                      ) -> Awaitable[xml.Element | None]:
        handler = SNS_ACTIONS.get(action)
        if handler is None:
            raise _no_such_action(action, params)
        declared = frozenset(name for name, _ in self.settings.notify_targets)
        return handler(TopicCall(action, params, identity, self.backend.outbox, self.settings.region, declared))


def _no_such_action(action: str, params: dict[str, str]) -> IamError:
    return IamError("InvalidAction", f"Could not find operation {action} for version {params.get('Version', '')}")


def _document(action: str, namespace: str, answer: xml.Element | None, request_id: str) -> bytes:
    root = etree.Element(f"{action}Response", nsmap={None: namespace})
    if answer is not None:
        answer.tag = f"{action}Result"
        root.append(answer)
    xml.sub(xml.sub(root, "ResponseMetadata"), "RequestId", request_id)
    return xml.render(root)


async def _read_body(receive: Any) -> bytes:
    data = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        data += message.get("body", b"")
        if len(data) > MAX_BODY:
            raise IamError("ValidationError", f"The request body is larger than {MAX_BODY} bytes.")
        if not message.get("more_body", False):
            break
    return bytes(data)
