"""gateway.params in process: every parser's valid values and its exact S3 error."""

from __future__ import annotations

import pytest

from gateway import params
from gateway.request import S3Request
from gateway.wire.errors import S3Error
from storage_backends.base import ByteRange, WriteConditions


def request(query: dict[str, str] | None = None, **headers: str) -> S3Request:
    """A request with ``query`` and ``headers`` (keyword names use ``_`` for ``-``)."""
    return S3Request(scope={}, method="GET", raw_path="/b/k", query_string="", query=dict(query or {}),
                     headers={name.replace("_", "-"): value for name, value in headers.items()}, host="localhost",
                     bucket="b", key="k", virtual_host=False, request_id="r")


def check(exc: pytest.ExceptionInfo[S3Error], code: str, message: str | None = None, **fields: str) -> None:
    assert exc.value.code == code
    if message is not None:
        assert exc.value.message == message
    for name, value in fields.items():
        assert exc.value.fields.get(name) == value, (name, exc.value.fields)


# --- integers ---

def test_parse_int_default_value_and_clamp():
    assert params.parse_int("max-keys", None, 1000, low=0, high=1000) == 1000
    assert params.parse_int("max-keys", "0", 1000, low=0, high=1000) == 0
    assert params.parse_int("max-keys", "5000", 1000, low=0, high=1000, clamp=True) == 1000


@pytest.mark.parametrize("raw", ["x", "", "1.5"])
def test_parse_int_not_an_integer(raw):
    with pytest.raises(S3Error) as exc:
        params.parse_int("max-keys", raw, 1000, low=0, high=1000)
    check(exc, "InvalidArgument", "Provided max-keys not an integer or within integer range",
          ArgumentName="max-keys", ArgumentValue=raw)


@pytest.mark.parametrize("raw", ["-1", "1001"])
def test_parse_int_out_of_range(raw):
    with pytest.raises(S3Error) as exc:
        params.parse_int("max-keys", raw, 1000, low=0, high=1000)
    check(exc, "InvalidArgument", "Argument max-keys must be an integer between 0 and 1000",
          ArgumentName="max-keys", ArgumentValue=raw)


def test_parse_int_clamp_still_refuses_below_low():
    with pytest.raises(S3Error) as exc:
        params.parse_int("max-buckets", "0", 10000, low=1, high=10000, clamp=True)
    check(exc, "InvalidArgument", ArgumentName="max-buckets", ArgumentValue="0")


def test_query_int_and_header_int():
    req = request({"max-uploads": "7"}, x_amz_max_parts="9")
    assert params.query_int(req, "max-uploads", 1000, low=0, high=1000) == 7
    assert params.query_int(req, "max-keys", 1000, low=0, high=1000) == 1000
    assert params.header_int(req, "x-amz-max-parts", 1000, low=0, high=1000) == 9
    with pytest.raises(S3Error) as exc:
        params.header_int(request(x_amz_part_number_marker="a"), "x-amz-part-number-marker", 0, low=0, high=10000)
    check(exc, "InvalidArgument", ArgumentName="x-amz-part-number-marker", ArgumentValue="a")


# --- versions, uploads, parts, ranges ---

def test_version_id_and_upload_id():
    assert params.version_id(request()) is None
    assert params.version_id(request({"versionId": "v1"})) == "v1"
    assert params.version_id(request({"versionId": ""})) == ""
    assert params.upload_id(request()) == ""
    assert params.upload_id(request({"uploadId": "u"})) == "u"


@pytest.mark.parametrize("raw, number", [("1", 1), ("10000", 10000), (" 7", 7)])
def test_part_number(raw, number):
    assert params.part_number(request({"partNumber": raw})) == number


@pytest.mark.parametrize("query", [{}, {"partNumber": ""}, {"partNumber": "0"}, {"partNumber": "10001"},
                                   {"partNumber": "x"}])
def test_part_number_refused(query):
    with pytest.raises(S3Error) as exc:
        params.part_number(request(query))
    check(exc, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive",
          ArgumentName="partNumber", ArgumentValue=query.get("partNumber", ""))


