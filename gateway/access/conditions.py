"""IAM's condition operators, each compiled once (values parsed, patterns turned into regexes).

The rules, from "IAM JSON policy elements: Condition operators" and "...: Condition" (multivalued
keys), as a request meets one ``"Operator": {"key": [values]}`` entry:

- several values of one key: any of them (a negated operator: none of them);
- a key absent from the request: false, but true for the negated operators (StringNotEquals,
  NotIpAddress, ArnNotLike...) and for ``...IfExists``; ``Null`` tests presence itself;
- a key with several values (a list) under a single-valued operator: false (a set operator is needed);
  ``ForAnyValue:``: some request value meets the operator (absent key: false), ``ForAllValues:``:
  every request value does (absent key or empty set: true);
- a value that cannot be read (a bad date, number, IP or ARN, an unresolved policy variable) never
  matches, under a negated operator too: that operator then fails rather than succeeds.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache

from gateway.access.matching import ArnPattern, Context, Template, Value, _compiled, any_of

# A compiled operator family: the request value and context -> True (some policy value matches),
# None (none matches and some could not be read), False (none matches).
Test = Callable[[str, Context], "bool | None"]

_EPOCH = re.compile(r"-?\d+(\.\d+)?")


class ConditionSyntaxError(ValueError):
    """An operator this language does not have (the message names it)."""


def parse_number(text: str) -> float | None:
    try:
        return float(int(text)) if text.lstrip("-+").isdigit() else float(text)
    except ValueError:
        return None


@lru_cache(maxsize=1024)
def parse_date(text: str) -> float | None:
    """Seconds since the epoch, from an epoch number or an ISO 8601 date/time (UTC when unzoned)."""
    if _EPOCH.fullmatch(text):
        return float(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _tri(results: Sequence[bool | None]) -> bool | None:
    if True in results:
        return True
    return None if None in results else False


def _strings(values: list[str], variables: bool, *, fold: bool) -> Test:
    templates = [Template(v, variables=variables, wildcards=False) for v in values]
    if all(t.static for t in templates):
        fixed = frozenset((t.resolve(None) or "").lower() if fold else (t.resolve(None) or "") for t in templates)
        if fold:
            return lambda x, _ctx: x.lower() in fixed
        return lambda x, _ctx: x in fixed

    def test(x: str, ctx: Context) -> bool | None:
        results: list[bool | None] = []
        for template in templates:
            resolved = template.resolve(ctx)
            if resolved is None:
                results.append(None)
            else:
                results.append(resolved.lower() == x.lower() if fold else resolved == x)
        return _tri(results)
    return test


def _like(values: list[str], variables: bool) -> Test:
    templates = [Template(v, variables=variables) for v in values]
    if all(t.static for t in templates):
        predicate = any_of(templates, ignore_case=False)
        return lambda x, _ctx: predicate(x)

    def test(x: str, ctx: Context) -> bool | None:
        results: list[bool | None] = []
        for template in templates:
            source = template.regex(ctx)
            results.append(None if source is None else _compiled(source, 0).fullmatch(x) is not None)
        return _tri(results)
    return test


def _ordered(values: list[str], parse: Callable[[str], float | None], compare: Callable[[float, float], bool]) -> Test:
    parsed = [parse(v) for v in values]
    if len(parsed) == 1 and parsed[0] is not None:
        only = parsed[0]

        def single(x: str, _ctx: Context) -> bool | None:
            got = parse(x)
            return None if got is None else compare(got, only)
        return single

    def test(x: str, _ctx: Context) -> bool | None:
        got = parse(x)
        if got is None:
            return None
        return _tri([None if p is None else compare(got, p) for p in parsed])
    return test


def _bool(values: list[str]) -> Test:
    wanted = [v.lower() if v.lower() in ("true", "false") else None for v in values]
    if len(wanted) == 1 and wanted[0] is not None:
        only = wanted[0]

        def single(x: str, _ctx: Context) -> bool | None:
            got = x.lower()
            return None if got not in ("true", "false") else got == only
        return single

    def test(x: str, _ctx: Context) -> bool | None:
        got = x.lower()
        if got not in ("true", "false"):
            return None
        return _tri([None if w is None else w == got for w in wanted])
    return test


def _binary(values: list[str]) -> Test:
    fixed = frozenset(values)
    return lambda x, _ctx: x in fixed


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _ip(values: list[str]) -> Test:
    networks: list[Network | None] = []
    for v in values:
        try:
            networks.append(ipaddress.ip_network(v.strip(), strict=False))
        except ValueError:
            networks.append(None)

    readable = [n for n in networks if n is not None]
    unreadable = len(readable) < len(networks)

    def test(x: str, _ctx: Context) -> bool | None:
        address = _address(x)
        if address is None:
            return None
        for network in readable:
            if network.version == address.version and address in network:
                return True
        return None if unreadable else False
    return test


@lru_cache(maxsize=4096)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Client addresses repeat request after request: parsed once each."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _arn(values: list[str], variables: bool) -> Test:
    patterns = [ArnPattern(v, variables=variables, case_insensitive_head=False) for v in values]

    def test(x: str, ctx: Context) -> bool | None:
        if x.count(":") < 5:
            return None
        results: list[bool | None] = []
        for p in patterns:
            source = p.regex(ctx) if p.valid and not p.matches_everything else None
            results.append(None if source is None else _compiled(source, 0).fullmatch(x) is not None)
        return _tri(results)
    return test


def _lt(a: float, b: float) -> bool:
    return a < b


def _le(a: float, b: float) -> bool:
    return a <= b


def _gt(a: float, b: float) -> bool:
    return a > b


def _ge(a: float, b: float) -> bool:
    return a >= b


def _eq(a: float, b: float) -> bool:
    return a == b


# base operator (lower case) -> (spelling, negated, builder(values, variables))
Builder = Callable[[list[str], bool], Test]
_OPERATORS: dict[str, tuple[str, bool, Builder]] = {}


def _register(name: str, negated: bool, builder: Builder) -> None:
    _OPERATORS[name.lower()] = (name, negated, builder)


def _string_builder(fold: bool) -> Builder:
    return lambda values, variables: _strings(values, variables, fold=fold)


def _ordered_builder(parse: Callable[[str], float | None], compare: Callable[[float, float], bool]) -> Builder:
    return lambda values, _variables: _ordered(values, parse, compare)


for _name, _fold in (("StringEquals", False), ("StringEqualsIgnoreCase", True)):
    _register(_name, False, _string_builder(_fold))
    _register(_name.replace("Equals", "NotEquals"), True, _string_builder(_fold))
_register("StringLike", False, _like)
_register("StringNotLike", True, _like)
for _family, _parse in (("Numeric", parse_number), ("Date", parse_date)):
    _register(f"{_family}Equals", False, _ordered_builder(_parse, _eq))
    _register(f"{_family}NotEquals", True, _ordered_builder(_parse, _eq))
    _register(f"{_family}LessThan", False, _ordered_builder(_parse, _lt))
    _register(f"{_family}LessThanEquals", False, _ordered_builder(_parse, _le))
    _register(f"{_family}GreaterThan", False, _ordered_builder(_parse, _gt))
    _register(f"{_family}GreaterThanEquals", False, _ordered_builder(_parse, _ge))
_register("Bool", False, lambda values, _variables: _bool(values))
_register("BinaryEquals", False, lambda values, _variables: _binary(values))
_register("IpAddress", False, lambda values, _variables: _ip(values))
_register("NotIpAddress", True, lambda values, _variables: _ip(values))
for _name in ("ArnEquals", "ArnLike"):
    _register(_name, False, _arn)
for _name in ("ArnNotEquals", "ArnNotLike"):
    _register(_name, True, _arn)

ANY, ALL, SINGLE = "ForAnyValue", "ForAllValues", ""


class Condition:
    """One ``Operator: {key: values}`` entry, compiled."""

    __slots__ = ("operator", "key", "values", "_null", "_negated", "_if_exists", "_set", "_test")

    def __init__(self, operator: str, key: str, values: list[str], *, variables: bool = True) -> None:
        self.operator = operator
        self.key = key.lower()
        self.values = tuple(values)
        name = operator
        self._set = SINGLE
        prefix, colon, rest = operator.partition(":")
        if colon:
            if prefix.lower() == ANY.lower():
                self._set = ANY
            elif prefix.lower() == ALL.lower():
                self._set = ALL
            else:
                raise ConditionSyntaxError(operator)
            name = rest
        self._if_exists = name.lower().endswith("ifexists") and name.lower() != "ifexists"
        if self._if_exists:
            name = name[: -len("IfExists")]
        self._null = name.lower() == "null" and not self._if_exists
        self._negated = False
        self._test: Test | None = None
        if self._null:
            return
        found = _OPERATORS.get(name.lower())
        if found is None:
            raise ConditionSyntaxError(operator)
        _spelling, self._negated, builder = found
        self._test = builder(values, variables)

    def __call__(self, context: Context) -> bool:
        value: Value | None = context.get(self.key)
        if self._null:
            wanted = "false" if value is not None else "true"
            return any(v.lower() == wanted for v in self.values)
        test = self._test
        assert test is not None
        if value is None:
            if self._set == ANY:
                return self._if_exists
            return self._set == ALL or self._if_exists or self._negated
        if self._set == SINGLE:
            if not isinstance(value, str):
                return False
            return self._meets(test, value, context)
        values = [value] if isinstance(value, str) else value
        if self._set == ANY:
            return any(self._meets(test, v, context) for v in values)
        return all(self._meets(test, v, context) for v in values)

    def _meets(self, test: Test, value: str, context: Context) -> bool:
        result = test(value, context)
        return result is False if self._negated else result is True

def condition_values(raw: object) -> list[str] | None:
    """A condition's value(s) as strings (JSON numbers and booleans as AWS reads them); None if malformed."""
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (int, float)):
            out.append(str(item))
        elif isinstance(item, str):
            out.append(item)
        else:
            return None
    return out
