"""C{send} to WebChat: a message posted into a session without a run, once per idempotency key."""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.cli.client import GatewayCallError

WRITE = ("operator.read", "operator.write")


@pytest_twisted.ensureDeferred
async def test_send_posts_into_a_webchat_session_once_per_key(gateway):
    client = await gateway.connect(scopes=WRITE)
    params = {"to": "main", "message": "Dinner is ready.", "idempotencyKey": "s-1"}
    answer = await client.call("send", params)
    assert answer["runId"] == "s-1" and answer["channel"] == "webchat" and answer["conversationId"] == "agent:main:main"
    assert await client.call("send", params) == answer  # a replay answers as the first one did
    history = await client.call("chat.history", {"sessionKey": "agent:main:main"})
    assert [m["content"][0]["text"] for m in history["messages"]] == ["Dinner is ready."]
    [final] = [f["payload"] for f in client.events if f["event"] == "chat"]
    assert final["state"] == "final" and final["message"]["content"][0]["text"] == "Dinner is ready."
    other = await client.call("send", {"to": "agent:main:kitchen", "message": "Oven on", "channel": "webchat",
                                       "idempotencyKey": "s-2"})
    assert other["conversationId"] == "agent:main:kitchen" and other["messageId"] != answer["messageId"]


@pytest.mark.parametrize("params, message", [
    ({"message": " "}, "invalid send params: text or media is required"),
    ({"mediaUrl": "https://example.test/a.png"}, "media is not supported yet"),
    ({"message": "hi", "channel": "carrier-pigeon"}, "unsupported channel: carrier-pigeon"),
    ({"message": "hi", "to": "agent:nobody:main"}, 'unknown agent id "nobody"'),
    ({"message": "hi", "idempotencyKey": ""}, "invalid send params"),
])
@pytest_twisted.ensureDeferred
async def test_send_refuses_what_it_cannot_deliver(gateway, params, message):
    client = await gateway.connect(scopes=WRITE)
    with pytest.raises(GatewayCallError) as refused:
        await client.call("send", {"to": "main", "idempotencyKey": "r-1", **params})
    assert message in refused.value.message
    assert (await client.call("chat.history", {"sessionKey": "agent:main:main"}))["messages"] == []
