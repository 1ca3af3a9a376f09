"""The encryption document and SSE headers, both ways, without a server."""

from __future__ import annotations

import pytest

from gateway.wire import xml
from gateway.wire.documents.encryption import EncryptionRule, parse_configuration, render_configuration, stored_form
from gateway.wire.errors import S3Error
from gateway.wire.sse_headers import CustomerKey, Encryption, customer_key_headers, parse_encryption, render_encryption

NEW_BUCKET = ('<?xml version="1.0" encoding="UTF-8"?>\n<ServerSideEncryptionConfiguration '
              'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault>'
              '<SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BlockedEncryptionTypes>'
              '<EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes><BucketKeyEnabled>false'
              '</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>')


def test_a_new_buckets_rule_renders_as_s3_answers_it() -> None:
    rule = EncryptionRule(blocked=("SSE-C",))
    assert stored_form(rule) == NEW_BUCKET
    assert parse_configuration(xml.parse(NEW_BUCKET.encode())) == rule and rule.blocks_sse_c


@pytest.mark.parametrize("rule", [EncryptionRule("aws:kms", "alias/app", True, ("NONE",)), EncryptionRule(None),
                                  EncryptionRule("aws:kms:dsse", "arn:aws:kms:us-east-1:000000000000:key/k")])
def test_rules_round_trip(rule: EncryptionRule) -> None:
    assert parse_configuration(render_configuration(rule)) == rule


def test_an_upstreams_odd_rule_is_read_leniently() -> None:
    doc = xml.parse(b"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>"
                    b"aws:new</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>maybe"
                    b"</BucketKeyEnabled></Rule><Rule/></ServerSideEncryptionConfiguration>")
    with pytest.raises(S3Error):
        parse_configuration(doc)
    assert parse_configuration(doc, strict=False) == EncryptionRule("aws:new")


@pytest.mark.parametrize("enc", [Encryption("AES256"), Encryption("aws:kms", kms_key_id="arn:k", bucket_key=True),
                                 Encryption("AES256", customer=True, customer_key_md5="bWQ1")])
def test_answer_headers_round_trip(enc: Encryption) -> None:
    assert parse_encryption(render_encryption(enc)) == enc


def test_context_and_customer_headers_only_where_s3_sends_them() -> None:
    kms = Encryption("aws:kms", kms_key_id="arn:k", context="e30=")
    assert "x-amz-server-side-encryption-context" not in render_encryption(kms)
    assert render_encryption(kms, context=True)["x-amz-server-side-encryption-context"] == "e30="
    assert render_encryption(Encryption("AES256", customer=True, customer_key_md5="m"), customer=False) == {}
    copy = customer_key_headers(CustomerKey(bytes(32), "m"), copy_source=True)
    assert sorted(copy) == ["x-amz-copy-source-server-side-encryption-customer-algorithm",
                            "x-amz-copy-source-server-side-encryption-customer-key",
                            "x-amz-copy-source-server-side-encryption-customer-key-md5"]
