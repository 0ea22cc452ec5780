"""The agent-side settings sections: agents (entries and legacy list), session, messages.queue."""

import os

import pytest

from openclaw.agents.models import ModelChoice, ModelConfigError
from openclaw.agents.settings import (
    AgentConfigError, AgentsSettings, Maintenance, QueueSettings, ResetPolicy, SessionSettings, normalise_agent_id,
)


def test_without_agents_one_implicit_main_agent_works_in_the_state_dir_workspace():
    agents = AgentsSettings.fromConfig({}, "/state")
    assert [a.id for a in agents.agents] == ["main"] and agents.defaultAgentId == "main"
    assert agents.agent("main").workspace == "/state/workspace"
    assert agents.modelChoice("main") is None
    assert agents.defaults.timeoutSeconds == 172_800 and agents.defaults.maxConcurrent >= 8


def test_entries_map_keys_agents_by_normalised_id_with_their_own_strict_model():
    config = {"agents": {
        "defaults": {"model": {"primary": "a/x", "fallbacks": ["b/y"]}, "workspace": "/ws", "timeoutSeconds": 0,
                     "maxConcurrent": 2},
        "entries": {"Main": {"name": "Main", "identity": {"name": "Claw", "emoji": "🦞"}, "model": "ollama/q"},
                    "work": {}},
    }}
    agents = AgentsSettings.fromConfig(config, "/state")
    assert [a.id for a in agents.agents] == ["main", "work"] and agents.defaultAgentId == "main"
    main, work = agents.agents
    assert main.workspace == "/ws" and work.workspace == "/state/workspace-work"
    assert dict(main.identity) == {"name": "Claw", "emoji": "🦞"}
    assert agents.modelChoice("main") == ModelChoice("ollama/q")
    assert agents.modelChoice("work") == ModelChoice("a/x", ("b/y",))
    assert (agents.defaults.timeoutSeconds, agents.defaults.maxConcurrent) == (0, 2)


def test_legacy_list_takes_the_default_flag_and_the_workspace_env():
    config = {"agents": {"list": [{"id": "a"}, {"id": "b", "default": True, "workspace": "~/wb"}]}}
    agents = AgentsSettings.fromConfig(config, "/state", {"OPENCLAW_WORKSPACE_DIR": "/env-ws"})
    assert agents.defaultAgentId == "b"
    assert agents.agent("b").workspace == os.path.expanduser("~/wb")
    assert agents.agent("a").workspace == "/state/workspace-a"


@pytest.mark.parametrize("config, message", [
    ({"agents": {"entries": {"bad id!": {}}}}, "invalid agent id"),
    ({"agents": {"defaults": {"maxConcurrent": 0}}}, "agents.defaults.maxConcurrent must be a whole number at least 1"),
    ({"agents": {"entries": {"a": {"identity": "x"}}}}, "agents.entries.a.identity must be an object"),
    ({"agents": {"defaults": {"model": {"fallbacks": []}}}}, "agents.defaults.model.primary"),
])
def test_bad_agents_config_names_the_path(config, message):
    with pytest.raises(ModelConfigError, match=message):
        AgentsSettings.fromConfig(config, "/state")


def test_agent_ids_are_lower_cased_and_checked():
    assert normalise_agent_id(" Work_1 ") == "work_1"
    with pytest.raises(AgentConfigError):
        normalise_agent_id("-x")


def test_session_defaults_and_values():
    assert SessionSettings.fromConfig({}) == SessionSettings()
    session = SessionSettings.fromConfig({"session": {
        "scope": "global", "mainKey": "Home", "dmScope": "per-channel-peer",
        "identityLinks": {"Alice": ["telegram:123", "IRC:alice"]},
        "reset": {"mode": "idle", "idleMinutes": 90},
        "maintenance": {"pruneAfter": "12h", "maxEntries": 10},
    }})
    assert (session.scope, session.mainKey, session.dmScope) == ("global", "home", "per-channel-peer")
    assert session.identityLinks["alice"] == ("telegram:123", "irc:alice")
    assert session.reset == ResetPolicy("idle", 4, 90)
    assert session.maintenance == Maintenance(12 * 3_600_000, 10)


@pytest.mark.parametrize("section, message", [
    ({"dmScope": "everyone"}, "session.dmScope must be one of"),
    ({"mainKey": "a:b"}, "session.mainKey"),
    ({"reset": {"atHour": 24}}, "session.reset.atHour must be a whole number between 0 and 23"),
    ({"maintenance": {"pruneAfter": "soon"}}, "session.maintenance.pruneAfter must be a duration"),
])
def test_bad_session_config_names_the_path(section, message):
    with pytest.raises(AgentConfigError, match=message):
        SessionSettings.fromConfig({"session": section})


def test_queue_mode_by_channel():
    queue = QueueSettings.fromConfig({"messages": {"queue": {"mode": "interrupt", "byChannel": {"irc": "followup"}}}})
    assert queue.modeFor("irc") == "followup" and queue.modeFor("telegram") == "interrupt" and queue.modeFor(None) == "interrupt"
    assert QueueSettings.fromConfig({}).mode == "steer"
    with pytest.raises(AgentConfigError, match="messages.queue.mode"):
        QueueSettings.fromConfig({"messages": {"queue": {"mode": "later"}}})


@pytest.mark.parametrize("section, message", [
    ('"session": {"dmScope": "nobody"}', "session.dmScope must be one of"),
    ('"tools": {"profile": "everything"}', "tools.profile must be one of"),
])
def test_a_bad_section_refuses_start_up_with_the_config_exit_code(tmp_path, section, message):
    from openclaw import paths as P
    from openclaw.config.load import load_source
    from openclaw.settings import EX_CONFIG, StartupError, build

    config = tmp_path / "c.json"
    config.write_text('{"gateway": {"mode": "local"}, %s}' % section)
    environ = {"HOME": str(tmp_path), "OPENCLAW_STATE_DIR": str(tmp_path / "s"), "OPENCLAW_CONFIG_PATH": str(config)}
    paths = P.Paths.fromEnvironment(environ)
    with pytest.raises(StartupError) as e:
        build({}, environ, paths, load_source(str(config), environ))
    assert e.value.exitCode == EX_CONFIG and message in e.value.message
