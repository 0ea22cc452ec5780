"""The tool policy chain: each layer refuses on its own, a deny anywhere wins, groups and aliases expand."""

from __future__ import annotations

import pytest

from openclaw.agents.settings import AgentConfigError
from openclaw.agents.tools.policy import ToolsSettings


def decide(config: dict, name: str, surface: str = "agent", agentId: str = "main", provider: str | None = None):
    return ToolsSettings.fromConfig(config).decide(agentId, name, surface, provider)


def test_no_policy_allows_every_tool_to_the_agent():
    assert decide({}, "exec").allowed and decide({}, "web_fetch").allowed


@pytest.mark.parametrize("profile,allowed,refused", [
    ("minimal", "session_status", "read"),
    ("coding", "exec", "message"),
    ("messaging", "sessions_history", "exec"),
])
def test_profiles(profile, allowed, refused):
    assert decide({"tools": {"profile": profile}}, allowed).allowed
    d = decide({"tools": {"profile": profile}}, refused)
    assert (d.allowed, d.layer, d.rule) == (False, "profile", "profile")


def test_also_allow_extends_the_profile():
    assert decide({"tools": {"profile": "minimal", "alsoAllow": ["read"]}}, "read").allowed


def test_global_allow_and_deny_with_groups_and_aliases():
    config = {"tools": {"allow": ["group:fs", "bash"]}}
    assert decide(config, "edit").allowed and decide(config, "exec").allowed
    assert decide(config, "web_fetch").layer == "global"
    d = decide({"tools": {"deny": ["group:runtime"]}}, "bash")
    assert (d.allowed, d.layer, d.rule) == (False, "global", "deny")


def test_deny_wins_over_allow_in_the_same_layer():
    assert not decide({"tools": {"allow": ["exec"], "deny": ["exec"]}}, "exec").allowed


def test_provider_layer_applies_to_its_provider_only():
    config = {"tools": {"byProvider": {"ollama": {"deny": ["web_fetch"]}}}}
    assert decide(config, "web_fetch", provider="ollama").layer == "provider"
    assert decide(config, "web_fetch", provider="openai").allowed


@pytest.mark.parametrize("agents", [
    {"entries": {"main": {}, "work": {"tools": {"profile": "coding", "deny": ["exec"]}}}},
    {"list": [{"id": "main", "default": True}, {"id": "Work", "tools": {"profile": "coding", "deny": ["exec"]}}]},
])
def test_agent_layer_applies_to_that_agent_only(agents):
    config = {"agents": agents}
    d = decide(config, "exec", agentId="work")
    assert (d.allowed, d.layer, d.rule) == (False, "agent", "deny")
    assert decide(config, "message", agentId="work").layer == "agent"  # not in its coding profile
    assert decide(config, "exec", agentId="main").allowed


def test_a_deny_in_an_earlier_layer_is_not_undone_by_a_later_allow():
    config = {"tools": {"deny": ["exec"]}, "agents": {"entries": {"main": {"tools": {"allow": ["exec"]}}}}}
    assert decide(config, "exec").layer == "global"


def test_http_surface_adds_the_hard_deny_list_and_its_settings():
    assert decide({}, "exec", surface="http").layer == "http"
    assert decide({}, "read", surface="http").allowed
    config = {"gateway": {"tools": {"allow": ["exec"], "deny": ["read"]}}}
    assert decide(config, "exec", surface="http").allowed
    assert decide(config, "read", surface="http").layer == "http"
    assert decide(config, "read").allowed  # the agent's own tool loop is not the HTTP surface


@pytest.mark.parametrize("tools,message", [
    ({"allow": ["read"], "alsoAllow": ["exec"]}, "allow and alsoAllow"),
    ({"profile": "everything"}, "tools.profile"),
    ({"deny": "exec"}, "tools.deny"),
    ({"exec": {"timeoutSeconds": 0}}, "tools.exec.timeoutSeconds"),
    ({"web": {"fetch": {"allowPrivateNetwork": "yes"}}}, "allowPrivateNetwork"),
])
def test_bad_tool_settings_name_the_path(tools, message):
    with pytest.raises(AgentConfigError, match=message):
        ToolsSettings.fromConfig({"tools": tools})


def test_the_channel_layer_narrows_a_run_from_a_chat_group():
    from openclaw.agents.tools.policy import ToolPolicy

    group = ToolPolicy.fromConfig({"deny": ["group:runtime"]}, "groups.*.tools")
    settings = ToolsSettings.fromConfig({"tools": {"profile": "coding"}})
    d = settings.decide("main", "bash", "agent", None, group)
    assert (d.allowed, d.layer, d.rule) == (False, "channel", "deny")
    assert settings.decide("main", "read", "agent", None, group).allowed
    only = ToolPolicy.fromConfig({"allow": ["read", "message"]}, "groups.*.toolsBySender.id:1")
    assert settings.decide("main", "write", "agent", None, only).layer == "channel"
    assert settings.decide("main", "message", "agent", None, only).layer == "profile"  # an earlier refusal wins
