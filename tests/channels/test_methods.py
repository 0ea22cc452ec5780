"""
The channel RPCs on a real gateway (every frame checked against the published
schema) with a Telegram account on the local Bot API double: channels.status,
channels.pairing.list|approve|dismiss, send, channels.logout and /readyz; and a
config edit that restarts only the account it touches.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import pytest_twisted
import treq

from openclaw.channels.settings import ChannelsSettings
from openclaw.cli.client import GatewayCallError
from tests.channels.botapi import private
from tests.channels.botapi import api  # noqa: F401 (fixture)
from tests.channels.support import EchoDispatcher, manager_for
from tests.conftest import local_config

TOKEN = "5555:METHODS-token-abcdefghijklmnop"
ADMIN = ("operator.admin", "operator.read", "operator.write")


@pytest.fixture
def bot_token() -> str:
    return TOKEN


@pytest.fixture
def gateway_config(api) -> dict:
    config = local_config()
    config["channels"] = {"telegram": {"botToken": TOKEN, "apiRoot": api.root},
                          "irc": {"host": "irc.test", "accounts": {"spare": {"enabled": False}}}}
    return config


@pytest_twisted.ensureDeferred
async def test_pairing_rpcs_send_logout_and_readiness(gateway, api, reactor):
    admin = await gateway.connect(scopes=ADMIN)
    await api.until(lambda a: any(m == "getUpdates" for m, _ in a.calls))
    api.push(private("let me in", userId=31))
    await api.until(lambda a: a.sent)
    listed = await admin.call("channels.pairing.list", {"channel": "telegram"})
    [request] = listed["requests"]
    assert request["senderId"] == "31" and request["senderLabel"] == "Ada" and request["channelLabel"] == "Telegram"
    assert listed["limits"] == {"pendingPerAccount": 3, "ttlMs": 3600000} and listed["commandOwnerConfigured"] is False
    code = request["requestId"]
    with pytest.raises(GatewayCallError) as caught:
        await admin.call("channels.pairing.dismiss", {"channel": "telegram", "accountId": "default", "requestId": "NOPE2345"})
    assert caught.value.message == "no pending pairing request NOPE2345 for telegram account default"
    approved = await admin.call("channels.pairing.approve", {"channel": "telegram", "accountId": "default",
                                                              "requestId": code.lower(), "notify": True})
    assert approved == {"requestId": code, "senderId": "31", "notification": "sent", "commandOwnerBootstrap": "not-requested"}
    await api.until(lambda a: len(a.sent) == 2)

    sent = await admin.call("send", {"to": "-100777:topic:3", "message": "*hi*", "channel": "telegram", "idempotencyKey": "k1"})
    assert sent == {"runId": "k1", "channel": "telegram", "accountId": "default", "to": "-100777:topic:3", "messageId": "k1"}
    await admin.call("send", {"to": "-100777:topic:3", "message": "*hi*", "channel": "telegram", "idempotencyKey": "k1"})
    assert [s for s in api.sent if s["chat_id"] == "-100777"] == [
        {"chat_id": "-100777", "text": "<i>hi</i>", "parse_mode": "HTML", "message_thread_id": 3}
    ]  # the same idempotency key sends once
    for params, message in (
        ({"to": "nobody here", "message": "x", "channel": "telegram", "idempotencyKey": "k2"}, "not a Telegram target"),
        ({"to": "#x", "message": "x", "channel": "irc", "idempotencyKey": "k3"}, "no configured irc account 'default'"),
        ({"to": "1", "message": " ", "channel": "telegram", "idempotencyKey": "k4"}, "text or media is required"),
    ):
        with pytest.raises(GatewayCallError) as caught:
            await admin.call("send", params)
        assert message in caught.value.message

    status = await admin.call("channels.status", {"probe": True})
    assert status["channelOrder"] == ["telegram", "irc"]
    issues = status["channels"]["irc"]["statusIssues"]
    assert [(i["accountId"], i["kind"], i["message"]) for i in issues] == [("default", "config", "missing host or nick")]
    assert issues[0]["fix"].startswith("set channels.irc.host and channels.irc.nick")
    assert [a["accountId"] for a in status["channelAccounts"]["irc"]] == ["default", "spare"]
    assert TOKEN not in json.dumps(status)

    ready = await treq.get(f"{gateway.http}/readyz")
    assert ready.code == 200
    logout = await admin.call("channels.logout", {"channel": "telegram"})
    assert logout == {"channel": "telegram", "accountId": "default", "stopped": True}
    account = (await admin.call("channels.status", {"channel": "telegram"}))["channelAccounts"]["telegram"][0]
    assert account["running"] is False and account["healthState"] == "unmanaged"  # stopped by hand: not a failure
    gateway.service.channels.runner("telegram", "default").manuallyStopped = False
    notReady = await treq.get(f"{gateway.http}/readyz")
    assert notReady.code == 503 and "channel:telegram:default" in (await notReady.json())["failing"]


@pytest_twisted.ensureDeferred
async def test_a_config_edit_restarts_only_the_account_it_touches(api, reactor, tmp_path):
    config = {"channels": {"telegram": {"botToken": TOKEN, "apiRoot": api.root,
                                        "accounts": {"a": {}, "b": {"allowFrom": ["1"]}}}}}
    manager = manager_for(config, reactor, str(tmp_path), EchoDispatcher())
    try:
        manager.startService()
        await api.until(lambda a: len([m for m, _ in a.calls if m == "getMe"]) == 3)  # the root is "default"
        a, b = manager.runner("telegram", "a"), manager.runner("telegram", "b")
        config["channels"]["telegram"]["accounts"]["b"]["allowFrom"] = ["2"]
        assert manager.applySettings(SimpleNamespace(channels=ChannelsSettings.fromConfig(config)), frozenset({"channels"}))
        await api.until(lambda a: len([m for m, _ in a.calls if m == "getMe"]) == 4)
        assert manager.runner("telegram", "a") is a and a.running and a.state["lastStartAt"] is not None
        fresh = manager.runner("telegram", "b")
        assert fresh is not b and not b.running and fresh.running
        assert fresh.snapshot()["allowFrom"] == ["2"]
        await manager.stopChannel("telegram", "b")  # stopped by hand: an edit keeps it stopped
        config["channels"]["telegram"]["accounts"]["b"]["allowFrom"] = ["3"]
        manager.applySettings(SimpleNamespace(channels=ChannelsSettings.fromConfig(config)), frozenset({"channels"}))
        kept = manager.runner("telegram", "b")
        assert kept is not fresh and not kept.running and kept.snapshot()["healthState"] == "unmanaged"
        del config["channels"]["telegram"]["accounts"]["a"]
        manager.applySettings(SimpleNamespace(channels=ChannelsSettings.fromConfig(config)), frozenset({"channels"}))
        assert manager.runner("telegram", "a") is None and not a.running
    finally:
        await manager.stopService()
