"""Customer managed policies: create (version v1, the default), read, list, delete."""

from __future__ import annotations

from gateway.iam.call import Call, encoded, iso, new_id, now_ms, policy_element, result, truncation
from gateway.iam.errors import IamError
from gateway.wire import xml
from storage_backends.identity import ManagedPolicy, PolicyVersion

Result = xml.Element | None
SCOPES = ("All", "Local", "AWS")


async def create_policy(call: Call) -> Result:
    name, path = call.name("PolicyName", 128), call.path()
    document = call.document()
    description = call.params.get("Description", "")
    if len(description) > 1000:
        raise IamError("ValidationError", "Description must be at most 1000 characters long.")
    call.authorize(call.arn("policy", name, path))
    now = now_ms()
    policy = ManagedPolicy(call.account_id, name, new_id("ANPA"), path, description, "v1",
                           (PolicyVersion("v1", document, now),), now, now)
    await call.store.create_policy(policy)
    await call.changed()
    out = result()
    policy_element(out, "Policy", policy, 0)
    return out


def _arn_in_account(call: Call) -> str:
    arn = call.param("PolicyArn")
    if not arn.startswith("arn:aws:iam::") or ":policy/" not in arn:
        raise IamError("InvalidInput", f"ARN {arn} is not valid.")
    return arn


async def get_policy(call: Call) -> Result:
    call.authorize(_arn_in_account(call))
    policy = call.policy()
    out = result()
    policy_element(out, "Policy", policy, call.view.attachment_count(policy.arn))
    return out


async def get_policy_version(call: Call) -> Result:
    call.authorize(_arn_in_account(call))
    policy = call.policy()
    version_id = call.param("VersionId")
    version = next((v for v in policy.versions if v.version_id == version_id), None)
    if version is None:
        raise IamError("NoSuchEntity", f"Policy {policy.arn} version {version_id} does not exist or is not "
                       "attachable.")
    out = result()
    xml.subs(xml.sub(out, "PolicyVersion"), [("Document", encoded(version.document)), ("VersionId", version_id),
                                            ("IsDefaultVersion", version_id == policy.default_version),
                                            ("CreateDate", iso(version.created_ms))])
    return out


async def list_policies(call: Call) -> Result:
    call.authorize("*")
    scope = call.params.get("Scope", "All")
    if scope not in SCOPES:
        raise IamError("ValidationError", f"1 validation error detected: Value '{scope}' at 'scope' failed to "
                       "satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]")
    prefix = call.path("PathPrefix")
    attached_only = call.params.get("OnlyAttached", "false").lower() == "true"
    chosen = [p for p in call.view.policies() if scope != "AWS" and p.path.startswith(prefix)
              and (not attached_only or call.view.attachment_count(p.arn))]
    policies, marker = call.page(sorted(chosen, key=lambda p: p.name.lower()), lambda p: p.name.lower())
    out = result()
    listed = xml.sub(out, "Policies")
    for policy in policies:
        policy_element(listed, "member", policy, call.view.attachment_count(policy.arn))
    truncation(out, marker)
    return out


async def delete_policy(call: Call) -> Result:
    call.authorize(_arn_in_account(call))
    policy = call.policy()
    await call.store.delete_policy(call.account_id, policy.arn)
    await call.changed()
    return None
