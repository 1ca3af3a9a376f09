"""Put/Get/DeleteBucketWebsite: round trips as given, S3's refusals with S3's codes and messages, and the
permissions each asks for (denials proven)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code, error_code_of
from tests.harness.iam import allow, new_user
from tests.harness.rawhttp import signed

RULES = [
    {"Condition": {"KeyPrefixEquals": "docs/"}, "Redirect": {"ReplaceKeyPrefixWith": "documents/"}},
    {"Condition": {"HttpErrorCodeReturnedEquals": "404"},
     "Redirect": {"HostName": "example.com", "Protocol": "https", "HttpRedirectCode": "302",
                  "ReplaceKeyWith": "missing.html"}},
]


def test_website_configuration_round_trip(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_website(Bucket=bucket)
    assert error_code(exc) == "NoSuchWebsiteConfiguration"
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "404.html"}, "RoutingRules": RULES})
    got = s3.get_bucket_website(Bucket=bucket)
    assert got["IndexDocument"] == {"Suffix": "index.html"} and got["ErrorDocument"] == {"Key": "404.html"}
    assert got["RoutingRules"] == RULES and "RedirectAllRequestsTo" not in got
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"RedirectAllRequestsTo": {"HostName": "example.com"}})
    got = s3.get_bucket_website(Bucket=bucket)
    assert got["RedirectAllRequestsTo"] == {"HostName": "example.com"} and "IndexDocument" not in got
    for _ in range(2):  # deleting twice is fine
        s3.delete_bucket_website(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_website(Bucket=bucket)
    assert error_code(exc) == "NoSuchWebsiteConfiguration"
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_website(Bucket="no-such-bucket-website")
    assert error_code(exc) == "NoSuchBucket"


def _rules(*rules: str) -> str:
    return "<IndexDocument><Suffix>index.html</Suffix></IndexDocument><RoutingRules>" + "".join(
        f"<RoutingRule>{r}</RoutingRule>" for r in rules) + "</RoutingRules>"


TO_HOST = "<Redirect><HostName>example.com</HostName></Redirect>"
REFUSALS = [
    ("", "InvalidArgument", "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty"),
    ("<IndexDocument><Suffix>a/index.html</Suffix></IndexDocument>", "InvalidArgument",
     "The IndexDocument Suffix is not well formed"),
    ("<IndexDocument><Suffix></Suffix></IndexDocument>", "InvalidArgument",
     "The IndexDocument Suffix is not well formed"),
    ("<IndexDocument><Suffix>i.html</Suffix></IndexDocument><ErrorDocument></ErrorDocument>", "MalformedXML", None),
    ("<RedirectAllRequestsTo><HostName>h</HostName></RedirectAllRequestsTo>"
     "<IndexDocument><Suffix>i.html</Suffix></IndexDocument>", "InvalidArgument",
     "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules."),
    ("<RedirectAllRequestsTo><Protocol>https</Protocol></RedirectAllRequestsTo>", "MalformedXML", None),
    ("<RedirectAllRequestsTo><HostName>h</HostName><Protocol>ftp</Protocol></RedirectAllRequestsTo>",
     "InvalidRequest", "Invalid protocol, protocol can be http or https. If not defined the protocol will be "
     "selected automatically."),
    (_rules(*[TO_HOST] * 51), "InvalidRequest",
     "51 routing rules provided, the number of routing rules in a website configuration is limited to 50."),
    ("<IndexDocument><Suffix>i.html</Suffix></IndexDocument><RoutingRules></RoutingRules>", "MalformedXML", None),
    (_rules("<Condition><KeyPrefixEquals>a</KeyPrefixEquals></Condition>"), "MalformedXML", None),
    (_rules("<Condition></Condition>" + TO_HOST), "InvalidRequest", "Condition cannot be empty. To redirect all "
     "requests without a condition, the condition element shouldn't be present."),
    (_rules("<Redirect><ReplaceKeyWith>a</ReplaceKeyWith><ReplaceKeyPrefixWith>b</ReplaceKeyPrefixWith></Redirect>"),
     "InvalidRequest", "You can only define ReplaceKeyPrefix or ReplaceKey but not both."),
    (_rules("<Redirect><HttpRedirectCode>300</HttpRedirectCode></Redirect>"), "InvalidRequest",
     "The provided HTTP redirect code (300) is not valid. Valid codes are 3XX except 300."),
    (_rules("<Condition><HttpErrorCodeReturnedEquals>302</HttpErrorCodeReturnedEquals></Condition>" + TO_HOST),
     "InvalidRequest", "The provided HTTP error code (302) is not valid. Valid codes are 4XX or 5XX."),
    (_rules("<Redirect><Protocol>gopher</Protocol></Redirect>"), "InvalidRequest",
     "Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically."),
]


def put_website(server, bucket: str, inner: str, *, md5: bool = True):  # type: ignore[no-untyped-def]
    body = f'<WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</WebsiteConfiguration>'
    data = body.encode()
    headers = {"Content-MD5": base64.b64encode(hashlib.md5(data).digest()).decode()} if md5 else {}
    return signed(server, "PUT", f"/{bucket}?website", headers=headers, body=data)


@pytest.mark.parametrize(("inner", "code", "message"), REFUSALS)
def test_configurations_are_refused_as_s3_refuses_them(s3, server, bucket, inner, code, message):
    response = put_website(server, bucket, inner)
    assert response.status_code == 400 and error_code_of(response) == code
    if message is not None:
        assert f"<Message>{message}</Message>".encode() in response.content
    with pytest.raises(ClientError) as exc:  # nothing was stored
        s3.get_bucket_website(Bucket=bucket)
    assert error_code(exc) == "NoSuchWebsiteConfiguration"


def test_put_needs_an_integrity_header(server, bucket):
    response = put_website(server, bucket, "<IndexDocument><Suffix>i.html</Suffix></IndexDocument>", md5=False)
    assert response.status_code == 400 and error_code_of(response) == "InvalidRequest"
    assert put_website(server, bucket, "<IndexDocument><Suffix>i.html</Suffix></IndexDocument>").status_code == 200


def test_each_operation_asks_its_own_permission(s3, server, bucket):
    _, reader = new_user(server.endpoint, allow("s3:GetBucketWebsite", f"arn:aws:s3:::{bucket}"))
    config = {"IndexDocument": {"Suffix": "index.html"}}
    with pytest.raises(ClientError) as exc:
        reader.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config)
    assert error_code(exc) == "AccessDenied"
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config)
    assert reader.get_bucket_website(Bucket=bucket)["IndexDocument"] == {"Suffix": "index.html"}
    with pytest.raises(ClientError) as exc:
        reader.delete_bucket_website(Bucket=bucket)
    assert error_code(exc) == "AccessDenied"
    _, deleter = new_user(server.endpoint, allow("s3:DeleteBucketWebsite", f"arn:aws:s3:::{bucket}"))
    deleter.delete_bucket_website(Bucket=bucket)
