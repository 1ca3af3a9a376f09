"""Object metadata on the wire: request headers -> NewObject, ObjectInfo -> response headers."""

from __future__ import annotations

from gateway.context import Context
from gateway.payload import stored_content_encoding
from gateway.wire.errors import Code, S3Error
from gateway.wire.headers import (
    checksum_headers,
    expiration_header,
    http_date,
    parse_tagging_header,
    quote_etag,
    restore_header,
)
from gateway.wire.sse_headers import render_encryption
from storage_backends.base import CONTENT_HEADERS, NewObject, ObjectInfo

META_PREFIX = "x-amz-meta-"
WEBSITE_REDIRECT = "x-amz-website-redirect-location"
MAX_METADATA_BYTES = 2048
MAX_TAGS = 10
WRITABLE_STORAGE_CLASSES = ("STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA",
                            "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR")
# GET ?response-<name>=value overrides the stored header of the same name.
RESPONSE_OVERRIDES = ("content-type", "content-language", "expires", "cache-control", "content-disposition",
                      "content-encoding")


def user_metadata(headers: dict[str, str]) -> dict[str, str]:
    metadata = {name[len(META_PREFIX):]: value for name, value in headers.items() if name.startswith(META_PREFIX)}
    size = sum(len(k.encode()) + len(v.encode("latin-1", "replace")) for k, v in metadata.items())
    if size > MAX_METADATA_BYTES:
        raise S3Error(Code.MetadataTooLarge, Size=str(size), MaxSizeAllowed=str(MAX_METADATA_BYTES))
    return metadata


def content_headers(headers: dict[str, str]) -> dict[str, str]:
    content = {name: headers[name] for name in CONTENT_HEADERS if name in headers}
    redirect = content.get(WEBSITE_REDIRECT)
    if redirect is not None and not redirect.startswith(("/", "http://", "https://")):
        raise S3Error(Code.InvalidRedirectLocation)  # the website endpoint answers it as a 301 Location
    encoding = stored_content_encoding(content.get("content-encoding"))
    if encoding is None:
        content.pop("content-encoding", None)
    else:
        content["content-encoding"] = encoding
    return content


def storage_class(headers: dict[str, str]) -> str:
    value = headers.get("x-amz-storage-class", "STANDARD")
    if value not in WRITABLE_STORAGE_CLASSES:
        raise S3Error(Code.InvalidStorageClass, StorageClassRequested=value)
    return value


def validate_tags(pairs: list[tuple[str, str]]) -> dict[str, str]:
    if len(pairs) > MAX_TAGS:
        raise S3Error(Code.InvalidTag, "Object tags cannot be greater than 10")
    tags: dict[str, str] = {}
    for key, value in pairs:
        if key in tags:
            raise S3Error(Code.InvalidTag, "Cannot provide multiple Tags with the same key", TagKey=key)
        if not key or len(key) > 128:
            raise S3Error(Code.InvalidTag, "The TagKey you have provided is invalid", TagKey=key)
        if len(value) > 256:
            raise S3Error(Code.InvalidTag, "The TagValue you have provided is invalid", TagKey=key)
        tags[key] = value
    return tags


def tagging_header(headers: dict[str, str]) -> dict[str, str]:
    raw = headers.get("x-amz-tagging")
    if not raw:
        return {}
    return validate_tags(parse_tagging_header(raw))


def new_object(ctx: Context) -> NewObject:
    """What a PUT/POST/multipart-create asks to store, from its headers."""
    h = ctx.req.headers
    return NewObject(owner_id=ctx.writer_id, content=content_headers(h), metadata=user_metadata(h),
                     storage_class=storage_class(h), tags=tagging_header(h))


def object_headers(info: ObjectInfo, *, with_checksum: bool) -> dict[str, str]:
    headers = {
        "etag": quote_etag(info.etag),
        "last-modified": http_date(info.last_modified_ms),
        "accept-ranges": "bytes",
        "content-type": info.content.get("content-type", "binary/octet-stream"),
    }
    for name, value in info.content.items():
        headers[name] = value
    for name, value in info.metadata.items():
        headers[META_PREFIX + name] = value
    if info.version_id is not None:
        headers["x-amz-version-id"] = info.version_id
    if info.storage_class != "STANDARD":
        headers["x-amz-storage-class"] = info.storage_class
    tag_count = info.tag_count if info.tag_count is not None else len(info.tags)
    if tag_count:
        headers["x-amz-tagging-count"] = str(tag_count)
    if with_checksum and info.checksum is not None:
        headers.update(checksum_headers(info.checksum))
    headers.update(lifecycle_headers(info))
    headers.update(render_encryption(info.encryption))  # GET and HEAD answer no encryption context
    return headers


def written_version(info: ObjectInfo) -> dict[str, str]:
    """``x-amz-version-id`` for a write that made a version (PUT, POST, copy, multipart completion).

    A write to a versioning-suspended bucket makes the null version and S3 answers it without the
    header (PutObject's suspended-bucket example); reads of the null version, copies from it and
    the null delete marker of a DeleteObject do name it ``null``."""
    return {"x-amz-version-id": info.version_id} if info.version_id not in (None, "null") else {}


def lifecycle_headers(info: ObjectInfo) -> dict[str, str]:
    """``x-amz-expiration`` (a lifecycle rule will expire this version) and ``x-amz-restore``."""
    headers = {}
    if info.expiration is not None:
        headers["x-amz-expiration"] = expiration_header(*info.expiration)
    if info.restore is not None:
        headers["x-amz-restore"] = restore_header(info.restore.ongoing, info.restore.expiry_ms)
    return headers


def check_readable(info: ObjectInfo) -> None:
    """GLACIER and DEEP_ARCHIVE objects are read only through a restored copy."""
    if not info.readable:
        raise S3Error(Code.InvalidObjectState, StorageClass=info.storage_class)


def apply_response_overrides(ctx: Context, headers: dict[str, str]) -> None:
    for name in RESPONSE_OVERRIDES:
        value = ctx.req.query.get("response-" + name)
        if value is not None:
            headers[name] = value
