"""IAM users, their access keys, inline and attached policies; STS GetCallerIdentity."""

from __future__ import annotations

from gateway.iam import entity_policies as shared
from gateway.iam.call import (
    Call,
    entity_element,
    iso,
    new_id,
    new_secret,
    now_ms,
    result,
    truncation,
)
from gateway.iam.entity_policies import entity_page
from gateway.iam.errors import IamError
from gateway.iam.view import Entity
from gateway.wire import xml
from storage_backends.identity import IamAccessKey, IamUser

Result = xml.Element | None
STATUSES = ("Active", "Inactive")


async def create_user(call: Call) -> Result:
    name, path = call.name("UserName"), call.path()
    call.authorize(call.arn("user", name, path))
    if call.view.entity("user", name) is not None:
        raise IamError("EntityAlreadyExists", f"User with name {name} already exists.")
    await call.store.create_user(IamUser(call.account_id, name, new_id("AIDA"), path, now_ms()))
    await call.changed()
    out = result()
    entity_element(out, "User", call.user(name))
    return out


async def get_user(call: Call) -> Result:
    name = call.target_user()
    out = result()
    if name is None:  # the root user, as IAM describes it
        call.authorize(call.identity.arn)
        xml.subs(xml.sub(out, "User"), [("UserId", call.account_id), ("Arn", call.identity.arn),
                                       ("CreateDate", iso(0))])
        return out
    call.authorize(call.entity_arn("user", name))
    entity_element(out, "User", call.user(name))
    return out


async def list_users(call: Call) -> Result:
    call.authorize("*")
    prefix = call.path("PathPrefix")
    return entity_page(call, result(), "Users", [u for u in call.view.entities("user") if u.path.startswith(prefix)])


async def delete_user(call: Call) -> Result:
    name = call.name("UserName")
    call.authorize(call.entity_arn("user", name))
    user = call.modifiable(call.user(name))
    await call.store.delete_user(call.account_id, user.name)
    await call.changed()
    return None


# -- access keys --------------------------------------------------------------------------------------
def _key_owner(call: Call) -> str:
    name = call.target_user()
    if name is None:
        raise IamError("UnmodifiableEntity", "The root user's access keys come from s3gate's configuration "
                       "(S3GATE_ACCESS_KEY / the users file), not from the API.")
    call.authorize(call.entity_arn("user", name))
    return call.modifiable(call.user(name)).name


async def create_access_key(call: Call) -> Result:
    name = _key_owner(call)
    key = IamAccessKey(new_id("AKIA", 16), new_secret(), call.account_id, name, "Active", now_ms())
    await call.store.create_access_key(key, limit=2)
    await call.changed()
    out = result()
    xml.subs(xml.sub(out, "AccessKey"), [("UserName", name), ("AccessKeyId", key.access_key),
                                        ("Status", key.status), ("SecretAccessKey", key.secret_key),
                                        ("CreateDate", iso(key.created_ms))])
    return out


async def list_access_keys(call: Call) -> Result:
    name = call.target_user()
    out = result()
    listed = xml.sub(out, "AccessKeyMetadata")
    if name is None:  # the root's own key
        call.authorize(call.identity.arn)
        account = call.view.account
        if account.root_access_key:
            xml.subs(xml.sub(listed, "member"), [("AccessKeyId", account.root_access_key), ("Status", "Active"),
                                                ("CreateDate", iso(0))])
        truncation(out, None)
        return out
    call.authorize(call.entity_arn("user", name))
    user = call.user(name)
    keys, marker = call.page(call.view.access_keys(user), lambda k: k.access_key)
    for key in keys:
        xml.subs(xml.sub(listed, "member"), [("UserName", user.name), ("AccessKeyId", key.access_key),
                                            ("Status", key.status), ("CreateDate", iso(key.created_ms))])
    truncation(out, marker)
    return out


async def update_access_key(call: Call) -> Result:
    key_id, status = call.param("AccessKeyId"), call.param("Status")
    if status not in STATUSES:
        raise IamError("ValidationError", f"1 validation error detected: Value '{status}' at 'status' failed to "
                       "satisfy constraint: Member must satisfy enum value set: [Active, Inactive]")
    name = _key_owner(call)
    await call.store.update_access_key(call.account_id, name, key_id, status)
    await call.changed()
    return None


async def delete_access_key(call: Call) -> Result:
    key_id = call.param("AccessKeyId")
    name = _key_owner(call)
    await call.store.delete_access_key(call.account_id, name, key_id)
    await call.changed()
    return None


# -- inline and attached policies ------------------------------------------------------------------------
def _authorized_user(call: Call, name: str) -> Entity:
    """The user ``name``, once the caller may act on it."""
    call.authorize(call.entity_arn("user", name))
    return call.user(name)


async def put_user_policy(call: Call) -> Result:
    name, policy_name = call.name("UserName"), call.name("PolicyName", 128)
    document = call.document(max_length=2048)
    return await shared.put_inline(call, _authorized_user(call, name), policy_name, document)


async def get_user_policy(call: Call) -> Result:
    name, policy_name = call.name("UserName"), call.name("PolicyName", 128)
    return shared.get_inline(call, _authorized_user(call, name), policy_name)


async def list_user_policies(call: Call) -> Result:
    return shared.list_inline(call, _authorized_user(call, call.name("UserName")))


async def delete_user_policy(call: Call) -> Result:
    name, policy_name = call.name("UserName"), call.name("PolicyName", 128)
    return await shared.delete_inline(call, _authorized_user(call, name), policy_name)


async def attach_user_policy(call: Call) -> Result:
    return await shared.attach(call, _authorized_user(call, call.name("UserName")))


async def detach_user_policy(call: Call) -> Result:
    return await shared.attach(call, _authorized_user(call, call.name("UserName")), detach=True)


async def list_attached_user_policies(call: Call) -> Result:
    return shared.list_attached(call, _authorized_user(call, call.name("UserName")))


async def list_groups_for_user(call: Call) -> Result:
    user = _authorized_user(call, call.name("UserName"))
    return entity_page(call, result(), "Groups", call.view.groups_of(user))


# -- STS --------------------------------------------------------------------------------------------
async def get_caller_identity(call: Call) -> Result:
    """No permission needed, as in AWS: the caller's account, user id and ARN."""
    out = result()
    xml.subs(out, [("UserId", call.identity.user_id), ("Account", call.account_id), ("Arn", call.identity.arn)])
    return out
