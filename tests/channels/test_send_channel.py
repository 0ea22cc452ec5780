"""C{send} through a channel account: once per idempotency key, mirrored into a session when asked."""

from __future__ import annotations

import pytest
import pytest_twisted

from tests.channels.botapi import api  # noqa: F401 (fixture)
from tests.conftest import local_config

TOKEN = "5555:SEND-token-abcdefghijklmnop"


@pytest.fixture
def bot_token() -> str:
    return TOKEN


@pytest.fixture
def gateway_config(api) -> dict:
    config = local_config()
    config["channels"] = {"telegram": {"botToken": TOKEN, "apiRoot": api.root}}
    return config


@pytest_twisted.ensureDeferred
async def test_a_channel_send_goes_out_once_and_is_mirrored_into_the_session(gateway, api):
    client = await gateway.connect(scopes=("operator.read", "operator.write"))
    await api.until(lambda a: any(m == "getUpdates" for m, _ in a.calls))
    params = {"to": "4242", "message": "Parcel arrived", "sessionKey": "agent:main:telegram:4242",
              "idempotencyKey": "m-1"}  # the only channel: no need to name it
    answer = await client.call("send", params)
    assert answer == {"runId": "m-1", "channel": "telegram", "accountId": "default", "to": "4242", "messageId": "m-1"}
    assert await client.call("send", params) == answer
    assert [(m["chat_id"], m["text"]) for m in api.sent] == [("4242", "Parcel arrived")]
    history = await client.call("chat.history", {"sessionKey": "agent:main:telegram:4242"})
    assert [m["content"][0]["text"] for m in history["messages"]] == ["Parcel arrived"]
    await client.call("send", {"to": "4242", "message": "To the web", "channel": "webchat", "idempotencyKey": "m-2"})
    assert len(api.sent) == 1