def test_read_part_number():
    assert params.read_part_number(request()) is None
    assert params.read_part_number(request(range="bytes=0-1")) is None
    assert params.read_part_number(request({"partNumber": "2"})) == 2
    with pytest.raises(S3Error) as exc:
        params.read_part_number(request({"partNumber": "2"}, range="bytes=0-1"))
    check(exc, "InvalidRequest", "Cannot specify both Range header and partNumber query parameter")
    with pytest.raises(S3Error) as exc:
        params.read_part_number(request({"partNumber": "0"}))
    check(exc, "InvalidArgument", ArgumentName="partNumber")


def test_byte_range():
    assert params.byte_range(request()) is None
    assert params.byte_range(request(range="bytes=2-5")) == ByteRange(2, 5)
    assert params.byte_range(request(range="bytes=-5")) == ByteRange(None, 5)


@pytest.mark.parametrize("value, parsed", [
    ("/src/a/b.txt", ("src", "a/b.txt", None)),
    ("src/a%20b", ("src", "a b", None)),
    ("/src/k?versionId=v1", ("src", "k", "v1")),
    ("/src/k?versionId=", ("src", "k", None)),
    (" /src/k ", ("src", "k", None)),
])
def test_copy_source(value, parsed):
    assert params.copy_source(value) == parsed


@pytest.mark.parametrize("value", ["", "/", "/bucket", "/bucket/", "%ff/x"])
def test_copy_source_refused(value):
    with pytest.raises(S3Error) as exc:
        params.copy_source(value)
    check(exc, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
          ArgumentName="x-amz-copy-source", ArgumentValue=value)


def test_copy_source_key_is_validated():
    with pytest.raises(S3Error) as exc:
        params.copy_source("/src/" + "k" * 1025)
    assert exc.value.code == "KeyTooLongError"


def test_copy_source_range():
    assert params.copy_source_range(None) is None
    assert params.copy_source_range("bytes=0-9") == ByteRange(0, 9)


@pytest.mark.parametrize("value", ["bytes=5-", "bytes=-5", "bytes=a-b", "items=0-1", ""])
def test_copy_source_range_refused(value):
    with pytest.raises(S3Error) as exc:
        params.copy_source_range(value)
    check(exc, "InvalidArgument", ArgumentName="x-amz-copy-source-range", ArgumentValue=value)
    assert exc.value.message.startswith("The x-amz-copy-source-range value must be of the form bytes=first-last")


# --- listings ---

@pytest.mark.parametrize("value", ["", "a", "photos/2024/é", "x" * 300])
def test_token_round_trip(value):
    assert params.decode_token(params.encode_token(value)) == value


@pytest.mark.parametrize("token", ["é", "a", "/w=="])
def test_decode_token_refused(token):
    with pytest.raises(S3Error) as exc:
        params.decode_token(token)
    check(exc, "InvalidArgument", "The continuation token provided is incorrect", ArgumentName="continuation-token")
    with pytest.raises(S3Error) as exc:
        params.decode_token(token, "marker")
    check(exc, "InvalidArgument", ArgumentName="marker")


def test_continuation_token():
    assert params.continuation_token(request()) is None
    assert params.continuation_token(request({"continuation-token": "abc"})) == "abc"
    with pytest.raises(S3Error) as exc:
        params.continuation_token(request({"continuation-token": ""}))
    check(exc, "InvalidArgument", "The continuation token provided is incorrect", ArgumentName="continuation-token")


def test_encoding():
    echo, enc = params.encoding(request())
    assert echo is None and enc("a b/c") == "a b/c"
    for value in ("url", "URL"):
        echo, enc = params.encoding(request({"encoding-type": value}))
        assert echo == "url" and enc("a b/c+é") == "a%20b/c%2B%C3%A9"


@pytest.mark.parametrize("value", ["", "base64"])
def test_encoding_refused(value):
    with pytest.raises(S3Error) as exc:
        params.encoding(request({"encoding-type": value}))
    check(exc, "InvalidArgument", "Invalid Encoding Method specified in Request", ArgumentName="encoding-type",
          ArgumentValue=value)


