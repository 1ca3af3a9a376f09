"""The operation table against every request line in botocore's S3 service model."""

from __future__ import annotations

import botocore.session
import pytest

from gateway.operations import OPERATIONS, resolve
from gateway.request import parse_request
from gateway.wire.errors import S3Error

MODEL = botocore.session.get_session().get_service_model("s3")
IMPLEMENTED = {op.name for op in OPERATIONS}
# Deprecated names that share a request line with the operation we implement.
ALIASES = {"GetBucketLifecycle": "GetBucketLifecycleConfiguration",
           "PutBucketLifecycle": "PutBucketLifecycleConfiguration",
           "GetBucketNotification": "GetBucketNotificationConfiguration",
           "PutBucketNotification": "PutBucketNotificationConfiguration"}


def request_for(name: str):  # type: ignore[no-untyped-def]
    op = MODEL.operation_model(name)
    uri = op.http["requestUri"].replace("{Bucket}", "bucket").replace("{Key+}", "some/key")
    path, _, query = uri.partition("?")
    params = [p for p in query.split("&") if p]
    headers = [(b"host", b"127.0.0.1:9000")]
    shape = op.input_shape
    for member_name in shape.required_members if shape else []:
        member = shape.members[member_name]
        where = member.serialization.get("location")
        wire = member.serialization.get("name", member_name)
        if where == "querystring":
            params.append(f"{wire}=1")
        elif where == "header":
            headers.append((wire.lower().encode(), b"bucket/key"))
    scope = {"type": "http", "method": op.http["method"], "path": path, "raw_path": path.encode(),
             "query_string": "&".join(params).encode(), "headers": headers}
    return parse_request(scope, ("localhost",), "TEST")


# S3 Express and Object Lambda operations go to other endpoints, not the general-purpose S3 API.
OTHER_ENDPOINTS = {"ListDirectoryBuckets", "WriteGetObjectResponse", "CreateSession"}


@pytest.mark.parametrize("name", sorted(set(MODEL.operation_names) - OTHER_ENDPOINTS))
def test_every_model_operation_routes_to_itself_or_not_implemented(name):
    req = request_for(name)
    expected = ALIASES.get(name, name)
    if expected in IMPLEMENTED:
        assert resolve(req).name == expected
    else:
        with pytest.raises(S3Error) as exc:
            resolve(req)
        assert exc.value.code in ("NotImplemented", "MethodNotAllowed")


# Operations S3 documents that SDKs never call, so botocore's model lacks them.
BROWSER_OPERATIONS = {"PostObject", "OptionsBucket", "OptionsObject"}


def test_every_table_row_is_a_model_operation():
    assert IMPLEMENTED - BROWSER_OPERATIONS <= set(MODEL.operation_names)


@pytest.mark.parametrize("method,path,query,headers,expected", [
    ("POST", "/bucket", "", {"content-type": "multipart/form-data; boundary=x"}, "PostObject"),
    ("OPTIONS", "/bucket/key", "", {}, "OptionsObject"),
    ("OPTIONS", "/bucket", "", {}, "OptionsBucket"),
    ("POST", "/bucket", "delete", {"content-type": "multipart/form-data; boundary=x"}, "DeleteObjects"),
])
def test_browser_request_lines(method, path, query, headers, expected):
    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": query.encode(),
             "headers": [(b"host", b"127.0.0.1:9000"), *((k.encode(), v.encode()) for k, v in headers.items())]}
    assert resolve(parse_request(scope, ("localhost",), "TEST")).name == expected
