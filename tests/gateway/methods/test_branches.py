"""C{sessions.branches.list}: the one active branch of a session's transcript, from the session store."""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.cli.client import GatewayCallError


def text(role: str, words: str, timestamp: int) -> dict:
    return {"role": role, "content": [{"type": "text", "text": words}], "timestamp": timestamp}


@pytest_twisted.ensureDeferred
async def test_the_branch_ends_at_the_newest_entry(gateway):
    client = await gateway.connect(scopes=["operator.read"])
    assert await client.call("sessions.branches.list", {"sessionKey": "main"}) == {"branches": []}
    store = gateway.service.tree.agents.stores.store("main")
    await store.append("agent:main:main", text("user", "hello there", 1))
    last = await store.append("agent:main:main", text("assistant", "Hi!\n  How can I\thelp?  " + "x" * 300, 2))
    (branch,) = (await client.call("sessions.branches.list", {"sessionKey": "agent:main:main"}))["branches"]
    assert branch["leafEntryId"] == last.id and branch["messageCount"] == 2 and branch["active"] is True
    assert branch["headline"].startswith("Hi! How can I help? xxx") and len(branch["headline"]) == 200
    assert branch["updatedAt"] == "1970-01-01T00:00:00.002Z"  # the newest message's own timestamp
    # a bare key is the default agent's: the same session
    assert (await client.call("sessions.branches.list", {"sessionKey": "main"}))["branches"] == [branch]


@pytest_twisted.ensureDeferred
async def test_an_unknown_agent_is_refused(gateway):
    client = await gateway.connect(scopes=["operator.read"])
    with pytest.raises(GatewayCallError) as caught:
        await client.call("sessions.branches.list", {"sessionKey": "agent:ghost:main"})
    assert caught.value.details == {"code": "UNKNOWN_AGENT_ID", "agentId": "ghost"}
