"""The WebsiteConfiguration document, both ways: PutBucketWebsite's body checked as S3 checks it, and the
canonical form the server stores, GetBucketWebsite answers and an upstream is sent.

The checks and their messages are S3's (the PutBucketWebsite reference, and what S3 answers, as
recorded by LocalStack's snapshot tests): a configuration is either RedirectAllRequestsTo alone, or an
IndexDocument (a suffix without ``/``) with an optional ErrorDocument and up to 50 RoutingRules.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.wire import xml
from gateway.wire.errors import Code, S3Error

ROOT = "WebsiteConfiguration"
MAX_RULES = 50
PROTOCOLS = ("http", "https")
_BAD_PROTOCOL = ("Invalid protocol, protocol can be http or https. If not defined the protocol will be selected "
                 "automatically.")


@dataclass(frozen=True, slots=True)
class Redirect:
    """Where a rule (or RedirectAllRequestsTo) sends the browser; unset parts keep the request's own."""

    host_name: str | None = None
    http_redirect_code: str | None = None  # "301" when unset
    protocol: str | None = None
    replace_key_prefix_with: str | None = None
    replace_key_with: str | None = None


@dataclass(frozen=True, slots=True)
class RoutingRule:
    redirect: Redirect
    key_prefix_equals: str | None = None
    http_error_code_returned_equals: str | None = None

    @property
    def has_condition(self) -> bool:
        return self.key_prefix_equals is not None or self.http_error_code_returned_equals is not None


@dataclass(frozen=True, slots=True)
class WebsiteConfiguration:
    index_suffix: str | None = None
    error_key: str | None = None
    redirect_all: Redirect | None = None  # RedirectAllRequestsTo: host_name and protocol only
    rules: tuple[RoutingRule, ...] = ()


def _invalid_request(message: str) -> S3Error:
    return S3Error(Code.InvalidRequest, message)


def _protocol(el: xml.Element) -> str | None:
    protocol = xml.text(el, "Protocol")
    if protocol is not None and protocol not in PROTOCOLS:
        raise _invalid_request(_BAD_PROTOCOL)
    return protocol


def _redirect_code(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not raw.isdigit():
        raise S3Error(Code.MalformedXML)
    if not 300 < int(raw) < 400:
        raise _invalid_request(f"The provided HTTP redirect code ({raw}) is not valid. Valid codes are 3XX except "
                               "300.")
    return raw


def _error_code(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not raw.isdigit():
        raise S3Error(Code.MalformedXML)
    if not 400 <= int(raw) < 600:
        raise _invalid_request(f"The provided HTTP error code ({raw}) is not valid. Valid codes are 4XX or 5XX.")
    return raw


def _rule(el: xml.Element) -> RoutingRule:
    redirect_el = xml.child(el, "Redirect")
    if redirect_el is None:
        raise S3Error(Code.MalformedXML)
    prefix_with, key_with = xml.text(redirect_el, "ReplaceKeyPrefixWith"), xml.text(redirect_el, "ReplaceKeyWith")
    if prefix_with is not None and key_with is not None:
        raise _invalid_request("You can only define ReplaceKeyPrefix or ReplaceKey but not both.")
    redirect = Redirect(xml.text(redirect_el, "HostName") or None,
                        _redirect_code(xml.text(redirect_el, "HttpRedirectCode")), _protocol(redirect_el),
                        prefix_with, key_with)
    condition = xml.child(el, "Condition")
    if condition is None:
        return RoutingRule(redirect)
    prefix = xml.text(condition, "KeyPrefixEquals")
    error_code = _error_code(xml.text(condition, "HttpErrorCodeReturnedEquals"))
    if prefix is None and error_code is None:
        raise _invalid_request("Condition cannot be empty. To redirect all requests without a condition, the "
                               "condition element shouldn't be present.")
    return RoutingRule(redirect, prefix, error_code)


def parse_website(doc: xml.Element) -> WebsiteConfiguration:
    """PutBucketWebsite's body, or S3's refusal (MalformedXML, InvalidArgument, InvalidRequest)."""
    if xml.local(doc) != ROOT:
        raise S3Error(Code.MalformedXML)
    everything = xml.child(doc, "RedirectAllRequestsTo")
    index, error, rules = xml.child(doc, "IndexDocument"), xml.child(doc, "ErrorDocument"), \
        xml.child(doc, "RoutingRules")
    if everything is not None:
        if index is not None or error is not None or rules is not None:
            raise S3Error(Code.InvalidArgument, "RedirectAllRequestsTo cannot be provided in conjunction with other "
                          "Routing Rules.", ArgumentName="RedirectAllRequestsTo", ArgumentValue="not null")
        host = xml.text(everything, "HostName")
        if not host:
            raise S3Error(Code.MalformedXML)
        return WebsiteConfiguration(redirect_all=Redirect(host, protocol=_protocol(everything)))
    if index is None:
        raise S3Error(Code.InvalidArgument, "A value for IndexDocument Suffix must be provided if "
                      "RedirectAllRequestsTo is empty", ArgumentName="IndexDocument", ArgumentValue="null")
    suffix = xml.text(index, "Suffix")
    if not suffix or "/" in suffix:
        raise S3Error(Code.InvalidArgument, "The IndexDocument Suffix is not well formed",
                      ArgumentName="IndexDocument", ArgumentValue=suffix or "null")
    error_key = None
    if error is not None:
        error_key = xml.text(error, "Key")
        if not error_key:
            raise S3Error(Code.MalformedXML)
    parsed: tuple[RoutingRule, ...] = ()
    if rules is not None:
        found = xml.children(rules, "RoutingRule")
        if not found:
            raise S3Error(Code.MalformedXML)
        if len(found) > MAX_RULES:
            raise _invalid_request(f"{len(found)} routing rules provided, the number of routing rules in a website "
                                   f"configuration is limited to {MAX_RULES}.")
        parsed = tuple(_rule(el) for el in found)
    return WebsiteConfiguration(suffix, error_key, None, parsed)


def _render_redirect(parent: xml.Element, tag: str, redirect: Redirect) -> None:
    el = xml.sub(parent, tag)
    xml.subs(el, [("HostName", redirect.host_name), ("HttpRedirectCode", redirect.http_redirect_code),
                  ("Protocol", redirect.protocol), ("ReplaceKeyPrefixWith", redirect.replace_key_prefix_with),
                  ("ReplaceKeyWith", redirect.replace_key_with)])


def render_website(config: WebsiteConfiguration) -> xml.Element:
    """In botocore's member order; what is stored and answered."""
    root = xml.document(ROOT)
    if config.redirect_all is not None:
        everything = xml.sub(root, "RedirectAllRequestsTo")
        xml.subs(everything, [("HostName", config.redirect_all.host_name),
                              ("Protocol", config.redirect_all.protocol)])
        return root
    xml.sub(xml.sub(root, "IndexDocument"), "Suffix", config.index_suffix)
    if config.error_key is not None:
        xml.sub(xml.sub(root, "ErrorDocument"), "Key", config.error_key)
    if config.rules:
        rules = xml.sub(root, "RoutingRules")
        for rule in config.rules:
            el = xml.sub(rules, "RoutingRule")
            if rule.has_condition:
                condition = xml.sub(el, "Condition")
                xml.subs(condition, [("HttpErrorCodeReturnedEquals", rule.http_error_code_returned_equals),
                                     ("KeyPrefixEquals", rule.key_prefix_equals)])
            _render_redirect(el, "Redirect", rule.redirect)
    return root
