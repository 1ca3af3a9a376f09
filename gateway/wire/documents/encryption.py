"""ServerSideEncryptionConfiguration: a bucket's default encryption and the encryption types it blocks.

One rule (S3 answers two, or none, MalformedXML: LocalStack's recordings of S3): the default
S3 applies to a new object that names no encryption (``ApplyServerSideEncryptionByDefault``),
``BucketKeyEnabled``, and ``BlockedEncryptionTypes`` (botocore since 1.41.0: ``NONE`` or ``SSE-C``;
S3 blocks SSE-C on every new bucket since April 2026). Parsing a request is strict (``strict=True``);
what an upstream answers is read leniently, so an upstream's own additions never break a read.
The server stores the rendered form: what is stored is what GET answers and what an upstream is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.wire import xml
from gateway.wire.errors import Code, S3Error

ROOT = "ServerSideEncryptionConfiguration"
SSE_C, NONE = "SSE-C", "NONE"
ENCRYPTION_TYPES = (NONE, SSE_C)
SSE_ALGORITHMS = frozenset({"AES256", "aws:kms", "aws:kms:dsse", "aws:fsx", "aws:backup"})
KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})


@dataclass(frozen=True, slots=True)
class EncryptionRule:
    """A bucket's encryption rule. ``algorithm`` None: no default; ``blocked`` None: not stated."""

    algorithm: str | None = "AES256"
    kms_key_id: str | None = None  # KMSMasterKeyID as the client put it (S3 does not validate it here)
    bucket_key: bool = False
    blocked: tuple[str, ...] | None = None

    @property
    def blocks_sse_c(self) -> bool:
        return self.blocked is not None and SSE_C in self.blocked


def render_configuration(rule: EncryptionRule) -> xml.Element:
    root = xml.document(ROOT)
    el = xml.sub(root, "Rule")
    if rule.algorithm is not None:
        default = xml.sub(el, "ApplyServerSideEncryptionByDefault")
        xml.sub(default, "SSEAlgorithm", rule.algorithm)
        if rule.kms_key_id is not None:
            xml.sub(default, "KMSMasterKeyID", rule.kms_key_id)
    if rule.blocked is not None:
        blocked = xml.sub(el, "BlockedEncryptionTypes")
        for kind in rule.blocked:
            xml.sub(blocked, "EncryptionType", kind)
    xml.sub(el, "BucketKeyEnabled", rule.bucket_key)
    return root


def stored_form(rule: EncryptionRule) -> str:
    """The document as the server stores it (and an upstream is sent)."""
    return xml.render(render_configuration(rule)).decode("utf-8")


def _bool(text: str | None, strict: bool) -> bool:
    value = (text or "false").strip().lower()
    if value not in ("true", "false") and strict:
        raise S3Error(Code.MalformedXML)
    return value == "true"


def _blocked(el: xml.Element | None, strict: bool) -> tuple[str, ...] | None:
    """The EncryptionType list; NONE beside SSE-C, or an unknown type, is MalformedXML (the enum's values)."""
    if el is None:
        return None
    kinds = tuple(dict.fromkeys((t.text or "").strip() for t in xml.children(el, "EncryptionType")))
    if strict and (not kinds or any(k not in ENCRYPTION_TYPES for k in kinds) or (NONE in kinds and len(kinds) > 1)):
        raise S3Error(Code.MalformedXML)
    return kinds


def parse_configuration(doc: xml.Element, *, strict: bool = True) -> EncryptionRule:
    rules = xml.children(doc, "Rule")
    if not rules or (strict and len(rules) > 1):
        raise S3Error(Code.MalformedXML)
    rule = rules[0]
    algorithm = kms_key_id = None
    default = xml.child(rule, "ApplyServerSideEncryptionByDefault")
    if default is not None:
        algorithm = (xml.text(default, "SSEAlgorithm") or "").strip()
        kms_key_id = xml.text(default, "KMSMasterKeyID")
        if strict and algorithm not in SSE_ALGORITHMS:
            raise S3Error(Code.MalformedXML)
        if strict and kms_key_id is not None and algorithm not in KMS_ALGORITHMS:
            raise S3Error(Code.InvalidArgument, "a KMSMasterKeyID is not applicable if the default sse algorithm is "
                          "not aws:kms or aws:kms:dsse", ArgumentName="ApplyServerSideEncryptionByDefault")
    return EncryptionRule(algorithm or None, kms_key_id.strip() if kms_key_id else None,
                          _bool(xml.text(rule, "BucketKeyEnabled"), strict),
                          _blocked(xml.child(rule, "BlockedEncryptionTypes"), strict))
