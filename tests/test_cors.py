"""Bucket CORS: configuration API, preflight without credentials, headers on actual responses."""

from __future__ import annotations

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.harness.assertions import error_code, error_code_of
from tests.harness.rawhttp import signed

ORIGIN = "https://app.example.com"
RULES = {"CORSRules": [
    {"ID": "uploads", "AllowedOrigins": [ORIGIN, "https://*.example.org"], "AllowedMethods": ["GET", "PUT", "POST"],
     "AllowedHeaders": ["content-type", "x-amz-*"], "ExposeHeaders": ["ETag", "x-amz-version-id"],
     "MaxAgeSeconds": 600},
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
]}


def test_cors_configuration_round_trip(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=bucket)
    assert error_code(exc) == "NoSuchCORSConfiguration"
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    rules = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert rules[0]["ID"] == "uploads"
    assert rules[0]["AllowedMethods"] == ["GET", "PUT", "POST"]
    assert rules[0]["ExposeHeaders"] == ["ETag", "x-amz-version-id"] and rules[0]["MaxAgeSeconds"] == 600
    assert rules[1]["AllowedOrigins"] == ["*"]
    s3.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=bucket)
    assert error_code(exc) == "NoSuchCORSConfiguration"


@pytest.mark.parametrize("rule,code", [
    ({"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}, "InvalidRequest"),
    ({"AllowedOrigins": ["https://*.*.com"], "AllowedMethods": ["GET"]}, "InvalidRequest"),
    ({"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "AllowedHeaders": ["x-*-*"]}, "InvalidRequest"),
])
def test_invalid_cors_rules(s3, bucket, rule, code):
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule]})
    assert error_code(exc) == code


def test_cors_needs_an_integrity_header(server, bucket):
    body = b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>" \
           b"</CORSRule></CORSConfiguration>"
    response = signed(server, "PUT", f"/{bucket}?cors", body=body)
    assert response.status_code == 400 and error_code_of(response) == "InvalidRequest"


def test_too_many_rules(s3, bucket):
    rules = [{"AllowedOrigins": [f"https://{i}.example"], "AllowedMethods": ["GET"]} for i in range(101)]
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert error_code(exc) == "InvalidRequest"


def preflight(server, bucket, origin, method, headers=""):  # type: ignore[no-untyped-def]
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        h["Access-Control-Request-Headers"] = headers
    return httpx.options(f"{server.endpoint}/{bucket}/photo.jpg", headers=h)


def test_preflight_is_answered_without_credentials(s3, server, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    response = preflight(server, bucket, ORIGIN, "PUT", "Content-Type, X-Amz-Date")
    assert response.status_code == 200
    h = response.headers
    assert h["access-control-allow-origin"] == ORIGIN
    assert h["access-control-allow-methods"] == "GET, PUT, POST"
    assert h["access-control-allow-headers"] == "content-type, x-amz-date"
    assert h["access-control-max-age"] == "600"
    assert h["access-control-expose-headers"] == "ETag, x-amz-version-id"
    assert h["access-control-allow-credentials"] == "true"
    assert "Origin" in h["vary"]
    wildcard = preflight(server, bucket, "https://cdn.example.org", "POST")
    assert wildcard.status_code == 200 and wildcard.headers["access-control-allow-origin"] == "https://cdn.example.org"
    anyone = preflight(server, bucket, "https://elsewhere.test", "GET")
    assert anyone.status_code == 200 and anyone.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in anyone.headers


@pytest.mark.parametrize("origin,method,headers", [
    ("https://evil.test", "PUT", ""),  # origin not allowed for PUT
    (ORIGIN, "DELETE", ""),  # method not allowed
    (ORIGIN, "PUT", "authorization-token"),  # header not allowed
])
def test_preflight_without_matching_rule_is_403(s3, server, bucket, origin, method, headers):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    response = preflight(server, bucket, origin, method, headers)
    assert response.status_code == 403 and error_code_of(response) == "AccessForbidden"
    assert "access-control-allow-origin" not in response.headers


def test_preflight_errors(s3, server, bucket):
    response = preflight(server, bucket, ORIGIN, "PUT")
    assert response.status_code == 403 and b"CORS is not enabled" in response.content
    assert httpx.options(f"{server.endpoint}/{bucket}/k", headers={"Access-Control-Request-Method": "GET"}
                         ).status_code == 400
    bad_method = httpx.options(f"{server.endpoint}/{bucket}/k", headers={"Origin": ORIGIN,
                                                                         "Access-Control-Request-Method": "TRACE"})
    assert bad_method.status_code == 400 and error_code_of(bad_method) == "BadRequest"
    missing = preflight(server, "no-such-bucket-cors", ORIGIN, "GET")
    assert missing.status_code == 403


def test_actual_responses_carry_cors_headers(s3, server, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    response = signed(server, "GET", f"/{bucket}/k", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-expose-headers"] == "ETag, x-amz-version-id"
    assert "Origin" in response.headers["vary"]
    missing = signed(server, "GET", f"/{bucket}/missing", headers={"Origin": ORIGIN})
    assert missing.status_code == 404 and missing.headers["access-control-allow-origin"] == ORIGIN
    no_origin = signed(server, "GET", f"/{bucket}/k")
    assert "access-control-allow-origin" not in no_origin.headers
    not_allowed = signed(server, "DELETE", f"/{bucket}/k", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in not_allowed.headers
