"""S3's XML: a safe parser for request documents and small helpers to build responses.

Request bodies are parsed by lxml with entity resolution, DTD loading and network access all
off, and any DOCTYPE refused outright, so billion-laughs and external-entity documents get
``MalformedXML`` without expanding anything. Response documents are built element by element
(``document``/``sub``) in AWS's element order; ``render`` prefixes AWS's exact declaration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import TypeAlias, cast

from lxml import etree

from gateway.wire.errors import Code, S3Error

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
MAX_DOCUMENT = 4 * 1024 * 1024

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                          remove_comments=True, remove_pis=True, dtd_validation=False)
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Element: TypeAlias = etree._Element


# -- parsing -------------------------------------------------------------------------------------
def parse(body: bytes, root: str | None = None) -> Element:
    """Parse a request document; ``root`` is the expected local name of the root element."""
    if not body.strip():
        raise S3Error(Code.MalformedXML)
    if len(body) > MAX_DOCUMENT or _DOCTYPE.search(body):
        raise S3Error(Code.MalformedXML)
    try:
        doc = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        raise S3Error(Code.MalformedXML) from None
    if root is not None and local(doc) != root:
        raise S3Error(Code.MalformedXML)
    return cast(Element, doc)


def local(el: Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def children(el: Element, name: str) -> list[Element]:
    return [c for c in el if local(c) == name]


def child(el: Element, name: str) -> Element | None:
    for c in el:
        if local(c) == name:
            return cast(Element, c)
    return None


def text(el: Element, name: str) -> str | None:
    """Text of the first child called ``name`` ("" for an empty element, None if absent)."""
    c = child(el, name)
    if c is None:
        return None
    return c.text or ""


# -- building ------------------------------------------------------------------------------------
def document(root: str, *, namespace: bool = True) -> Element:
    return cast(Element, etree.Element(root, nsmap={None: NS}) if namespace else etree.Element(root))


def sub(parent: Element, tag: str, value: str | int | bool | None = None) -> Element:
    el = cast(Element, etree.SubElement(parent, tag))
    if value is not None:
        if isinstance(value, bool):
            el.text = "true" if value else "false"
        else:
            el.text = _xml_safe(str(value))
    return el


def subs(parent: Element, pairs: Iterable[tuple[str, str | int | bool | None]]) -> None:
    """Add ``(tag, value)`` children in order, skipping None values."""
    for tag, value in pairs:
        if value is not None:
            sub(parent, tag, value)


def _xml_safe(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value) if _NOT_XML.search(value) else value


def render(root: Element) -> bytes:
    return DECLARATION + cast(bytes, etree.tostring(root, encoding="UTF-8"))


def timestamp(ms: int) -> str:
    """ISO 8601 as S3 writes it in XML: ``2026-11-25T16:01:17.000Z`` (second precision)."""
    return _timestamp(ms // 1000)


@lru_cache(maxsize=4096)
def _timestamp(seconds: int) -> str:  # listings repeat the same few seconds thousands of times
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# -- listings: documents of thousands of elements, written as text ---------------------------------
_SPECIAL = re.compile(r'[&<>"]')
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def escape(value: str) -> str:
    """Text for an XML element as S3 writes it (quotes too: ETags read ``&quot;...&quot;``)."""
    value = _xml_safe(value)
    return _SPECIAL.sub(lambda m: _ENTITIES[m.group()], value) if _SPECIAL.search(value) else value


class Writer:
    """A response document written as text, for the big listings (objects, versions): a page of 1,000 keys is about
    8,000 elements, which cost ten times more as lxml elements than as formatted strings.
    Callers escape values with :func:`escape` (or know them safe: numbers, our own dates)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.parts = [f'<{root} xmlns="{NS}">']

    def element(self, tag: str, value: str | int | bool | None) -> None:
        """``<tag>value</tag>``; None writes nothing."""
        if value is None:
            return
        text = ("true" if value else "false") if isinstance(value, bool) else escape(str(value))
        self.parts.append(f"<{tag}>{text}</{tag}>")

    def raw(self, text: str) -> None:
        self.parts.append(text)

    def render(self) -> bytes:
        return DECLARATION + "".join([*self.parts, f"</{self.root}>"]).encode("utf-8")
