"""IAM groups: membership, inline and attached policies (members get them all)."""

from __future__ import annotations

from gateway.iam.call import Call, encoded, entity_element, new_id, now_ms, result, truncation
from gateway.iam.errors import IamError, no_such_group
from gateway.iam.view import Entity
from gateway.wire import xml
from storage_backends.base import Attachment, IamGroup, InlinePolicy

Result = xml.Element | None


def _group(call: Call, name: str) -> Entity:
    found = call.view.entity("group", name)
    if found is None:
        raise no_such_group(name)
    return found


def _named(call: Call) -> Entity:
    """The group ``GroupName`` names, once the caller may act on it."""
    name = call.name("GroupName", 128)
    call.authorize(call.entity_arn("group", name))
    return _group(call, name)


async def create_group(call: Call) -> Result:
    name, path = call.name("GroupName", 128), call.path()
    call.authorize(call.arn("group", name, path))
    if call.view.entity("group", name) is not None:
        raise IamError("EntityAlreadyExists", f"Group with name {name} already exists.")
    await call.store.create_group(IamGroup(call.account_id, name, new_id("AGPA"), path, now_ms()))
    await call.changed()
    out = result()
    entity_element(out, "Group", _group(call, name))
    return out


async def get_group(call: Call) -> Result:
    group = _named(call)
    users, marker = call.page(call.view.members(group), lambda u: u.name.lower())
    out = result()
    entity_element(out, "Group", group)
    listed = xml.sub(out, "Users")
    for user in users:
        entity_element(listed, "member", user)
    truncation(out, marker)
    return out


async def list_groups(call: Call) -> Result:
    call.authorize("*")
    prefix = call.path("PathPrefix")
    groups, marker = call.page([g for g in call.view.entities("group") if g.path.startswith(prefix)],
                               lambda g: g.name.lower())
    out = result()
    listed = xml.sub(out, "Groups")
    for group in groups:
        entity_element(listed, "member", group)
    truncation(out, marker)
    return out


async def delete_group(call: Call) -> Result:
    group = call.modifiable(_named(call))
    await call.store.delete_group(call.account_id, group.name)
    await call.changed()
    return None


async def add_user_to_group(call: Call) -> Result:
    group = call.modifiable(_named(call))
    user = call.modifiable(call.user(call.name("UserName")))
    await call.store.add_member(call.account_id, group.name, user.name)
    await call.changed()
    return None


async def remove_user_from_group(call: Call) -> Result:
    group = call.modifiable(_named(call))
    user = call.modifiable(call.user(call.name("UserName")))
    await call.store.remove_member(call.account_id, group.name, user.name)
    await call.changed()
    return None


async def put_group_policy(call: Call) -> Result:
    policy_name = call.name("PolicyName", 128)
    document = call.document(max_length=5120)
    group = call.modifiable(_named(call))
    await call.store.put_inline_policy(InlinePolicy(call.account_id, "group", group.name, policy_name, document))
    await call.changed()
    return None


async def get_group_policy(call: Call) -> Result:
    policy_name = call.name("PolicyName", 128)
    group = _named(call)
    policies = {k.lower(): (k, v) for k, v in call.view.inline_policies(group).items()}
    if policy_name.lower() not in policies:
        raise IamError("NoSuchEntity", f"The group policy with name {policy_name} cannot be found.")
    stored_name, document = policies[policy_name.lower()]
    out = result()
    xml.subs(out, [("GroupName", group.name), ("PolicyName", stored_name), ("PolicyDocument", encoded(document))])
    return out


async def list_group_policies(call: Call) -> Result:
    group = _named(call)
    names, marker = call.page(sorted(call.view.inline_policies(group), key=str.lower), str.lower)
    out = result()
    listed = xml.sub(out, "PolicyNames")
    for policy_name in names:
        xml.sub(listed, "member", policy_name)
    truncation(out, marker)
    return out


async def delete_group_policy(call: Call) -> Result:
    policy_name = call.name("PolicyName", 128)
    group = call.modifiable(_named(call))
    await call.store.delete_inline_policy(call.account_id, "group", group.name, policy_name)
    await call.changed()
    return None


async def attach_group_policy(call: Call) -> Result:
    group = call.modifiable(_named(call))
    await call.store.attach(Attachment(call.account_id, "group", group.name, call.policy().arn))
    await call.changed()
    return None


async def detach_group_policy(call: Call) -> Result:
    group = call.modifiable(_named(call))
    await call.store.detach(Attachment(call.account_id, "group", group.name, call.policy().arn))
    await call.changed()
    return None


async def list_attached_group_policies(call: Call) -> Result:
    group = _named(call)
    policies, marker = call.page(call.view.attached(group), lambda p: p.name.lower())
    out = result()
    listed = xml.sub(out, "AttachedPolicies")
    for policy in policies:
        xml.subs(xml.sub(listed, "member"), [("PolicyName", policy.name), ("PolicyArn", policy.arn)])
    truncation(out, marker)
    return out
