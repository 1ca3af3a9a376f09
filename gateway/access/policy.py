"""Policy documents: parsed and validated once, as AWS does, into statements whose actions, resources,
principals and conditions are precompiled, so that evaluating a request is lookups and regex matches.

Messages are AWS's where documented or reported (S3's MalformedPolicy answers for bucket policies,
IAM's MalformedPolicyDocument answers for identity policies); ``PolicyError`` carries the message and
the caller picks the error code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from gateway.access.conditions import Condition, ConditionSyntaxError, condition_values
from gateway.access.matching import ArnPattern, Context, Predicate, ResourceMatcher, Template, always, any_of
from gateway.access.s3_actions import BUCKET_ACTIONS, OBJECT_ACTIONS, S3_ACTIONS

MAX_BUCKET_POLICY_BYTES = 20 * 1024
VERSIONS = ("2012-10-17", "2008-10-17")

_S3_ACTIONS_LOWER = {a.lower(): a for a in S3_ACTIONS}
_BUCKET_LOWER = frozenset(a.lower() for a in BUCKET_ACTIONS)
_OBJECT_LOWER = frozenset(a.lower() for a in OBJECT_ACTIONS)
_ACCOUNT = re.compile(r"\d{12}")
_ACCOUNT_ROOT = re.compile(r"arn:aws:iam::(\d{12}):root")
_IAM_PRINCIPAL = re.compile(
    r"arn:aws:(iam::\d{12}:(user|role|group)/|sts::\d{12}:(assumed-role|federated-user)/)[^*?]+")
_CANONICAL = re.compile(r"[0-9a-fA-F]{64}")
_STATEMENT_FIELDS = frozenset({"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                               "Resource", "NotResource", "Condition"})


class PolicyError(Exception):
    """A policy AWS would refuse; ``message`` is AWS's text for it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Effect(Enum):
    ALLOW = "Allow"
    DENY = "Deny"
    NONE = "None"  # no statement applies


class Messages:
    """The two dialects: S3's answers to PutBucketPolicy and IAM's to CreatePolicy/PutUserPolicy."""

    def __init__(self, kind: Literal["identity", "resource"]) -> None:
        s3 = kind == "resource"
        self.syntax = "Invalid policy syntax." if s3 else "Syntax errors in policy."
        self.first_byte = "Policies must be valid JSON and the first byte must be '{'" if s3 else self.syntax
        self.json = "This policy contains invalid Json" if s3 else self.syntax
        self.version = "The policy must contain a valid version string" if s3 else self.syntax
        self.no_action = "Missing required field Action" if s3 else "Policy statement must contain actions."
        self.no_resource = "Missing required field Resource" if s3 else "Policy statement must contain resources."


@dataclass(frozen=True, slots=True)
class Principals:
    """A Principal/NotPrincipal element: everyone, accounts (id, ``:root`` ARN or canonical id), ARNs, and
    AWS services (``logging.s3.amazonaws.com``: s3gate's own log delivery is the one that acts)."""

    everyone: bool = False
    accounts: frozenset[str] = frozenset()
    arns: frozenset[str] = frozenset()
    canonical: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()

    def match(self, identity: Any) -> int:
        """2: names this caller (``*`` or its ARN), 1: names its account, 0: neither."""
        if self.everyone:
            return 2
        if identity is None:
            return 0
        if identity.arn in self.arns and identity.user_name is not None:
            return 2
        if identity.account_id in self.accounts or identity.canonical_id in self.canonical:
            return 1
        return 0

    def excludes(self, identity: Any) -> bool:
        """NotPrincipal: whether the caller is among those excepted. AWS checks the account and then the
        user, so a user is excepted only if both its ARN and its account are named."""
        if self.everyone:
            return True
        if identity is None:
            return False
        account = identity.account_id in self.accounts or identity.canonical_id in self.canonical
        if identity.user_name is None:
            return account
        return account and identity.arn in self.arns


@dataclass(frozen=True, slots=True, eq=False)
class Statement:
    sid: str | None
    effect: Effect
    principals: Principals | None      # None: an identity policy's statement (the caller is its principal)
    not_principal: bool
    action_patterns: tuple[str, ...]
    not_action: bool
    resource_patterns: tuple[str, ...]
    not_resource: bool
    conditions: tuple[Condition, ...]
    _action: Predicate = field(repr=False)
    _resource: ResourceMatcher = field(repr=False)

    def matches_action(self, action: str) -> bool:
        return self._action(action) is not self.not_action

    def matches_resource(self, resource: str, context: Context) -> bool:
        return self._resource(resource, context) is not self.not_resource

    def principal_match(self, identity: Any) -> int:
        """As ``Principals.match``; 2 for identity statements, whose principal is the caller."""
        if self.principals is None:
            return 2
        if self.not_principal:
            return 0 if self.principals.excludes(identity) else 2
        return self.principals.match(identity)

    def conditions_hold(self, context: Context) -> bool:
        for condition in self.conditions:
            if not condition(context):
                return False
        return True


