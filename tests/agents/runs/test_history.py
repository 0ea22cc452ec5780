"""chat.history and chat.startup: the display-normalised transcript, its pages and its delta cursor."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred

from openclaw.cli.client import GatewayCallError
from tests.agents.runs.conftest import operator, terminal_chat, text_reply
from tests.agents.runs.test_lanes import gated_reply

KEY = "agent:main:main"


@pytest_twisted.ensureDeferred
async def test_startup_history_pages_and_delta_polls(gateway, upstream):
    upstream.reply(text_reply("one"), text_reply("two"))
    client = await operator(gateway)
    empty = await client.call("chat.startup", {"sessionKey": KEY, "limit": 80, "maxBytes": 262144})
    assert empty["messages"] == [] and empty["hasMore"] is False and "sessionId" not in empty
    assert empty["defaults"]["model"] == "fake-model"
    for runId, text in (("h-1", "first"), ("h-2", "second")):
        await client.call("agent", {"message": text, "idempotencyKey": runId}, expectFinal=True)

    startup = await client.call("chat.startup", {"sessionKey": KEY, "limit": 80, "maxBytes": 262144})
    assert [(m["role"], m["content"][0]["text"]) for m in startup["messages"]] == [
        ("user", "first"), ("assistant", "one"), ("user", "second"), ("assistant", "two")]
    assert startup["sessionInfo"]["key"] == KEY and startup["sessionInfo"]["isMain"] is True
    assert startup["pendingInputs"] == {"items": [], "total": 0}
    page = await client.call("chat.history", {"sessionKey": "main", "limit": 2, "offset": 1})
    assert [m["content"][0]["text"] for m in page["messages"]] == ["one", "second"]
    assert page["hasMore"] is True and page["nextOffset"] == 3
    small = await client.call("chat.startup", {"sessionKey": KEY, "maxBytes": 400})
    assert small["hasMore"] is True and 0 < len(small["messages"]) < 4
    assert small["messages"][-1]["content"][0]["text"] == "two"

    nothing = await client.call("chat.history", {"sessionKey": KEY, "cursor": startup["deltaCursor"]})
    assert nothing["kind"] == "delta" and nothing["messages"] == [] and nothing["deltaCursor"] == startup["deltaCursor"]
    gate = Deferred()
    upstream.reply(gated_reply(gate, "three", " and more"))
    await client.call("chat.send", {"sessionKey": KEY, "message": "third", "idempotencyKey": "h-3"})
    await upstream.arrived(3)
    await client.call("chat.send", {"sessionKey": KEY, "message": "fourth", "idempotencyKey": "h-4"})
    polled = await client.call("chat.history", {"sessionKey": KEY, "cursor": startup["deltaCursor"]})
    assert [(m["message"]["role"], m["messageSeq"]) for m in polled["messages"]] == [("user", 5)]
    assert polled["pendingInputs"]["total"] == 1 and polled["pendingInputs"]["items"][0]["runId"] == "h-4"
    assert polled["sessionInfo"]["activeRunIds"] == ["h-3", "h-4"]
    upstream.reply(text_reply("four"))
    gate.callback(None)
    await terminal_chat(client, "h-4")
    later = await client.call("chat.history", {"sessionKey": KEY, "cursor": polled["deltaCursor"]})
    assert [m["message"]["content"][0]["text"] for m in later["messages"]] == ["three and more", "fourth", "four"]

    await client.call("sessions.reset", {"key": KEY})  # same sessionId: the poll shows the reset marker
    reset = await client.call("chat.history", {"sessionKey": KEY, "cursor": later["deltaCursor"]})
    assert [m["message"]["role"] for m in reset["messages"]] == ["system"]
    elsewhere = await client.call("chat.history", {"sessionKey": "agent:main:other", "cursor": later["deltaCursor"]})
    assert elsewhere == {"kind": "reset"}  # the cursor is not a position in that session
    with pytest.raises(GatewayCallError) as bad:
        await client.call("chat.history", {"sessionKey": KEY, "cursor": "not-a-cursor"})
    assert bad.value.code == "INVALID_REQUEST"
