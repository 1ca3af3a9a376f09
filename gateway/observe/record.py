"""What a finished request looked like, for whoever watches: built once by the door's ``observe`` step.

Observers are synchronous and cheap (a counter, a line into a buffer): they run after the response has
been sent, on the event loop, for every request. One that must do I/O queues the record and writes later.
The record holds the raw query string: an observer that writes it anywhere redacts signatures and
presigned values first (``X-Amz-Signature``, ``X-Amz-Credential``, ``Signature``...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gateway.auth import Principal


@dataclass(slots=True)
class RequestRecord:
    """One request, from the first header byte read to the last body byte sent."""

    start: float                  # time.time() when the request arrived
    request_id: str
    method: str
    path: str                     # the raw (percent-encoded) path
    query_string: str             # raw, secrets included: redact before writing it out
    operation: str | None         # the operation table's name (``GetObject``); None: refused before resolving
    bucket: str | None
    key: str | None
    status: int
    error_code: str | None        # the S3 error code of an error response
    bytes_in: int                 # request body bytes read
    bytes_out: int                # response body bytes sent
    total_s: float                # arrival to the last byte sent
    first_byte_s: float | None    # arrival to the response's start (None: nothing was sent)
    remote: str                   # the client's address
    principal: Principal | None   # None: refused before authenticating
    headers: dict[str, str]       # the request's headers, lower-cased names (Authorization: redact it)
    tls: bool


Observer = Callable[[RequestRecord], None]