@dataclass(frozen=True, slots=True, eq=False)
class Policy:
    version: str | None
    id: str | None
    statements: tuple[Statement, ...]
    text: str
    _by_action: dict[str, tuple[Statement, ...]] = field(default_factory=dict, repr=False)

    def statements_for(self, action: str) -> tuple[Statement, ...]:
        """The statements whose Action/NotAction covers ``action``, remembered per action."""
        found = self._by_action.get(action)
        if found is None:
            found = tuple(s for s in self.statements if s.matches_action(action))
            if len(self._by_action) < 1024:
                self._by_action[action] = found
        return found


def _strings(raw: object, messages: Messages) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(i, str) for i in items):
        raise PolicyError(messages.syntax)
    return [str(i) for i in items]


def _principals(raw: object) -> Principals:
    invalid = PolicyError("Invalid principal in policy")
    if raw == "*":
        return Principals(everyone=True)
    if not isinstance(raw, dict) or not raw:
        raise invalid
    everyone, accounts, arns, canonical, services = False, set(), set(), set(), set()
    for kind, values in raw.items():
        items = values if isinstance(values, list) else [values]
        if not items or not all(isinstance(v, str) for v in items):
            raise invalid
        for value in items:
            if kind == "AWS":
                if value == "*":
                    everyone = True
                elif _ACCOUNT.fullmatch(value):
                    accounts.add(value)
                elif found := _ACCOUNT_ROOT.fullmatch(value):
                    accounts.add(found.group(1))
                elif _IAM_PRINCIPAL.fullmatch(value):
                    arns.add(value)
                else:
                    raise invalid
            elif kind == "CanonicalUser":
                if not _CANONICAL.fullmatch(value):
                    raise invalid
                canonical.add(value.lower())
            elif kind in ("Service", "Federated"):
                if not value or "*" in value:
                    raise invalid
                if kind == "Service":  # matched by service evaluation only (evaluate.authorize_service)
                    services.add(value.lower())
            else:
                raise invalid
    return Principals(everyone, frozenset(accounts), frozenset(arns), frozenset(canonical), frozenset(services))


def _check_s3(statement: dict[str, Any], actions: list[str], not_action: bool, resources: list[str],
              not_resource: bool, bucket: str) -> None:
    """S3's bucket-policy rules: S3 actions only, resources in this bucket, and an action that applies."""
    named: set[str] = set()
    for pattern in actions:
        service, colon, name = pattern.partition(":")
        if pattern == "*":
            named |= set(_S3_ACTIONS_LOWER)
            continue
        if not colon or service.lower() != "s3":
            raise PolicyError("Policy has invalid action")
        test = any_of([Template(name, variables=False)], ignore_case=True)
        hits = {a for a in _S3_ACTIONS_LOWER if test(a)}
        if not hits:
            raise PolicyError("Policy has invalid action")
        named |= hits
    if not_action:
        named = set(_S3_ACTIONS_LOWER) - named
    kinds: set[str] = set()
    for resource in resources:
        if not resource.startswith("arn:aws:s3:::"):
            raise PolicyError("Policy has invalid resource")
        part = resource[len("arn:aws:s3:::"):]
        head, slash, _rest = part.partition("/")
        bucket_test = any_of([Template(head, variables=False)], ignore_case=False)
        if not head or ("${" not in head and not bucket_test(bucket)):
            raise PolicyError("Policy has invalid resource")
        if slash:
            kinds.add("object")
        else:
            kinds.add("bucket")
            if "*" in head:
                kinds.add("object")  # a * runs over "/" too
    if not_resource:
        return
    applicable = ((_BUCKET_LOWER if "bucket" in kinds else frozenset())
                  | (_OBJECT_LOWER if "object" in kinds else frozenset()))
    if not named & applicable:
        raise PolicyError("Action does not apply to any resource(s) in statement")