# --- writes ---

@pytest.mark.parametrize("acl", params.CANNED_ACLS)
def test_canned_acl(acl):
    assert params.canned_acl(request(x_amz_acl=acl)) == acl


def test_canned_acl_absent_and_refused():
    assert params.canned_acl(request()) is None
    for value in ("", "Private", "public"):
        with pytest.raises(S3Error) as exc:
            params.canned_acl(request(x_amz_acl=value))
        check(exc, "InvalidArgument", ArgumentName="x-amz-acl", ArgumentValue=value)
        with pytest.raises(S3Error) as exc:
            params.check_canned_acl(value, "acl")
        check(exc, "InvalidArgument", ArgumentName="acl", ArgumentValue=value)
    assert params.check_canned_acl(None, "acl") is None


@pytest.mark.parametrize("parse, header, word", [
    (params.metadata_directive, "x-amz-metadata-directive", "metadata"),
    (params.tagging_directive, "x-amz-tagging-directive", "tagging"),
])
def test_directives(parse, header, word):
    assert parse(request()) == "COPY"
    assert parse(request({}, **{header.replace("-", "_"): "replace"})) == "REPLACE"
    assert parse(request({}, **{header.replace("-", "_"): "COPY"})) == "COPY"
    with pytest.raises(S3Error) as exc:
        parse(request({}, **{header.replace("-", "_"): "move"}))
    check(exc, "InvalidArgument", f"Unknown {word} directive.", ArgumentName=header, ArgumentValue="MOVE")


def test_checksum_algorithm():
    assert params.checksum_algorithm(request()) is None
    assert params.checksum_algorithm(request(x_amz_checksum_algorithm="crc32c")) == "CRC32C"
    assert params.checksum_algorithm(request(x_amz_checksum_algorithm="SHA256")) == "SHA256"
    assert params.checksum_algorithm(request(x_amz_checksum_algorithm="md5")) == "MD5"  # S3 knows it since 2026
    for value in ("", "md4", "xxhash32"):
        with pytest.raises(S3Error) as exc:
            params.checksum_algorithm(request(x_amz_checksum_algorithm=value))
        check(exc, "InvalidRequest", "Value for x-amz-checksum-algorithm header is invalid.")


def test_checksum_mode():
    assert params.checksum_mode(request()) is False
    assert params.checksum_mode(request(x_amz_checksum_mode="enabled")) is True
    assert params.checksum_mode(request(x_amz_checksum_mode="DISABLED")) is False


def test_write_conditions():
    assert params.write_conditions(request()) is None
    assert params.write_conditions(request(if_none_match=" * ")) == WriteConditions(if_none_match=True)
    assert params.write_conditions(request(if_match='W/"abc"')) == WriteConditions(if_match="abc")
    assert params.write_conditions(request(if_match='"abc"', if_none_match="*")) == \
        WriteConditions(if_none_match=True, if_match="abc")


def test_write_conditions_refuse_an_etag_in_if_none_match():
    with pytest.raises(S3Error) as exc:
        params.write_conditions(request(if_none_match='"abc"'))
    check(exc, "NotImplemented", "If-None-Match on writes only supports '*'", Header="If-None-Match")


def test_object_attributes():
    assert params.object_attributes(request(x_amz_object_attributes="ETag, ObjectSize,")) == {"ETag", "ObjectSize"}
    for raw in (None, "", " , ", "ETag,Size"):
        req = request() if raw is None else request(x_amz_object_attributes=raw)
        with pytest.raises(S3Error) as exc:
            params.object_attributes(req)
        check(exc, "InvalidArgument", "Invalid attribute name specified.", ArgumentName="x-amz-object-attributes",
              ArgumentValue=raw or "")


# --- layering ---

def test_no_handler_module_imports_another():
    import ast
    from pathlib import Path

    import gateway.handlers

    package = Path(gateway.handlers.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            assert not any(n.startswith("gateway.handlers") for n in names), (path.name, names)
