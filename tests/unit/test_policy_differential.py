"""Differential test: gateway.access against @cloud-copilot/iam-simulate, a careful simulator of AWS's
policy evaluation, on thousands of seeded random policy/request pairs (one Node process for all).

Installed with npm into tests/unit/.node (not committed); a missing node/npm or a failed install fails
the test. Deliberately outside the generated space, each where the simulator departs from AWS's docs
(the unit tests pin AWS's behaviour there):

- NotPrincipal naming an account: AWS checks the account and then the user, so a user is excepted
  only when both its ARN and its account are named ("When you use NotPrincipal, you must also specify
  the account ARN of the not-denied principal"); the simulator excepts every user of a named account.
  Cases where a NotPrincipal names the caller's account but not the caller are left out.
- ``...IfExists`` under ``ForAnyValue:`` on an absent key: AWS documents IfExists as "true when the
  key is absent"; the simulator answers false. Not generated.
- Dates mixing epoch and ISO 8601 in one comparison: the simulator compares epoch seconds with ISO
  milliseconds. Each key is compared with values in its own form.
- ``0.0.0.0/0``: the simulator's IPv4 mask shifts by 32, which JavaScript takes as 0, so it matches
  only 0.0.0.0; ``0.0.0.0/1`` and ``::/0`` are generated instead.
- Account roots: the simulator has no implicit root allow; roots are in the unit tests only.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gateway.access.evaluate import Request, authorize_s3
from gateway.access.identity import Identity
from gateway.access.policy import PolicyError, parse_policy

SIMULATOR = "@cloud-copilot/iam-simulate@0.1.173"
HERE = Path(__file__).resolve().parent
PREFIX = HERE / ".node"
SCRIPT = HERE / "iam_simulate.js"
CASES = 5000
SEED = 20240917

A, B = "111111111111", "222222222222"
CANONICAL = {A: "a" * 64, B: "b" * 64}
BUCKET = "bkt"
USERS = {  # name -> (account, user id)
    "alice": (A, "AIDAALICE0000000000A"),
    "bob": (A, "AIDABOB00000000000B0"),
    "carol": (B, "AIDACAROL0000000000C"),
}
KEYS = ["home/alice/notes.txt", "home/bob/y", "home/carol/z", "public/a.jpg", "Public/A.JPG", "logs/2024/01/z"]
OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectTagging"]
BUCKET_ACTIONS = ["s3:ListBucket", "s3:GetBucketTagging"]
ACTION_PATTERNS = ["s3:GetObject", "s3:getobject", "s3:PUTOBJECT", "s3:DeleteObject", "s3:ListBucket",
                   "s3:GetBucketTagging", "s3:Get*", "s3:*Object", "s3:?etObject", "s3:*", "*", "s3:List*",
                   "s3:Get*Tagging", "s3:Put*"]
RESOURCE_PATTERNS = ["arn:aws:s3:::bkt", "arn:aws:s3:::bkt/*", "arn:aws:s3:::bkt/home/*",
                     "arn:aws:s3:::bkt/home/${aws:username}/*", "arn:aws:s3:::bkt/home/${aws:username, 'bob'}/*",
                     "arn:aws:s3:::bkt/public/?.jpg", "arn:aws:s3:::bkt/Public/*", "arn:aws:s3:::b*",
                     "arn:aws:s3:::*", "arn:aws:s3:::bkt/*/2024/*", "arn:aws:s3:::bkt/home/alice/notes.txt"]
IPS = ["192.0.2.10", "192.0.2.200", "198.51.100.7", "2001:db8::1", "2001:db8:ffff::5", "fe80::1"]
CIDRS = ["192.0.2.0/24", "192.0.2.0/25", "198.51.100.0/24", "0.0.0.0/1", "2001:db8::/32", "2001:db8::/48",
         "192.0.2.10/32", "::/1", "::/0"]


def _arn(user: str) -> str:
    return f"arn:aws:iam::{USERS[user][0]}:user/{user}"


@pytest.fixture(scope="session")
def simulator() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "node and npm are required for the differential test (they are preinstalled here)"
    installed = PREFIX / "node_modules" / "@cloud-copilot" / "iam-simulate" / "package.json"
    version = SIMULATOR.rpartition("@")[2]
    if not installed.exists() or json.loads(installed.read_text())["version"] != version:
        PREFIX.mkdir(exist_ok=True)
        done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(PREFIX), SIMULATOR],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"npm install {SIMULATOR} failed:\n{done.stdout}\n{done.stderr}"
    return PREFIX


# --- the generator ---------------------------------------------------------------------------------

def _values(rng: random.Random, pool: list[str]) -> str | list[str]:
    chosen = rng.sample(pool, rng.randint(1, min(3, len(pool))))
    return chosen[0] if len(chosen) == 1 and rng.random() < 0.5 else chosen


def _condition(rng: random.Random) -> tuple[str, str, str | list[str]]:
    family = rng.choice(["string", "like", "ip", "date", "epoch", "numeric", "bool", "arn", "null", "set", "var"])
    suffix = "IfExists" if rng.random() < 0.2 else ""
    if family == "string":
        op = rng.choice(["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"])
        return op + suffix, rng.choice(["aws:UserAgent", "aws:Referer"]), _values(
            rng, ["curl/8.0", "CURL/8.0", "aws-cli/2", "https://example.com/", "Boto3"])
    if family == "like":
        op = rng.choice(["StringLike", "StringNotLike"])
        return op + suffix, rng.choice(["aws:UserAgent", "aws:Referer"]), _values(
            rng, ["curl/*", "aws-cli/?", "https://example.com/*", "*", "Bo*3", "*.com/"])
    if family == "ip":
        return rng.choice(["IpAddress", "NotIpAddress"]) + suffix, "aws:SourceIp", _values(rng, CIDRS)
    if family == "date":
        op = rng.choice(["DateLessThan", "DateGreaterThan", "DateEquals", "DateNotEquals", "DateLessThanEquals",
                         "DateGreaterThanEquals"])
        return op + suffix, "aws:CurrentTime", _values(
            rng, ["2024-01-01T00:00:00Z", "2024-06-01T12:00:00Z", "2025-01-01T00:00:00Z", "2023-12-31T23:59:59Z"])
    if family == "epoch":
        op = rng.choice(["DateLessThan", "DateGreaterThanEquals", "DateEquals", "DateNotEquals"])
        return op + suffix, "aws:EpochTime", _values(rng, ["1700000000", "1710000000", "1720000000"])
    if family == "numeric":
        op = rng.choice(["NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
                         "NumericEquals", "NumericNotEquals"])
        return op + suffix, "aws:MultiFactorAuthAge", _values(rng, ["100", "3600", "86400", "3600.5"])
    if family == "bool":
        return "Bool" + suffix, rng.choice(["aws:SecureTransport", "aws:MultiFactorAuthPresent"]), rng.choice(
            ["true", "false"])
    if family == "arn":
        op = rng.choice(["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"])
        return op + suffix, "aws:PrincipalArn", _values(
            rng, [_arn("alice"), _arn("carol"), "arn:aws:iam::111111111111:user/*", "arn:aws:iam::*:user/?o?",
                  "arn:aws:iam::2222*:*"])
    if family == "null":
        return "Null", rng.choice(["aws:Referer", "aws:SourceIp", "aws:username", "aws:TagKeys"]), rng.choice(
            ["true", "false"])
    if family == "set":
        op = rng.choice(["ForAnyValue:StringEquals", "ForAllValues:StringEquals", "ForAnyValue:StringLike",
                         "ForAllValues:StringLike", "ForAnyValue:StringNotEquals", "ForAllValues:StringNotLike"])
        return op, "aws:TagKeys", _values(rng, ["env", "team", "cost*", "Env", "project"])
    op = rng.choice(["StringEquals", "StringLike", "StringNotEquals"])
    return op + suffix, rng.choice(["aws:Referer", "aws:UserAgent"]), _values(
        rng, ["${aws:username}", "https://${aws:username}.example.com/*", "${aws:Referer, 'none'}x", "${*}"])


def _statement(rng: random.Random, *, resource_policy: bool) -> dict[str, Any]:
    effect = "Deny" if rng.random() < 0.3 else "Allow"
    statement: dict[str, Any] = {"Effect": effect}
    actions = rng.sample(ACTION_PATTERNS, rng.randint(1, 3))
    statement["NotAction" if rng.random() < 0.1 else "Action"] = actions[0] if len(actions) == 1 else actions
    pool = RESOURCE_PATTERNS + ([] if resource_policy else ["*"])
    resources = rng.sample(pool, rng.randint(1, 3))
    statement["NotResource" if rng.random() < 0.1 else "Resource"] = resources if len(resources) > 1 else resources[0]
    if resource_policy:
        if effect == "Deny" and rng.random() < 0.25:
            named = rng.sample(list(USERS), rng.randint(1, 2))
            listed = [_arn(u) for u in named] + [f"arn:aws:iam::{USERS[u][0]}:root" for u in named]
            statement["NotPrincipal"] = {"AWS": sorted(set(listed))}
        else:
            statement["Principal"] = rng.choice([
                "*", {"AWS": "*"}, {"AWS": A}, {"AWS": f"arn:aws:iam::{B}:root"}, {"AWS": _arn("alice")},
                {"AWS": [_arn("carol"), _arn("bob")]}, {"AWS": [B, _arn("alice")]}])
    conditions: dict[str, dict[str, Any]] = {}
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        op, key, values = _condition(rng)
        conditions.setdefault(op, {})[key] = values
    if conditions:
        statement["Condition"] = conditions
    return statement


def _policy(rng: random.Random, *, resource_policy: bool) -> dict[str, Any]:
    count = rng.randint(1, 4 if resource_policy else 3)
    return {"Version": "2012-10-17", "Statement": [_statement(rng, resource_policy=resource_policy)
                                                   for _ in range(count)]}


def _context(rng: random.Random) -> dict[str, str | list[str]]:
    pool: dict[str, Any] = {
        "aws:SourceIp": lambda: rng.choice(IPS),
        "aws:SecureTransport": lambda: rng.choice(["true", "false"]),
        "aws:MultiFactorAuthPresent": lambda: rng.choice(["true", "false"]),
        "aws:CurrentTime": lambda: rng.choice(["2024-01-01T00:00:00Z", "2024-03-15T08:30:00Z", "2025-06-01T00:00:00Z"]),
        "aws:EpochTime": lambda: rng.choice(["1700000000", "1705000000", "1720000000"]),
        "aws:MultiFactorAuthAge": lambda: rng.choice(["50", "100", "3600", "100000"]),
        "aws:UserAgent": lambda: rng.choice(["curl/8.0", "aws-cli/2", "Boto3", "alice", "https://alice.example.com/x"]),
        "aws:Referer": lambda: rng.choice(["https://example.com/", "https://alice.example.com/page", "bob", "nonex"]),
        "aws:TagKeys": lambda: rng.sample(["env", "team", "costcenter", "Env", "project"], rng.randint(0, 3)),
    }
    return {key: make() for key, make in pool.items() if rng.random() < 0.6}


def _derived(user: str | None) -> dict[str, str]:
    if user is None:
        return {"aws:PrincipalType": "Anonymous", "aws:userid": "anonymous"}
    account, user_id = USERS[user]
    return {"aws:username": user, "aws:userid": user_id, "aws:PrincipalArn": _arn(user),
            "aws:PrincipalAccount": account, "aws:PrincipalType": "User"}


def _excluded_corner(bucket_policy: dict[str, Any] | None, user: str | None) -> bool:
    """A NotPrincipal naming the caller's account but not the caller (see the module docstring)."""
    if bucket_policy is None or user is None:
        return False
    for statement in bucket_policy["Statement"]:
        listed = statement.get("NotPrincipal", {}).get("AWS", [])
        if f"arn:aws:iam::{USERS[user][0]}:root" in listed and _arn(user) not in listed:
            return True
    return False


