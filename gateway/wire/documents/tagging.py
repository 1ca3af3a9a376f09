"""The Tagging document (objects and buckets): ``<Tagging><TagSet><Tag><Key/><Value/></Tag>...``."""

from __future__ import annotations

from collections.abc import Mapping

from gateway.wire import xml
from gateway.wire.errors import Code, S3Error

ROOT = "Tagging"


def render_tagging(tags: Mapping[str, str]) -> xml.Element:
    root = xml.document(ROOT)
    tag_set = xml.sub(root, "TagSet")
    for key, value in tags.items():
        tag = xml.sub(tag_set, "Tag")
        xml.subs(tag, [("Key", key), ("Value", value)])
    return root


def parse_tagging(doc: xml.Element, *, strict: bool = True) -> list[tuple[str, str]]:
    """The (key, value) pairs in document order, duplicates kept (the caller applies S3's tag rules).

    ``strict`` (a PUT ?tagging body): a missing TagSet, Key or Value is MalformedXML. Otherwise
    (a POST form's ``tagging`` field, an upstream's answer) they read as empty.
    """
    tag_set = xml.child(doc, "TagSet")
    if tag_set is None:
        if strict:
            raise S3Error(Code.MalformedXML)
        return []
    pairs = []
    for tag in xml.children(tag_set, "Tag"):
        key, value = xml.text(tag, "Key"), xml.text(tag, "Value")
        if key is None or value is None:
            if strict:
                raise S3Error(Code.MalformedXML)
            key, value = key or "", value or ""
        pairs.append((key, value))
    return pairs