def _statement(raw: object, kind: str, bucket: str | None, variables: bool, messages: Messages) -> Statement:
    if not isinstance(raw, dict):
        raise PolicyError(messages.syntax)
    for name in raw:
        if name not in _STATEMENT_FIELDS:
            raise PolicyError(f"Unknown field {name}" if kind == "resource" else messages.syntax)
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError(messages.syntax)
    if "Effect" not in raw:
        raise PolicyError("Missing required field Effect")
    if raw["Effect"] not in ("Allow", "Deny"):
        raise PolicyError(f"Invalid effect: {raw['Effect']}")
    effect = Effect.ALLOW if raw["Effect"] == "Allow" else Effect.DENY

    has_principal = "Principal" in raw or "NotPrincipal" in raw
    principals: Principals | None = None
    if kind == "identity":
        if has_principal:
            raise PolicyError("Policy document should not specify a principal.")
    else:
        if not has_principal:
            raise PolicyError("Missing required field Principal")
        if "Principal" in raw and "NotPrincipal" in raw:
            raise PolicyError(messages.syntax)
        principals = _principals(raw.get("Principal", raw.get("NotPrincipal")))

    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyError(messages.no_action if "Action" not in raw else messages.syntax)
    not_action = "NotAction" in raw
    actions = _strings(raw["NotAction" if not_action else "Action"], messages)
    if not actions:
        raise PolicyError(messages.no_action)
    if ("Resource" in raw) == ("NotResource" in raw):
        raise PolicyError(messages.no_resource if "Resource" not in raw else messages.syntax)
    not_resource = "NotResource" in raw
    resources = _strings(raw["NotResource" if not_resource else "Resource"], messages)
    if not resources:
        raise PolicyError(messages.no_resource)

    if kind == "identity":
        for action in actions:
            if action != "*" and (":" not in action or not action.partition(":")[0]):
                raise PolicyError("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
        for resource in resources:
            if resource != "*" and not resource.startswith("arn:"):
                raise PolicyError(f'Resource {resource} must be in ARN format or "*".')
    elif bucket is not None:
        _check_s3(raw, actions, not_action, resources, not_resource, bucket)

    conditions: list[Condition] = []
    block = raw.get("Condition", {})
    if not isinstance(block, dict):
        raise PolicyError(messages.syntax)
    for operator, entries in block.items():
        if not isinstance(entries, dict):
            raise PolicyError(messages.syntax)
        for key, value in entries.items():
            values = condition_values(value)
            if values is None or not key:
                raise PolicyError(messages.syntax)
            try:
                conditions.append(Condition(operator, key, values, variables=variables))
            except ConditionSyntaxError:
                raise PolicyError(f"Invalid Condition type : {operator}") from None

    patterns = [ArnPattern(r, variables=variables) for r in resources]
    # Actions: "service:name" patterns, without regard to case; a vendor-less one matches nothing.
    action_test: Callable[[str], bool] = any_of([Template(a, variables=False) for a in actions], ignore_case=True)
    if "*" in actions:
        action_test = always
    return Statement(sid, effect, principals, "NotPrincipal" in raw, tuple(actions), not_action, tuple(resources),
                     not_resource, tuple(conditions), action_test, ResourceMatcher(patterns))


def parse_policy(text: str | bytes, *, kind: Literal["identity", "resource"], bucket: str | None = None) -> Policy:
    """Parse and validate a policy document. ``kind="resource"`` with ``bucket`` applies S3's
    bucket-policy rules (size, S3 actions, resources inside the bucket) and its messages."""
    messages = Messages(kind)
    raw_bytes = text.encode() if isinstance(text, str) else text
    if kind == "resource" and bucket is not None and len(raw_bytes) > MAX_BUCKET_POLICY_BYTES:
        raise PolicyError("Policy exceeds the maximum allowed document size.")
    if not raw_bytes.lstrip().startswith(b"{"):
        raise PolicyError(messages.first_byte)
    try:
        decoded = raw_bytes.decode("utf-8")
        document = json.loads(decoded)
    except (UnicodeDecodeError, ValueError):
        raise PolicyError(messages.json) from None
    if not isinstance(document, dict):
        raise PolicyError(messages.first_byte)
    for name in document:
        if name not in ("Version", "Id", "Statement"):
            raise PolicyError(f"Unknown field {name}" if kind == "resource" else messages.syntax)
    version = document.get("Version")
    if version is not None and version not in VERSIONS:
        raise PolicyError(messages.version)
    policy_id = document.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise PolicyError(messages.syntax)
    if "Statement" not in document:
        raise PolicyError("Missing required field Statement")
    raw_statements = document["Statement"]
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        raise PolicyError(messages.syntax)
    if not raw_statements:
        raise PolicyError("Could not parse the policy: Statement is empty!")
    variables = version == "2012-10-17"  # 2008-10-17 (and no Version) has no policy variables
    statements = tuple(_statement(s, kind, bucket, variables, messages) for s in raw_statements)
    sids = [s.sid for s in statements if s.sid]
    if len(sids) != len(set(sids)):
        raise PolicyError("Statement IDs (SID) in a single policy must be unique.")
    return Policy(version, policy_id, statements, decoded)
