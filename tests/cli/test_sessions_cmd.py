"""
`openclaw sessions` as a real process against a real `openclaw gateway` process:
the sessions its runs used, as OpenClaw's table and JSON, one agent or all of them,
limited and filtered; and a gateway that is down.
"""

from __future__ import annotations

import pytest_twisted

from tests.agents.runs.conftest import text_reply
from tests.agents.upstream import upstream  # noqa: F401 (fixture)
from tests.cli.conftest import CliRunner
from tests.cli.test_agent_cmd import start_gateway


async def ran(cli: CliRunner, upstream, agentId: str, sessionKey: str, *words: str) -> None:
    """One run in C{sessionKey} of C{agentId}, over a client connection of the test."""
    upstream.reply(text_reply(*words))
    client = await cli.launcher.connect(cli.port, scopes=("operator.read", "operator.write"))
    final = await client.call("agent", {"message": "hi", "agentId": agentId, "sessionKey": sessionKey,
                                        "idempotencyKey": f"{agentId}-{sessionKey}"}, expectFinal=True)
    assert final["status"] == "ok"
    await client.close()


def table_rows(lines: list[str]) -> list[list[str]]:
    """The cells of a box-drawn table (header first), wrapped cells joined again."""
    rows: list[list[str]] = []
    for line in lines:
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if rows and not cells[0] and not cells[1]:
            rows[-1] = [a + b for a, b in zip(rows[-1], cells)]
        else:
            rows.append(cells)
    return rows


@pytest_twisted.ensureDeferred
async def test_the_sessions_runs_used_are_listed_newest_first(cli, upstream):
    await start_gateway(cli, upstream)
    await ran(cli, upstream, "main", "notes", "one", " two")
    await ran(cli, upstream, "main", "main", "three")
    listed = await cli.run("sessions", "--json")
    assert listed.code == 0, listed.stderr
    document = listed.json()
    store = document["path"]
    assert store == str(cli.install.stateDir / "agents" / "main" / "agent" / "openclaw-agent.sqlite")
    assert (document["count"], document["totalCount"], document["limitApplied"], document["hasMore"]) == (2, 2, 100, False)
    assert document["activeMinutes"] is None
    main, notes = document["sessions"]
    assert (main["key"], notes["key"]) == ("agent:main:main", "agent:main:notes")
    assert (notes["modelProvider"], notes["model"], notes["totalTokens"], notes["totalTokensFresh"]) == (
        "fakeup", "fake-model", 12, True)
    assert notes["agentId"] == "main" and notes["kind"] == "direct" and notes["sessionId"]

    text = await cli.run("sessions")
    assert text.code == 0, text.stderr
    lines = text.lines
    assert lines[:2] == [f"Session store: {store}", "Sessions listed: 2"]
    header, *rows = table_rows(lines)
    assert header == ["Kind", "Key", "Age", "Model", "Runtime", "Tokens (ctx %)", "Flags"]
    assert [r[1] for r in rows] == ["agent:main:main", "agent:main:notes"]
    assert rows[1][:6] == ["direct", "agent:main:notes", "just now", "fake-model", "OpenClaw Default", "12/? (?%)"]
    assert rows[1][6] == f"id:{notes['sessionId']}"


@pytest_twisted.ensureDeferred
async def test_limit_and_active_filter(cli, upstream):
    await start_gateway(cli, upstream)
    await ran(cli, upstream, "main", "a", "x")
    await ran(cli, upstream, "main", "b", "y")
    limited = await cli.run("sessions", "--limit", "1")
    assert limited.lines[1] == "Sessions listed: 1 of 2 (limit 1)"
    document = (await cli.run("sessions", "list", "--limit", "1", "--json")).json()
    assert (document["count"], document["hasMore"], document["sessions"][0]["key"]) == (1, True, "agent:main:b")
    every = (await cli.run("sessions", "--limit", "all", "--json")).json()
    assert (every["count"], every["limitApplied"], every["hasMore"]) == (2, None, False)
    active = await cli.run("sessions", "--active", "5")
    assert active.lines[1:3] == ["Sessions listed: 2", "Filtered to last 5 minute(s)"]
    assert (await cli.run("sessions", "--active", "5", "--json")).json()["activeMinutes"] == 5
    bad = await cli.run("sessions", "--limit", "0")
    assert bad.code == 1 and "Invalid --limit: 0" in bad.stderr


@pytest_twisted.ensureDeferred
async def test_one_agent_or_all_agents(cli, upstream):
    await start_gateway(cli, upstream, agents={"main": {"default": True}, "work": {}})
    await ran(cli, upstream, "work", "agent:work:task", "done")
    await ran(cli, upstream, "main", "chat", "hello")

    work = (await cli.run("sessions", "--agent", "work", "--json")).json()
    assert [s["key"] for s in work["sessions"]] == ["agent:work:task"]
    assert work["path"] == str(cli.install.stateDir / "agents" / "work" / "agent" / "openclaw-agent.sqlite")

    both = await cli.run("sessions", "--all-agents", "--json")
    document = both.json()
    assert document["path"] is None and document["allAgents"] is True
    assert [s["agentId"] for s in document["stores"]] == ["main", "work"]
    assert [s["key"] for s in document["sessions"]] == ["agent:main:chat", "agent:work:task"]
    text = await cli.run("sessions", "--all-agents")
    assert text.lines[:2] == ["Session stores: 2 (main, work)", "Sessions listed: 2"]
    header, *rows = table_rows(text.lines)
    assert header[:2] == ["Agent", "Kind"] and [r[0] for r in rows] == ["main", "work"]

    unknown = await cli.run("sessions", "--agent", "nobody")
    assert unknown.code == 1 and 'unknown agent id "nobody"' in unknown.stderr
    both = await cli.run("sessions", "--agent", "work", "--all-agents")
    assert both.code == 1 and "Use either --agent or --all-agents" in both.stderr


@pytest_twisted.ensureDeferred
async def test_no_sessions_yet(cli, upstream):
    await start_gateway(cli, upstream)
    result = await cli.run("sessions")
    assert result.code == 0 and result.lines[1:] == ["Sessions listed: 0", "No sessions found."]


@pytest_twisted.ensureDeferred
async def test_a_gateway_that_is_down(cli):
    result = await cli.run("sessions", "--json")
    assert result.code == 1
    assert result.json()["error"]["type"] == "gateway_transport_error"
    result = await cli.run("sessions")
    assert result.code == 1 and result.stderr.startswith("gateway connect failed: connect ECONNREFUSED")
