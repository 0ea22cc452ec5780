"""A heartbeat whose target is a channel: its reply goes out through the channel account to C{heartbeat.to}."""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.channels.runner import STOP_TIMEOUT_SECONDS
from tests.agents.heartbeat.conftest import EVERY_S, advance, checklist, next_heartbeat
from tests.agents.runs.conftest import operator, run_config, text_reply
from tests.channels.botapi import api  # noqa: F401 (fixture)
from tests.conftest import serving, start_gateway

TOKEN = "5555:HEARTBEAT-token-abcdefghijklmnop"


@pytest.fixture
def bot_token() -> str:
    return TOKEN


@pytest.fixture
def heartbeat_config() -> dict:
    return {"every": "30m", "target": "telegram", "to": "4242"}


@pytest_twisted.async_yield_fixture
async def gateway(reactor, environ, upstream, clock, agent_defaults, api):
    config = run_config(upstream.base, **agent_defaults)
    config["channels"] = {"telegram": {"botToken": TOKEN, "apiRoot": api.root}}
    service = start_gateway(reactor, environ, config, clock=clock)
    async with serving(service, reactor) as running:
        yield running
        # the account stops within its stop timeout, which runs on the test's clock
        stopping = service.tree.channels.stopChannel("telegram")
        clock.advance(STOP_TIMEOUT_SECONDS)
        await stopping


@pytest_twisted.ensureDeferred
async def test_the_reply_is_delivered_through_the_channel(gateway, upstream, clock, workspace, api):
    checklist(workspace, "- watch the build\n")
    upstream.reply(text_reply("The nightly", " build failed."))
    client = await operator(gateway)
    await api.until(lambda a: any(m == "getUpdates" for m, _ in a.calls))
    assert (await client.call("status", {}))["heartbeat"]["agents"][0]["waitingForRoute"] is False
    beat = next_heartbeat(client)
    await advance(clock, client, EVERY_S)
    sent = await beat
    assert {k: sent[k] for k in ("status", "channel", "accountId", "to", "preview")} == {
        "status": "sent", "channel": "telegram", "accountId": "default", "to": "4242",
        "preview": "The nightly build failed."}
    assert [(m["chat_id"], m["text"]) for m in api.sent] == [("4242", "The nightly build failed.")]
