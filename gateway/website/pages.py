"""The website endpoint's errors as S3 renders them: an HTML page, never XML, listing the error's Code,
Message, details, RequestId and HostId, and under it what went wrong reading the custom error document."""

from __future__ import annotations

from html import escape
from http import HTTPStatus

from gateway.responses import Response, host_id
from gateway.wire.errors import S3Error

DOCUMENT_FAILED = "An Error Occurred While Attempting to Retrieve a Custom Error Document"


def _items(err: S3Error) -> list[tuple[str, str]]:
    return [("Code", err.code), ("Message", err.message), *err.fields.items()]


def _list(items: list[tuple[str, str]]) -> str:
    return "<ul>\n" + "".join(f"<li>{escape(name)}: {escape(value)}</li>\n" for name, value in items) + "</ul>\n"


def page(err: S3Error, request_id: str, document_error: S3Error | None = None) -> Response:
    """``err`` as its HTML page (a 304 keeps its headers and has no body); ``document_error``: why the
    bucket's error document could not be served instead."""
    if err.status == 304:
        response = Response(304, dict(err.headers))
    else:
        try:
            title = f"{err.status} {HTTPStatus(err.status).phrase}"
        except ValueError:
            title = str(err.status)
        body = (f"<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n"
                + _list([*_items(err), ("RequestId", request_id), ("HostId", host_id(request_id))]))
        if document_error is not None:
            body += f"<h3>{DOCUMENT_FAILED}</h3>\n" + _list(_items(document_error))
        body += "<hr/>\n</body>\n</html>\n"
        headers = {**err.headers, "content-type": "text/html; charset=utf-8", "x-amz-error-code": err.code,
                   "x-amz-error-message": err.message}
        response = Response(err.status, headers, body.encode("utf-8"))
    response.error_code = err.code
    return response
