"""Bucket resource-control documents: OwnershipControls, PublicAccessBlockConfiguration, PolicyStatus.

Rendered the way S3 answers them (every public-access flag spelled out), parsed the way S3 reads
a PUT (an omitted flag is false; anything but true/false is MalformedXML). The server stores the
rendered form, so what is stored is what a GET returns and what an upstream is sent.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

from gateway.wire import xml
from gateway.wire.errors import Code, S3Error

OWNERSHIP_ROOT = "OwnershipControls"
PUBLIC_ACCESS_BLOCK_ROOT = "PublicAccessBlockConfiguration"
BUCKET_OWNER_ENFORCED, BUCKET_OWNER_PREFERRED, OBJECT_WRITER = \
    "BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"
OBJECT_OWNERSHIP = (BUCKET_OWNER_ENFORCED, BUCKET_OWNER_PREFERRED, OBJECT_WRITER)
FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@dataclass(frozen=True, slots=True)
class PublicAccessBlock:
    """The four Block Public Access flags of a bucket (all false when none is configured)."""

    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    @classmethod
    def all_on(cls) -> PublicAccessBlock:
        return cls(True, True, True, True)


def render_ownership(ownership: str) -> xml.Element:
    root = xml.document(OWNERSHIP_ROOT)
    xml.sub(xml.sub(root, "Rule"), "ObjectOwnership", ownership)
    return root


def parse_ownership(doc: xml.Element) -> str:
    """The one rule's ObjectOwnership; anything else is MalformedXML, as in S3."""
    rules = xml.children(doc, "Rule")
    ownership = xml.text(rules[0], "ObjectOwnership") if len(rules) == 1 else None
    if ownership not in OBJECT_OWNERSHIP:
        raise S3Error(Code.MalformedXML)
    return ownership


def render_public_access_block(block: PublicAccessBlock) -> xml.Element:
    root = xml.document(PUBLIC_ACCESS_BLOCK_ROOT)
    for flag, value in zip(FLAGS, astuple(block), strict=True):
        xml.sub(root, flag, bool(value))
    return root


def parse_public_access_block(doc: xml.Element) -> PublicAccessBlock:
    values = []
    for flag in FLAGS:
        value = (xml.text(doc, flag) or "false").strip().lower()
        if value not in ("true", "false"):
            raise S3Error(Code.MalformedXML)
        values.append(value == "true")
    return PublicAccessBlock(*values)


def render_policy_status(is_public: bool) -> xml.Element:
    root = xml.document("PolicyStatus")
    xml.sub(root, "IsPublic", is_public)
    return root


def parse_policy_status(doc: xml.Element) -> bool:
    return (xml.text(doc, "IsPublic") or "").strip().lower() == "true"
