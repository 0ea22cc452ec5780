"""The workspace files in the system prompt: order, size limits, defaults, and the token budget."""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.agents.settings import AgentConfigError, AgentEntry, AgentsSettings
from openclaw.agents.tools.registry import default_registry
from openclaw.agents.workspace import (
    BOOTSTRAP_FILES,
    DEFAULT_FILES,
    DEFAULT_PROMPT_TOKEN_BUDGET,
    BootstrapLimits,
    Workspace,
    cut,
    estimate_tokens,
    prompt_tokens,
    read_bootstrap,
    system_prompt,
    workspace_path,
    write_defaults,
)


def test_files_go_in_in_the_documented_order_missing_and_empty_ones_left_out(workspace):
    for name in reversed(BOOTSTRAP_FILES):
        (workspace / name).write_text(f"about {name}")
    (workspace / "USER.md").write_text("  \n")
    (workspace / "TOOLS.md").unlink()
    files = read_bootstrap(str(workspace), BootstrapLimits())
    assert [f.name for f in files] == ["AGENTS.md", "SOUL.md", "IDENTITY.md", "HEARTBEAT.md", "MEMORY.md"]
    prompt = system_prompt(None, str(workspace), files, ())
    positions = [prompt.index(f"## {f.name}\nabout {f.name}") for f in files]
    assert positions == sorted(positions)


def test_each_file_and_the_total_are_cut_to_the_limits(workspace):
    (workspace / "AGENTS.md").write_text("A" * 600 + "END")
    (workspace / "SOUL.md").write_text("S" * 500)
    (workspace / "USER.md").write_text("U" * 500)
    files = read_bootstrap(str(workspace), BootstrapLimits(maxChars=300, totalMaxChars=700))
    assert [len(f.text) for f in files] == [300, 300, 100]
    assert all(f.truncated for f in files)
    assert files[0].text.endswith("END") and "characters cut" in files[0].text


def test_cut_keeps_head_and_tail():
    text, truncated = cut("abcdefghij" * 30, 120)
    assert truncated and len(text) == 120 and text.startswith("abc") and text.endswith("hij")
    assert cut("short", 120) == ("short", False)


def test_limits_come_from_agent_defaults():
    limits = BootstrapLimits.fromConfig({"agents": {"defaults": {"bootstrapMaxChars": 500, "bootstrapTotalMaxChars": 900}}})
    assert (limits.maxChars, limits.totalMaxChars) == (500, 900)
    with pytest.raises(AgentConfigError, match="bootstrapMaxChars"):
        BootstrapLimits.fromConfig({"agents": {"defaults": {"bootstrapMaxChars": "big"}}})


def test_defaults_are_written_once_and_never_overwritten(tmp_path):
    path = tmp_path / "ws"
    assert len(write_defaults(str(path))) == len(DEFAULT_FILES)
    (path / "SOUL.md").write_text("mine")
    assert write_defaults(str(path)) == []
    assert (path / "SOUL.md").read_text() == "mine"


def test_identity_and_tools_in_the_prompt():
    agent = AgentEntry("main", name="Main", identity={"name": "Claw", "emoji": "🦞"})
    tools = [t.definition() for t in default_registry().all()]
    prompt = system_prompt(agent, "/ws", [], tools, extra="Be brief.")
    assert prompt.startswith("You are Claw 🦞, a personal assistant")
    assert "- exec: Run a shell command" in prompt and prompt.endswith("Be brief.")
    assert system_prompt(AgentEntry("w", name="Work"), "/ws", [], ()).startswith("You are Work, a")
    assert system_prompt(None, "/ws", [], ()).startswith("You are a personal assistant")


def test_the_default_prompt_with_every_tool_stays_under_the_budget(workspace):
    write_defaults(str(workspace))
    tools = [t.definition() for t in default_registry().all()]
    files = read_bootstrap(str(workspace), BootstrapLimits())
    assert [f.name for f in files] == [n for n in BOOTSTRAP_FILES if n in DEFAULT_FILES]
    prompt = system_prompt(AgentEntry("main", identity={"name": "Claw", "emoji": "🦞"}), str(workspace), files, tools)
    assert prompt_tokens(prompt, tools) < DEFAULT_PROMPT_TOKEN_BUDGET


def test_the_estimate_is_not_below_a_bpe_tokenizer_on_prose():
    # cl100k and llama tokenizers spend about 1.3 tokens per English word; the estimate spends more
    text = "The quick brown fox jumps over the lazy dog, twice; then it rests."
    assert estimate_tokens(text) >= round(1.3 * len(text.split()))


def test_per_agent_workspaces():
    agents = AgentsSettings.fromConfig({"agents": {"entries": {"main": {}, "work": {}, "home": {"workspace": "/srv/home"}}}},
                                       stateDir="/state")
    assert workspace_path(agents, "main") == "/state/workspace"
    assert workspace_path(agents, "work") == "/state/workspace-work"
    assert workspace_path(agents, "home") == "/srv/home"
    assert workspace_path(agents, "other") == "/state/workspace-other"


@pytest_twisted.ensureDeferred
async def test_a_new_agent_workspace_is_created_on_first_use(reactor, tmp_path):
    path = tmp_path / "workspace-new"
    prompt = await Workspace(None, str(path), BootstrapLimits(), reactor).systemPrompt(())
    assert sorted(p.name for p in path.iterdir()) == sorted(DEFAULT_FILES)
    assert "## AGENTS.md" in prompt
