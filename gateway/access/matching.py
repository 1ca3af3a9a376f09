"""Wildcards (``*``, ``?``), policy variables (``${aws:username}``, ``${key, 'default'}``, ``${*}``...)
and the request context they read, compiled once at parse time so that a request costs a regex match.

IAM's rules: ``*`` matches any run of characters (``/`` and ``:`` included in an ARN's resource part),
``?`` one character; a variable takes the request's single value for its key (keys compare without
regard to case); a key that is absent, or multivalued, leaves the variable unresolved (its default,
if it has one, stands in), and an unresolved variable matches nothing. ``${*}``, ``${?}`` and
``${$}`` are the literal characters. Version 2008-10-17 policies have no variables: ``${...}`` is text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.access.identity import Identity

Value = str | list[str]
Predicate = Callable[[str], bool]

_TOKEN = re.compile(r"\$\{([^}]*)\}|[*?]")
_LITERAL_VARIABLES = {"*": "*", "?": "?", "$": "$"}


class LazyKeys(Mapping[str, Value]):
    """Request keys computed on demand: ``Context`` asks ``lookup`` (lower-cased key) instead of copying
    them all (``gateway.request_keys``); the identity-derived keys still come from the identity."""

    __slots__ = ()

    def lookup(self, key: str) -> Value | None:
        raise NotImplementedError


_DERIVED = frozenset({"aws:username", "aws:userid", "aws:principalarn", "aws:principalaccount", "aws:principaltype"})


class Context:
    """The condition context of one request: the caller's keys plus those derived from the identity,
    looked up by lower-cased key, built on first use (most requests never read it)."""

    __slots__ = ("_keys", "_identity", "_map", "_lookup")

    def __init__(self, keys: Mapping[str, Value], identity: Identity | None) -> None:
        self._keys = keys
        self._identity = identity
        self._map: dict[str, Value] | None = None
        # Checked once here: an isinstance against an ABC costs more than the lookup itself.
        self._lookup = keys.lookup if isinstance(keys, LazyKeys) else None

    def get(self, key: str) -> Value | None:
        """The value of ``key`` (already lower-cased), None when absent."""
        lookup = self._lookup
        if lookup is not None and key not in _DERIVED:
            return lookup(key)
        found = self._map
        if found is None:
            found = self._map = self._build()
        return found.get(key)

    def _build(self) -> dict[str, Value]:
        keys = self._keys
        built = {} if self._lookup is not None else {key.lower(): value for key, value in keys.items()}
        identity = self._identity
        # Derived from who signed: the caller cannot set or spoof these.
        for key in ("aws:username", "aws:userid", "aws:principalarn", "aws:principalaccount", "aws:principaltype"):
            built.pop(key, None)
        if identity is None:
            built["aws:principaltype"] = "Anonymous"
            built["aws:userid"] = "anonymous"
        else:
            built["aws:userid"] = identity.user_id
            built["aws:principalarn"] = identity.arn
            built["aws:principalaccount"] = identity.account_id
            if identity.user_name is None:
                built["aws:principaltype"] = "Account"
            else:
                built["aws:principaltype"] = "User"
                built["aws:username"] = identity.user_name
        return built


def _variable(body: str) -> tuple[str, str | None]:
    """``aws:username, 'guest'`` -> ("aws:username", "guest")."""
    name, comma, default = body.partition(",")
    if comma:
        default = default.strip()
        if len(default) >= 2 and default[0] == default[-1] == "'":
            return name.strip().lower(), default[1:-1]
    return body.strip().lower(), None


class Template:
    """A policy string with wildcards and variables, split once into literal text, ``*``/``?`` and
    variables. ``wildcards`` says whether ``*``/``?`` match (StringLike, resources) or are text
    (StringEquals); ``one_segment`` keeps them inside one ``:``-separated ARN segment."""

    __slots__ = ("text", "static", "_parts", "_wildcards", "_any", "_one")

    def __init__(self, text: str, *, variables: bool = True, wildcards: bool = True,
                 one_segment: bool = False) -> None:
        self.text = text
        self._wildcards = wildcards
        self._any = "[^:]*" if one_segment else ".*"
        self._one = "[^:]" if one_segment else "."
        # parts: ("t", text, None) | ("*", "", None) | ("?", "", None) | ("v", name, default)
        parts: list[tuple[str, str, str | None]] = []
        last = 0
        for found in _TOKEN.finditer(text):
            token = found.group(0)
            if token[0] == "$" and not variables:
                continue
            if found.start() > last:
                parts.append(("t", text[last:found.start()], None))
            if token in ("*", "?"):
                parts.append((token, "", None) if wildcards else ("t", token, None))
            elif (body := found.group(1)) in _LITERAL_VARIABLES:
                parts.append(("t", _LITERAL_VARIABLES[body], None))
            else:
                parts.append(("v", *_variable(body)))
            last = found.end()
        if last < len(text):
            parts.append(("t", text[last:], None))
        self._parts = tuple(parts)
        self.static = all(part[0] != "v" for part in parts)

    @property
    def has_wildcards(self) -> bool:
        return any(part[0] in "*?" for part in self._parts)

    def resolve(self, context: Context | None) -> str | None:
        """The text with variables substituted (wildcards left as they are); None if one is unresolved."""
        out: list[str] = []
        for part in self._parts:
            kind = part[0]
            if kind == "v":
                value = context.get(part[1]) if context is not None else None
                if not isinstance(value, str):
                    if part[2] is None:
                        return None
                    value = part[2]
                out.append(value)
            else:
                out.append(part[1] or kind)
        return "".join(out)

    def chunks(self) -> list[str | tuple[str, str | None]]:
        """The regex as literal source chunks and (variable, default) holes."""
        out: list[str | tuple[str, str | None]] = []
        for kind, text, default in self._parts:
            if kind == "*":
                out.append(self._any)
            elif kind == "?":
                out.append(self._one)
            elif kind == "t":
                out.append(re.escape(text))
            else:
                out.append((text, default))
        return out

    def regex(self, context: Context | None) -> str | None:
        """The regular expression (unanchored source) this template stands for; None if unresolved."""
        out: list[str] = []
        for part in self._parts:
            kind = part[0]
            if kind == "*":
                out.append(self._any)
            elif kind == "?":
                out.append(self._one)
            elif kind == "t":
                out.append(re.escape(part[1]))
            else:
                value = context.get(part[1]) if context is not None else None
                if not isinstance(value, str):
                    if part[2] is None:
                        return None
                    value = part[2]
                out.append(re.escape(value))
        return "".join(out)


@lru_cache(maxsize=4096)
def _compiled(source: str, flags: int) -> re.Pattern[str]:
    return re.compile(source, flags | re.DOTALL)


def never(_value: str) -> bool:
    return False


def always(_value: str) -> bool:
    return True


def any_of(templates: Iterable[Template], *, ignore_case: bool) -> Predicate:
    """One predicate for static patterns: "any of them matches" as one set lookup or one regex."""
    templates = list(templates)
    if any(t.text == "*" for t in templates if t.has_wildcards):
        return always
    exact = {(t.resolve(None) or "") for t in templates if not t.has_wildcards}
    wild = [t.regex(None) or "" for t in templates if t.has_wildcards]
    if ignore_case:
        exact = {e.lower() for e in exact}
    if not wild:
        if ignore_case:
            return lambda value: value.lower() in exact
        return exact.__contains__
    pattern = _compiled("(?:" + "|".join(wild) + ")", re.IGNORECASE if ignore_case else 0)
    if not exact:
        return lambda value: pattern.fullmatch(value) is not None
    if ignore_case:
        return lambda value: value.lower() in exact or pattern.fullmatch(value) is not None
    return lambda value: value in exact or pattern.fullmatch(value) is not None


def like(template: Template, context: Context | None, *, ignore_case: bool = False) -> Predicate:
    """A wildcard predicate for one template, variables resolved against ``context``."""
    source = template.regex(context)
    if source is None:
        return never
    pattern = _compiled(source, re.IGNORECASE if ignore_case else 0)
    return lambda value: pattern.fullmatch(value) is not None


class ArnPattern:
    """A Resource/NotResource ARN (or an ArnLike value): six ``:`` segments, each matched on its own;
    partition, service, region and account without regard to case, the resource part with it. A
    pattern with variables keeps its regex as chunks and compiles it once per set of variable values."""

    __slots__ = ("text", "static", "source", "_segments", "_match_all", "_chunks", "_variables", "_cache")

    def __init__(self, text: str, *, variables: bool = True, case_insensitive_head: bool = True) -> None:
        self.text = text
        self._match_all = text == "*"
        segments = text.split(":", 5)
        if len(segments) < 6 and "*" in text and not self._match_all:
            segments += ["*"] * (6 - len(segments))
        self._segments: tuple[tuple[Template, bool], ...] = ()
        if len(segments) == 6:
            head = [(Template(s, variables=variables, one_segment=True), case_insensitive_head) for s in segments[:5]]
            self._segments = (*head, (Template(segments[5], variables=variables), False))
        self.static = all(t.static for t, _ in self._segments)
        self.source = self.regex(None) if self.static else None
        # The regex as literal chunks and (variable, default) holes, for patterns with variables.
        self._chunks: list[str | tuple[str, str | None]] = []
        self._variables: list[tuple[str, str | None]] = []
        self._cache: dict[tuple[str, ...], re.Pattern[str]] = {}
        if not self.static:
            for index, (template, fold) in enumerate(self._segments):
                if index:
                    self._chunks.append(":")
                if fold:
                    self._chunks.append("(?i:")
                for chunk in template.chunks():
                    self._chunks.append(chunk)
                    if isinstance(chunk, tuple):
                        self._variables.append(chunk)
                if fold:
                    self._chunks.append(")")

    @property
    def matches_everything(self) -> bool:
        return self._match_all

    @property
    def valid(self) -> bool:
        return self._match_all or bool(self._segments)

    @property
    def resource_part(self) -> str | None:
        return self._segments[5][0].text if self._segments else None

    def regex(self, context: Context | None) -> str | None:
        if self._match_all:
            return ".*"
        if not self._segments:
            return None
        out = []
        for template, fold in self._segments:
            source = template.regex(context)
            if source is None:
                return None
            out.append(f"(?i:{source})" if fold else source)
        return ":".join(out)

    def compiled(self, context: Context) -> re.Pattern[str] | None:
        """The regex with this request's variable values (None if one is unresolved), compiled once."""
        values = []
        for name, default in self._variables:
            value = context.get(name)
            if not isinstance(value, str):
                if default is None:
                    return None
                value = default
            values.append(value)
        key = tuple(values)
        found = self._cache.get(key)
        if found is None:
            given = iter(key)
            source = "".join(c if isinstance(c, str) else re.escape(next(given)) for c in self._chunks)
            found = re.compile(source, re.DOTALL)
            if len(self._cache) < 256:
                self._cache[key] = found
        return found


class ResourceMatcher:
    """Whether a resource ARN matches any of a statement's patterns: the static ones as one regex, those
    with variables one by one. A request resource of ``*`` (an action on no particular resource) is
    matched by ``*`` and by patterns whose resource part is ``*``."""

    __slots__ = ("_all", "_static", "_dynamic", "_star")

    def __init__(self, patterns: list[ArnPattern]) -> None:
        self._all = any(p.matches_everything for p in patterns)
        sources = [p.source for p in patterns if p.static and p.source is not None]
        self._static = _compiled("(?:" + "|".join(sources) + ")", 0) if sources else None
        self._dynamic = [p for p in patterns if not p.static]
        self._star = any(p.resource_part == "*" for p in patterns)

    def __call__(self, resource: str, context: Context) -> bool:
        if self._all:
            return True
        if resource == "*":
            return self._star
        if self._static is not None and self._static.fullmatch(resource) is not None:
            return True
        for pattern in self._dynamic:
            found = pattern.compiled(context)
            if found is not None and found.fullmatch(resource) is not None:
                return True
        return False
