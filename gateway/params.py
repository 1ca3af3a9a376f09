"""Typed parsers for S3 request parameters: query values and headers -> Python values or ``S3Error``.

Each function takes the :class:`~gateway.request.S3Request` (or the raw value) and raises the
exact error S3 answers a malformed value with. Handlers and neutral gateway modules may import
this; it imports no handler and no :class:`~gateway.context.Context`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from urllib.parse import quote, unquote

from gateway import conditions
from gateway.access.acl import CANNED_ACLS
from gateway.limits import MAX_PARTS
from gateway.request import S3Request, parse_query, validate_key
from gateway.wire import checksums
from gateway.wire.errors import Code, S3Error
from gateway.wire.headers import unquote_etag
from storage_backends.base import ByteRange, WriteConditions

OBJECT_ATTRIBUTES = frozenset({"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"})
Encode = Callable[[str], str]


# --- integers -------------------------------------------------------------------------------------

def parse_int(name: str, raw: str | None, default: int, *, low: int, high: int, clamp: bool = False) -> int:
    """An integer query parameter or header; ``clamp`` caps values above ``high`` instead of refusing them."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise S3Error(Code.InvalidArgument, f"Provided {name} not an integer or within integer range",
                      ArgumentName=name, ArgumentValue=raw) from None
    if value < low or (value > high and not clamp):
        raise S3Error(Code.InvalidArgument, f"Argument {name} must be an integer between {low} and {high}",
                      ArgumentName=name, ArgumentValue=raw)
    return min(value, high)


def query_int(req: S3Request, name: str, default: int, *, low: int, high: int, clamp: bool = False) -> int:
    """``max-keys`` style query parameters."""
    return parse_int(name, req.query.get(name), default, low=low, high=high, clamp=clamp)


def header_int(req: S3Request, name: str, default: int, *, low: int, high: int, clamp: bool = False) -> int:
    """``x-amz-max-parts`` style headers."""
    return parse_int(name, req.headers.get(name), default, low=low, high=high, clamp=clamp)


# --- versions, uploads, parts, ranges -------------------------------------------------------------

def version_id(req: S3Request) -> str | None:
    """``?versionId=`` as sent (an empty value is passed on, as today)."""
    return req.query.get("versionId")


def upload_id(req: S3Request) -> str:
    return req.query.get("uploadId", "")


def part_number(req: S3Request) -> int:
    """The required ``?partNumber=`` of UploadPart and UploadPartCopy."""
    raw = req.query.get("partNumber", "")
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_PARTS:
        raise S3Error(Code.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive",
                      ArgumentName="partNumber", ArgumentValue=raw)
    return number


def read_part_number(req: S3Request) -> int | None:
    """The optional ``?partNumber=`` of GetObject/HeadObject, which excludes a Range header."""
    if "partNumber" not in req.query:
        return None
    if req.headers.get("range") is not None:
        raise S3Error(Code.InvalidRequest, "Cannot specify both Range header and partNumber query parameter")
    return part_number(req)


def byte_range(req: S3Request) -> ByteRange | None:
    """The ``Range`` header of a read (an unsatisfiable or foreign one reads the whole object)."""
    return conditions.parse_range(req.headers.get("range"))


def copy_source(value: str) -> tuple[str, str, str | None]:
    """``x-amz-copy-source: /bucket/key?versionId=v`` (URL-encoded, leading slash optional)."""
    path, sep, query = value.strip().partition("?")
    version = parse_query(query).get("versionId") if sep else None
    try:
        decoded = unquote(path, errors="strict").lstrip("/")
    except UnicodeDecodeError:
        decoded = ""
    bucket, _, key = decoded.partition("/")
    if not bucket or not key:
        raise S3Error(Code.InvalidArgument, "Copy Source must mention the source bucket and key: "
                      "sourcebucket/sourcekey", ArgumentName="x-amz-copy-source", ArgumentValue=value)
    validate_key(key)
    return bucket, key, version or None


def copy_source_range(value: str | None) -> ByteRange | None:
    """``x-amz-copy-source-range: bytes=first-last`` (both bounds required)."""
    if value is None:
        return None
    parsed = conditions.parse_range(value)
    if parsed is None or parsed.first is None or parsed.last is None:
        raise S3Error(Code.InvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last "
                      "where first and last are the zero-based offsets of the first and last bytes to copy",
                      ArgumentName="x-amz-copy-source-range", ArgumentValue=value)
    return parsed


