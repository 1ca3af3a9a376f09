"""The actions table: each IAM and STS action s3gate serves, and its handler.

A handler authorizes its caller itself (``call.authorize``), since the resource ARN depends on
the parameters; GetCallerIdentity needs no permission.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from gateway.iam import groups, policies, users
from gateway.iam.call import Call
from gateway.wire import xml

Handler = Callable[[Call], Awaitable[xml.Element | None]]

IAM_VERSION = "2010-05-08"
STS_VERSION = "2011-06-15"

IAM_ACTIONS: dict[str, Handler] = {
    "CreateUser": users.create_user,
    "GetUser": users.get_user,
    "ListUsers": users.list_users,
    "DeleteUser": users.delete_user,
    "CreateAccessKey": users.create_access_key,
    "ListAccessKeys": users.list_access_keys,
    "UpdateAccessKey": users.update_access_key,
    "DeleteAccessKey": users.delete_access_key,
    "PutUserPolicy": users.put_user_policy,
    "GetUserPolicy": users.get_user_policy,
    "ListUserPolicies": users.list_user_policies,
    "DeleteUserPolicy": users.delete_user_policy,
    "AttachUserPolicy": users.attach_user_policy,
    "DetachUserPolicy": users.detach_user_policy,
    "ListAttachedUserPolicies": users.list_attached_user_policies,
    "ListGroupsForUser": users.list_groups_for_user,
    "CreateGroup": groups.create_group,
    "GetGroup": groups.get_group,
    "ListGroups": groups.list_groups,
    "DeleteGroup": groups.delete_group,
    "AddUserToGroup": groups.add_user_to_group,
    "RemoveUserFromGroup": groups.remove_user_from_group,
    "PutGroupPolicy": groups.put_group_policy,
    "GetGroupPolicy": groups.get_group_policy,
    "ListGroupPolicies": groups.list_group_policies,
    "DeleteGroupPolicy": groups.delete_group_policy,
    "AttachGroupPolicy": groups.attach_group_policy,
    "DetachGroupPolicy": groups.detach_group_policy,
    "ListAttachedGroupPolicies": groups.list_attached_group_policies,
    "CreatePolicy": policies.create_policy,
    "GetPolicy": policies.get_policy,
    "GetPolicyVersion": policies.get_policy_version,
    "ListPolicies": policies.list_policies,
    "DeletePolicy": policies.delete_policy,
}

STS_ACTIONS: dict[str, Handler] = {
    "GetCallerIdentity": users.get_caller_identity,
}