def _cases() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    cases: list[dict[str, Any]] = []
    while len(cases) < CASES:
        user = rng.choice([None, "alice", "alice", "bob", "carol", "carol"])
        if rng.random() < 0.7:
            action, resource = rng.choice(OBJECT_ACTIONS), f"arn:aws:s3:::{BUCKET}/{rng.choice(KEYS)}"
        else:
            action, resource = rng.choice(BUCKET_ACTIONS), f"arn:aws:s3:::{BUCKET}"
        identity_policies = [] if user is None else [_policy(rng, resource_policy=False)
                                                      for _ in range(rng.choice([0, 1, 1, 2]))]
        bucket_policy = _policy(rng, resource_policy=True) if rng.random() < 0.8 else None
        if _excluded_corner(bucket_policy, user):
            continue
        try:
            parsed_identity = tuple(parse_policy(json.dumps(p), kind="identity") for p in identity_policies)
            parsed_bucket = (parse_policy(json.dumps(bucket_policy), kind="resource", bucket=BUCKET)
                             if bucket_policy else None)
        except PolicyError:
            continue  # e.g. "Action does not apply to any resource(s) in statement": S3 would refuse it
        context = _context(rng)
        cases.append({
            "principal": None if user is None else _arn(user), "user": user, "action": action,
            "resource": resource, "owner": A, "context": context | _derived(user),
            "request_keys": context, "identityPolicies": identity_policies, "resourcePolicy": bucket_policy,
            "parsed": (parsed_identity, parsed_bucket),
        })
    return cases