# --- listings --------------------------------------------------------------------------------------

def encode_token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode("utf-8")).decode("ascii")


def decode_token(token: str, argument: str = "continuation-token") -> str:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeError):
        raise S3Error(Code.InvalidArgument, "The continuation token provided is incorrect",
                      ArgumentName=argument) from None


def continuation_token(req: S3Request) -> str | None:
    """ListObjectsV2's ``continuation-token``, still encoded (it is echoed back); empty is refused."""
    token = req.query.get("continuation-token")
    if token is not None and token == "":
        raise S3Error(Code.InvalidArgument, "The continuation token provided is incorrect",
                      ArgumentName="continuation-token")
    return token


def encoding(req: S3Request) -> tuple[str | None, Encode]:
    """``encoding-type``: (EncodingType to echo, function applied to every key-like value)."""
    value = req.query.get("encoding-type")
    if value is None:
        return None, lambda v: v
    if value.lower() != "url":
        raise S3Error(Code.InvalidArgument, "Invalid Encoding Method specified in Request",
                      ArgumentName="encoding-type", ArgumentValue=value)
    return "url", lambda v: quote(v, safe="/")


# --- writes ----------------------------------------------------------------------------------------

def check_canned_acl(value: str | None, argument: str) -> str | None:
    if value is not None and value not in CANNED_ACLS:
        raise S3Error(Code.InvalidArgument, ArgumentName=argument, ArgumentValue=value)
    return value


def canned_acl(req: S3Request) -> str | None:
    """``x-amz-acl``, validated (``gateway.access.acl`` turns it into grants)."""
    return check_canned_acl(req.headers.get("x-amz-acl"), "x-amz-acl")


def _directive(req: S3Request, header: str) -> str:
    value = (req.headers.get(header) or "COPY").upper()
    if value not in ("COPY", "REPLACE"):
        raise S3Error(Code.InvalidArgument, f"Unknown {header.split('-')[2]} directive.", ArgumentName=header,
                      ArgumentValue=value)
    return value


def metadata_directive(req: S3Request) -> str:
    """``x-amz-metadata-directive``: COPY (default) or REPLACE."""
    return _directive(req, "x-amz-metadata-directive")


def tagging_directive(req: S3Request) -> str:
    """``x-amz-tagging-directive``: COPY (default) or REPLACE."""
    return _directive(req, "x-amz-tagging-directive")


def checksum_algorithm(req: S3Request) -> str | None:
    """``x-amz-checksum-algorithm``, upper-cased."""
    value = req.headers.get("x-amz-checksum-algorithm")
    if value is None:
        return None
    if value.upper() not in checksums.ALGORITHMS:
        raise S3Error(Code.InvalidRequest, "Value for x-amz-checksum-algorithm header is invalid.")
    return value.upper()


def checksum_mode(req: S3Request) -> bool:
    """``x-amz-checksum-mode: ENABLED`` asks GET/HEAD for the stored checksum."""
    return (req.headers.get("x-amz-checksum-mode") or "").upper() == "ENABLED"


def write_conditions(req: S3Request) -> WriteConditions | None:
    """``If-None-Match: *`` / ``If-Match: <etag>`` on writes, checked when the write commits."""
    none_match = req.headers.get("if-none-match")
    match = req.headers.get("if-match")
    if none_match is None and match is None:
        return None
    if none_match is not None and none_match.strip() != "*":
        raise S3Error(Code.NotImplemented, "If-None-Match on writes only supports '*'", Header="If-None-Match")
    return WriteConditions(if_none_match=none_match is not None,
                           if_match=unquote_etag(match) if match is not None else None)


def object_attributes(req: S3Request) -> frozenset[str]:
    """GetObjectAttributes' ``x-amz-object-attributes``: a comma-separated, non-empty subset."""
    raw = req.headers.get("x-amz-object-attributes") or ""
    wanted = frozenset(name.strip() for name in raw.split(",") if name.strip())
    if not wanted or not wanted <= OBJECT_ATTRIBUTES:
        raise S3Error(Code.InvalidArgument, "Invalid attribute name specified.",
                      ArgumentName="x-amz-object-attributes", ArgumentValue=raw)
    return wanted
