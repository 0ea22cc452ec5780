"""The pure parts the OpenAI-compatible endpoints share: agent targets, tool choice, the conversation as one message."""

from __future__ import annotations

import pytest

from openclaw.agents.providers.base import Tool, ToolCall
from openclaw.gateway.http.agentcalls import (
    CURRENT_HEADER, HISTORY_HEADER, Entry, ToolChoice, conversation_message, model_ids, target_agent, tool_choice,
)

LOOKUP = Tool("lookup", "", {"type": "object"})


@pytest.mark.parametrize("model, agent", [
    ("openclaw", "main"), ("OpenClaw/Default", "main"), ("openclaw/research", "research"),
    ("openclaw:ops-1", "ops-1"), ("agent:Main", "main"), ("gpt-4o", None), ("openclaw/", None),
    ("openclaw/" + "a" * 65, None), ("openclaw/-x", None),
])
def test_agent_targets(model, agent):
    assert target_agent(model, "main") == agent


def test_model_ids_list_the_default_targets_first():
    assert model_ids(["main", "ops"]) == ["openclaw", "openclaw/default", "openclaw/main", "openclaw/ops"]


def test_a_single_user_turn_is_the_message_itself():
    assert conversation_message([Entry("user", "User", "hi")]) == "hi"


def test_earlier_turns_become_labelled_context():
    message = conversation_message([
        Entry("user", "User", "weather?"), Entry("assistant", "Assistant", "(called tool w as c1 with {})"),
        Entry("tool", "Tool c1", "sunny"),
    ])
    assert message.splitlines() == [
        HISTORY_HEADER, "User: weather?", "Assistant: (called tool w as c1 with {})", "", CURRENT_HEADER, "Tool c1: sunny",
    ]


def test_the_last_user_turn_is_answered_even_after_an_assistant_turn():
    assert conversation_message([Entry("user", "User", "a"), Entry("assistant", "Assistant", "b")]) == "a"


@pytest.mark.parametrize("raw, expected", [
    (None, ToolChoice()), ("none", ToolChoice("none")), ("required", ToolChoice("required")),
    ({"type": "function", "function": {"name": "lookup"}}, ToolChoice("function", "lookup")),
])
def test_tool_choices(raw, expected):
    assert tool_choice(raw, (LOOKUP,), lambda c: (c.get("function") or {}).get("name")) == expected


@pytest.mark.parametrize("raw, tools, why", [
    ("always", (LOOKUP,), "tool_choice always is not supported"),
    (3, (LOOKUP,), "tool_choice must be a string or object"),
    ("required", (), "tool_choice=required but no tools were provided"),
    ({"type": "function", "function": {"name": "other"}}, (LOOKUP,), "tool_choice requested unknown tool: other"),
])
def test_bad_tool_choices(raw, tools, why):
    with pytest.raises(ValueError, match=why):
        tool_choice(raw, tools, lambda c: (c.get("function") or {}).get("name"))


def test_a_required_choice_checks_the_calls_made():
    call = ToolCall("c1", "lookup", {})
    assert ToolChoice("required").unsatisfied([call]) is None
    assert ToolChoice("required").unsatisfied([]) == "tool_choice=required was not satisfied by the agent response"
    assert "lookup" in ToolChoice("function", "lookup").unsatisfied([ToolCall("c2", "other", {})])
    assert ToolChoice("none").offered((LOOKUP,)) == () and ToolChoice("function", "lookup").offered((LOOKUP,)) == (LOOKUP,)