def _ours(case: dict[str, Any]) -> bool:
    parsed_identity, parsed_bucket = case["parsed"]
    user = case["user"]
    identity = None
    if user is not None:
        account, user_id = USERS[user]
        identity = Identity.user(account, CANONICAL[account], user, user_id, policies=parsed_identity)
    request = Request(case["action"], case["resource"], identity, case["request_keys"])
    return authorize_s3(request, owner_account=case["owner"], bucket_policy=parsed_bucket, acl_allows=False).allowed


def test_decisions_match_the_simulator(simulator: Path) -> None:
    cases = _cases()
    payload = json.dumps([{k: v for k, v in c.items() if k not in ("parsed", "request_keys", "user")} for c in cases])
    done = subprocess.run(["node", str(SCRIPT), str(simulator)], input=payload, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)
    assert len(answers) == len(cases)
    errors = [(c, a) for c, a in zip(cases, answers, strict=True) if "error" in a or a["ignored"]]
    assert not errors, f"the simulator refused {len(errors)} cases, e.g. {errors[0][1]}"
    outcomes = {"Allowed": 0, "ExplicitlyDenied": 0, "ImplicitlyDenied": 0}
    mismatches = []
    for case, answer in zip(cases, answers, strict=True):
        outcomes[answer["result"]] += 1
        if _ours(case) != (answer["result"] == "Allowed"):
            mismatches.append(case)
    # The generator must reach every outcome, or the comparison says little.
    assert min(outcomes.values()) > CASES // 20, outcomes
    print(f"{len(cases)} cases, simulator outcomes {outcomes}, {len(mismatches)} differ")
    if mismatches:
        first = {k: v for k, v in mismatches[0].items() if k != "parsed"}
        pytest.fail(f"{len(mismatches)} of {len(cases)} decisions differ; first:\n{json.dumps(first, indent=1)}")
