"""What an IAM action handler receives: its parameters, the caller, the account's view, the store.

Also the shared pieces of IAM's wire format: parameter validation (``ValidationError`` as AWS
words it), the caller's authorization (``iam:Action`` on the resource ARN), ids, pagination, and
the elements every response reuses (User, Group, Policy).
"""

from __future__ import annotations

import re
import secrets
import string
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar
from urllib.parse import quote

from lxml import etree

from gateway.access.evaluate import Request, identity_allows
from gateway.access.identity import Identity
from gateway.access.policy import PolicyError, parse_policy
from gateway.credentials import CredentialsDirectory
from gateway.iam.errors import IamError, no_such_user
from gateway.iam.view import AccountView, Entity
from gateway.wire import xml
from storage_backends.identity import IdentityStore, ManagedPolicy

T = TypeVar("T")
_NAME = re.compile(r"[\w+=,.@-]+")
_PATH = re.compile(r"/([\x21-\x7e]*/)?")
_ID_CHARS = string.ascii_uppercase + string.digits
_SECRET_CHARS = string.ascii_letters + string.digits + "+/"
MAX_ITEMS = 1000


def new_id(prefix: str, length: int = 17) -> str:
    """IAM-shaped ids: ``AIDA``/``AGPA``/``ANPA`` + 17, access keys ``AKIA`` + 16, uppercase alphanumerics."""
    return prefix + "".join(secrets.choice(_ID_CHARS) for _ in range(length))


def new_secret() -> str:
    return "".join(secrets.choice(_SECRET_CHARS) for _ in range(40))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def encoded(document: str) -> str:
    """Policy documents go out URL-encoded, as IAM returns them."""
    return quote(document, safe="")


class Call:
    def __init__(self, action: str, params: Mapping[str, str], identity: Identity, directory: CredentialsDirectory,
                 store: IdentityStore) -> None:
        self.action = action
        self.params = params
        self.identity = identity
        self.directory = directory
        self.store = store
        self.account_id = identity.account_id
        self.view = AccountView(directory, identity.account_id)

    async def changed(self) -> None:
        """After a write: this worker sees it at once (the others within a second)."""
        await self.directory.refresh(force=True)
        self.view = AccountView(self.directory, self.account_id)

    # -- parameters ---------------------------------------------------------------------------------
    def param(self, name: str) -> str:
        value = self.params.get(name)
        if value is None or value == "":
            member = name[0].lower() + name[1:]
            raise IamError("ValidationError", f"1 validation error detected: Value null at '{member}' failed to "
                           "satisfy constraint: Member must not be null")
        return value

    def optional(self, name: str) -> str | None:
        return self.params.get(name) or None

    def name(self, param: str, max_length: int = 64) -> str:
        value = self.param(param)
        if len(value) > max_length or not _NAME.fullmatch(value):
            member = param[0].lower() + param[1:]
            raise IamError("ValidationError", f"1 validation error detected: Value '{value}' at '{member}' failed "
                           f"to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ "
                           f"and have length less than or equal to {max_length}")
        return value

    def path(self, param: str = "Path") -> str:
        value = self.params.get(param) or "/"
        if len(value) > 512 or not _PATH.fullmatch(value):
            raise IamError("ValidationError", f"The specified value for path is invalid. It must begin and end with "
                           f"/ and contain only alphanumeric characters and/or / characters. ({value!r})")
        return value

    def document(self, param: str = "PolicyDocument", max_length: int = 6144) -> str:
        text = self.param(param)
        if len(text) > max_length:
            raise IamError("LimitExceeded", f"Cannot exceed quota for PolicySize: {max_length}")
        try:
            parse_policy(text, kind="identity")
        except PolicyError as exc:
            raise IamError("MalformedPolicyDocument", str(exc)) from None
        return text

    # -- authorization --------------------------------------------------------------------------------
    def authorize(self, resource: str, action: str | None = None) -> None:
        """The caller may do ``iam:<Action>`` on ``resource`` in its own account (the root always may)."""
        wanted = action or f"iam:{self.action}"
        if not identity_allows(Request(action=wanted, resource=resource, identity=self.identity)):
            raise IamError("AccessDenied", f"User: {self.identity.arn} is not authorized to perform: {wanted} on "
                           f"resource: {resource} because no identity-based policy allows the {wanted} action")

    def arn(self, kind: str, name: str, path: str = "/") -> str:
        return f"arn:aws:iam::{self.account_id}:{kind}{path}{name}"

    def entity_arn(self, kind: str, name: str) -> str:
        """The ARN of the named user/group (with its path if it exists), for authorization."""
        found = self.view.entity(kind, name)
        return found.arn if found is not None else self.arn(kind, name)

    def target_user(self) -> str | None:
        """``UserName``, else the caller's own name (None: the caller is its account's root)."""
        return self.optional("UserName") or self.identity.user_name

    def user(self, name: str) -> Entity:
        found = self.view.entity("user", name)
        if found is None:
            raise no_such_user(name)
        return found

    def modifiable(self, entity: Entity) -> Entity:
        if entity.static:
            raise IamError("UnmodifiableEntity", f"The {entity.kind} {entity.name} is defined in the users file; "
                           "change it there.")
        return entity

    def policy(self, param: str = "PolicyArn") -> ManagedPolicy:
        arn = self.param(param)
        found = self.view.policy(arn)
        if found is None:
            raise IamError("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.")
        return found

    # -- pagination -----------------------------------------------------------------------------------
    def page(self, items: Sequence[T], key: Callable[[T], str]) -> tuple[list[T], str | None]:
        """A page after ``Marker`` of at most ``MaxItems`` (default 100), and the next marker if truncated."""
        raw = self.params.get("MaxItems", "100")
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_ITEMS:
            raise IamError("ValidationError", f"1 validation error detected: Value '{raw}' at 'maxItems' failed to "
                           "satisfy constraint: Member must have value between 1 and 1000")
        marker = self.params.get("Marker")
        rest = [i for i in items if marker is None or key(i) > marker]
        chosen = rest[: int(raw)]
        return chosen, key(chosen[-1]) if len(rest) > len(chosen) else None


# -- response elements --------------------------------------------------------------------------------
def result() -> xml.Element:
    """The ``<ActionResult>`` element (the door names it)."""
    return etree.Element("Result")


def truncation(parent: xml.Element, marker: str | None) -> None:
    xml.sub(parent, "IsTruncated", marker is not None)
    if marker is not None:
        xml.sub(parent, "Marker", marker)


def entity_element(parent: xml.Element, tag: str, entity: Entity) -> xml.Element:
    el = xml.sub(parent, tag)
    kind = "User" if entity.kind == "user" else "Group"
    xml.subs(el, [("Path", entity.path), (f"{kind}Name", entity.name), (f"{kind}Id", entity.entity_id),
                  ("Arn", entity.arn), ("CreateDate", iso(entity.created_ms))])
    return el


def policy_element(parent: xml.Element, tag: str, policy: ManagedPolicy, attachments: int) -> xml.Element:
    el = xml.sub(parent, tag)
    xml.subs(el, [("PolicyName", policy.name), ("PolicyId", policy.policy_id), ("Arn", policy.arn),
                  ("Path", policy.path), ("DefaultVersionId", policy.default_version),
                  ("AttachmentCount", attachments), ("PermissionsBoundaryUsageCount", 0), ("IsAttachable", True),
                  ("Description", policy.description or None), ("CreateDate", iso(policy.created_ms)),
                  ("UpdateDate", iso(policy.updated_ms))])
    return el
