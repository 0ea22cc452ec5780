"""The channel layer of the tool policy: a group's C{tools} and C{toolsBySender}, most specific first."""

from __future__ import annotations

from openclaw.channels.policy import AccessPolicy


def access(groups: dict) -> AccessPolicy:
    return AccessPolicy.fromSection({"groupPolicy": "allowlist", "groups": groups}, lambda s: s.lower(), 4000, "off")


def refused(policy, name: str) -> bool:
    return policy is not None and policy.refuses(name) is not None


def test_the_most_specific_entry_wins():
    policy = access({
        "*": {"tools": {"deny": ["exec"]}, "toolsBySender": {"id:Boss": {"allow": ["exec", "read"]}}},
        "#ops": {"tools": {"deny": ["write"]}, "toolsBySender": {"name:Ada": {"deny": ["read"]}, "Eve": {"deny": ["edit"]}}},
    })
    ada = policy.toolPolicy("#ops", ["ada-1"], "Ada")  # the group's sender entry, by display name
    assert refused(ada, "read") and not refused(ada, "write")
    eve = policy.toolPolicy("#OPS", ["eve"], "Eve")  # a bare key is an id (normalised like allowFrom)
    assert refused(eve, "edit") and not refused(eve, "read")
    other = policy.toolPolicy("#ops", ["zed"], "Zed")  # the group's tools
    assert refused(other, "write") and not refused(other, "exec")
    boss = policy.toolPolicy("#elsewhere", ["boss"], "B")  # the "*" entry's sender match
    assert not refused(boss, "exec") and refused(boss, "write")
    anyone = policy.toolPolicy("#elsewhere", ["x"], "X")  # the "*" entry's tools
    assert refused(anyone, "exec") and not refused(anyone, "write")
    assert access({"#ops": {}}).toolPolicy("#ops", ["x"], "X") is None


def test_entries_that_cannot_apply_are_reported_and_skipped():
    policy = access({"*": {
        "tools": {"allow": ["read"], "alsoAllow": ["write"]},
        "toolsBySender": {"username:ada": {"deny": ["exec"]}, "*": {"deny": ["exec"]}},
    }})
    assert policy.groups["*"].tools is None and list(policy.groups["*"].toolsBySender) == ["*"]
    assert any("allow and alsoAllow cannot both be set" in p for p in policy.problems)
    assert any("'username:ada'" in p and "ignored" in p for p in policy.problems)
    assert refused(policy.toolPolicy("#x", ["ada"], "Ada"), "exec")
