"""Upstream failures as the gateway's one error type.

An upstream S3 error reaches the client as the same ``S3Error``: code, HTTP status and message.
Its extra fields pass through too, except those that would leak the upstream's credentials or
describe the upstream's request rather than the client's (``StringToSign``, ``AWSAccessKeyId``,
``RequestId``...). Bodiless answers (HEAD, 304) are named from their status. An upstream that
cannot be reached, or stops answering, is a 503 ``ServiceUnavailable`` that names it.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from gateway.wire import xml
from gateway.wire.documents.error import parse_error
from gateway.wire.errors import Code, S3Error

# Fields of an upstream <Error> that are not passed on to the gateway's client.
HIDDEN_FIELDS = frozenset({
    "Code", "Message", "Resource", "RequestId", "HostId", "AWSAccessKeyId", "StringToSign", "StringToSignBytes",
    "CanonicalRequest", "CanonicalRequestBytes", "SignatureProvided",
})
# Response headers of an error that still mean something to the client.
KEPT_HEADERS = ("x-amz-delete-marker", "x-amz-version-id", "allow", "etag", "last-modified", "retry-after")

_BY_STATUS = {
    304: Code.NotModified, 400: Code.InvalidRequest, 403: Code.AccessDenied, 405: Code.MethodNotAllowed,
    411: Code.MissingContentLength, 412: Code.PreconditionFailed, 416: Code.InvalidRange,
    500: Code.InternalError, 501: Code.NotImplemented, 503: Code.ServiceUnavailable,
}


def from_document(doc: xml.Element, status: int, headers: Mapping[str, str] | None = None) -> S3Error:
    """An ``<Error>`` document (in a 4xx/5xx, or the 200 S3 sends when a copy or completion fails)."""
    parsed = parse_error(doc)
    fields = {name: value for name, value in parsed.fields.items() if name not in HIDDEN_FIELDS}
    kept = {name: headers[name] for name in KEPT_HEADERS if headers is not None and name in headers}
    known = Code.__members__.get(parsed.code)
    return S3Error(parsed.code, parsed.message, status=status if status >= 300 else
                   (known.status if known else 500), headers=kept, fields=fields)


def from_response(status: int, headers: Mapping[str, str], body: bytes, missing: Code) -> S3Error:
    """The S3Error for an upstream answer of ``status``; ``missing`` names a bodiless 404."""
    if body.strip():
        try:
            doc = xml.parse(body, "Error")
        except S3Error:
            pass
        else:
            return from_document(doc, status, headers)
    kept = {name: headers[name] for name in KEPT_HEADERS if name in headers}
    code = missing if status == 404 else _BY_STATUS.get(status)
    if code is None:
        return S3Error(f"Upstream{status}", f"The upstream answered HTTP {status}.", status=status, headers=kept)
    return S3Error(code, status=status, headers=kept)


def unreachable(endpoint: str, exc: httpx.TransportError) -> S3Error:
    """503 naming the upstream: it refused, timed out, broke the connection or failed TLS."""
    if isinstance(exc, httpx.ConnectTimeout):
        what = "no connection within the timeout"
    elif isinstance(exc, httpx.TimeoutException):
        what = "no answer within the timeout"
    else:
        what = str(exc) or type(exc).__name__
    return S3Error(Code.ServiceUnavailable, f"The upstream S3 endpoint {endpoint} is unreachable: {what}.")


def bad_answer(endpoint: str, what: str) -> S3Error:
    """The upstream answered something that is not S3 (a proxy's HTML page, a truncated document)."""
    return S3Error(Code.InternalError, f"The upstream S3 endpoint {endpoint} sent an invalid answer: {what}.",
                   status=502)
