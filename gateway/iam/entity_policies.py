"""What users and groups share in IAM: inline policies, attached managed policies, listed entities.

Each verb works on an entity the handler has already named and authorized (``users``/``groups``
keep their own parameter order and errors), so the two families differ only in how they find it.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.iam.call import Call, encoded, entity_element, result, truncation
from gateway.iam.errors import IamError
from gateway.iam.view import Entity
from gateway.wire import xml
from storage_backends.identity import Attachment, InlinePolicy

Result = xml.Element | None


def entity_page(call: Call, out: xml.Element, container: str, entities: Sequence[Entity]) -> xml.Element:
    """A page of users or groups (by name) under ``container``, with IAM's truncation fields."""
    page, marker = call.page(entities, lambda e: e.name.lower())
    listed = xml.sub(out, container)
    for entity in page:
        entity_element(listed, "member", entity)
    truncation(out, marker)
    return out


async def put_inline(call: Call, entity: Entity, policy_name: str, document: str) -> Result:
    entity = call.modifiable(entity)
    await call.store.put_inline_policy(InlinePolicy(call.account_id, entity.kind, entity.name, policy_name, document))
    await call.changed()
    return None


def get_inline(call: Call, entity: Entity, policy_name: str) -> Result:
    policies = {k.lower(): (k, v) for k, v in call.view.inline_policies(entity).items()}
    if policy_name.lower() not in policies:
        raise IamError("NoSuchEntity", f"The {entity.kind} policy with name {policy_name} cannot be found.")
    stored_name, document = policies[policy_name.lower()]
    out = result()
    xml.subs(out, [(f"{entity.kind.title()}Name", entity.name), ("PolicyName", stored_name),
                   ("PolicyDocument", encoded(document))])
    return out


def list_inline(call: Call, entity: Entity) -> Result:
    names, marker = call.page(sorted(call.view.inline_policies(entity), key=str.lower), str.lower)
    out = result()
    listed = xml.sub(out, "PolicyNames")
    for policy_name in names:
        xml.sub(listed, "member", policy_name)
    truncation(out, marker)
    return out


async def delete_inline(call: Call, entity: Entity, policy_name: str) -> Result:
    entity = call.modifiable(entity)
    await call.store.delete_inline_policy(call.account_id, entity.kind, entity.name, policy_name)
    await call.changed()
    return None


async def attach(call: Call, entity: Entity, *, detach: bool = False) -> Result:
    entity = call.modifiable(entity)
    attachment = Attachment(call.account_id, entity.kind, entity.name, call.policy().arn)
    await (call.store.detach(attachment) if detach else call.store.attach(attachment))
    await call.changed()
    return None


def list_attached(call: Call, entity: Entity) -> Result:
    policies, marker = call.page(call.view.attached(entity), lambda p: p.name.lower())
    out = result()
    listed = xml.sub(out, "AttachedPolicies")
    for policy in policies:
        xml.subs(xml.sub(listed, "member"), [("PolicyName", policy.name), ("PolicyArn", policy.arn)])
    truncation(out, marker)
    return out
