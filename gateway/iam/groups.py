"""IAM groups: membership, inline and attached policies (members get them all)."""

from __future__ import annotations

from gateway.iam import entity_policies as shared
from gateway.iam.call import Call, entity_element, new_id, now_ms, result
from gateway.iam.entity_policies import entity_page
from gateway.iam.errors import IamError, no_such_group
from gateway.iam.view import Entity
from gateway.wire import xml
from storage_backends.identity import IamGroup

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
    out = result()
    entity_element(out, "Group", group)
    return entity_page(call, out, "Users", call.view.members(group))


async def list_groups(call: Call) -> Result:
    call.authorize("*")
    prefix = call.path("PathPrefix")
    return entity_page(call, result(), "Groups", [g for g in call.view.entities("group") if g.path.startswith(prefix)])


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
    return await shared.put_inline(call, _named(call), policy_name, document)


async def get_group_policy(call: Call) -> Result:
    policy_name = call.name("PolicyName", 128)
    return shared.get_inline(call, _named(call), policy_name)


async def list_group_policies(call: Call) -> Result:
    return shared.list_inline(call, _named(call))


async def delete_group_policy(call: Call) -> Result:
    policy_name = call.name("PolicyName", 128)
    return await shared.delete_inline(call, _named(call), policy_name)


async def attach_group_policy(call: Call) -> Result:
    return await shared.attach(call, _named(call))


async def detach_group_policy(call: Call) -> Result:
    return await shared.attach(call, _named(call), detach=True)


async def list_attached_group_policies(call: Call) -> Result:
    return shared.list_attached(call, _named(call))