"""IAM users, their access keys, inline and attached policies; STS GetCallerIdentity."""

from __future__ import annotations

from gateway.iam.call import (
    Call,
    encoded,
    entity_element,
    iso,
    new_id,
    new_secret,
    now_ms,
    result,
    truncation,
)
from gateway.iam.errors import IamError
from gateway.wire import xml
from storage_backends.base import Attachment, IamAccessKey, IamUser, InlinePolicy

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
    users, marker = call.page([u for u in call.view.entities("user") if u.path.startswith(prefix)],
                              lambda u: u.name.lower())
    out = result()
    listed = xml.sub(out, "Users")
    for user in users:
        entity_element(listed, "member", user)
    truncation(out, marker)
    return out


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
async def put_user_policy(call: Call) -> Result:
    name, policy_name = call.name("UserName"), call.name("PolicyName", 128)
    document = call.document(max_length=2048)
    call.authorize(call.entity_arn("user", name))
    user = call.modifiable(call.user(name))
    await call.store.put_inline_policy(InlinePolicy(call.account_id, "user", user.name, policy_name, document))
    await call.changed()
    return None


async def get_user_policy(call: Call) -> Result:
    name, policy_name = call.name("UserName"), call.name("PolicyName", 128)
    call.authorize(call.entity_arn("user", name))
    user = call.user(name)
    policies = {k.lower(): (k, v) for k, v in call.view.inline_policies(user).items()}
    if policy_name.lower() not in policies:
        raise IamError("NoSuchEntity", f"The user policy with name {policy_name} cannot be found.")
    stored_name, document = policies[policy_name.lower()]
    out = result()
    xml.subs(out, [("UserName", user.name), ("PolicyName", stored_name), ("PolicyDocument", encoded(document))])
    return out


async def list_user_policies(call: Call) -> Result:
    name = call.name("UserName")
    call.authorize(call.entity_arn("user", name))
    names, marker = call.page(sorted(call.view.inline_policies(call.user(name)), key=str.lower), str.lower)
    out = result()
    listed = xml.sub(out, "PolicyNames")
    for policy_name in names:
        xml.sub(listed, "member", policy_name)
    truncation(out, marker)
    return out


async def delete_user_policy(call: Call) -> Result:
    name, policy_name = call.name("UserName"), call.name("PolicyName", 128)
    call.authorize(call.entity_arn("user", name))
    user = call.modifiable(call.user(name))
    await call.store.delete_inline_policy(call.account_id, "user", user.name, policy_name)
    await call.changed()
    return None


async def attach_user_policy(call: Call) -> Result:
    name = call.name("UserName")
    call.authorize(call.entity_arn("user", name))
    user = call.modifiable(call.user(name))
    await call.store.attach(Attachment(call.account_id, "user", user.name, call.policy().arn))
    await call.changed()
    return None


async def detach_user_policy(call: Call) -> Result:
    name = call.name("UserName")
    call.authorize(call.entity_arn("user", name))
    user = call.modifiable(call.user(name))
    await call.store.detach(Attachment(call.account_id, "user", user.name, call.policy().arn))
    await call.changed()
    return None


async def list_attached_user_policies(call: Call) -> Result:
    name = call.name("UserName")
    call.authorize(call.entity_arn("user", name))
    policies, marker = call.page(call.view.attached(call.user(name)), lambda p: p.name.lower())
    out = result()
    listed = xml.sub(out, "AttachedPolicies")
    for policy in policies:
        xml.subs(xml.sub(listed, "member"), [("PolicyName", policy.name), ("PolicyArn", policy.arn)])
    truncation(out, marker)
    return out


async def list_groups_for_user(call: Call) -> Result:
    name = call.name("UserName")
    call.authorize(call.entity_arn("user", name))
    groups, marker = call.page(call.view.groups_of(call.user(name)), lambda g: g.name.lower())
    out = result()
    listed = xml.sub(out, "Groups")
    for group in groups:
        entity_element(listed, "member", group)
    truncation(out, marker)
    return out


# -- STS --------------------------------------------------------------------------------------------
async def get_caller_identity(call: Call) -> Result:
    """No permission needed, as in AWS: the caller's account, user id and ARN."""
    out = result()
    xml.subs(out, [("UserId", call.identity.user_id), ("Account", call.account_id), ("Arn", call.identity.arn)])
    return out
