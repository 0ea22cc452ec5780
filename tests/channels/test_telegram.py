"""
Telegram against a local Bot API double (twisted.web on 127.0.0.1 speaking the real
HTTP API): long polling with offsets, 409 and 429 with retry_after, a rejected
token, group mention gating, forum topics, the HTML reply and its plain retry,
the probe; nothing of the token reaches status or errors.
"""

from __future__ import annotations

import json

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred

from tests.channels.botapi import group, private
from tests.channels.botapi import api  # noqa: F401 (fixture)
from tests.channels.support import EchoDispatcher, manager_for

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuv"


@pytest.fixture
def bot_token() -> str:
    return TOKEN


def telegram_config(api, **extra) -> dict:
    return {"channels": {"telegram": {"botToken": TOKEN, "apiRoot": api.root, **extra}}}


async def running(manager, reactor, api):
    manager.startService()
    await api.until(lambda a: any(m == "getUpdates" for m, _ in a.calls))
    return manager.runner("telegram", "default")


@pytest_twisted.ensureDeferred
async def test_long_polling_a_dm_and_the_html_reply(api, reactor, tmp_path):
    dispatcher = EchoDispatcher(lambda turn: ["**Hello** <you>"])
    manager = manager_for(telegram_config(api, allowFrom=["tg:42"]), reactor, str(tmp_path), dispatcher)
    try:
        await running(manager, reactor, api)
        updateId = api.push(private("hi bot"))
        turn = await dispatcher.until(1, reactor)
        assert turn.sessionKey == "agent:main:main" and turn.chat.peerId == "42"
        await api.until(lambda a: a.sent)
        assert api.sent == [{"chat_id": "42", "text": "<b>Hello</b> &lt;you&gt;", "parse_mode": "HTML"}]
        methods = [m for m, _ in api.calls]
        assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]
        polls = [p for m, p in api.calls if m == "getUpdates"]
        assert polls[0]["timeout"] == 0 and "offset" not in polls[0] and "message_reaction" in polls[0]["allowed_updates"]
        await api.until(lambda a: any(p.get("offset") == updateId + 1 for m, p in a.calls if m == "getUpdates"))
        assert all(p["timeout"] == 30 for p in polls[1:])
        await api.until(lambda a: ("sendChatAction", {"chat_id": "42", "action": "typing"}) in a.calls)
        assert await manager.store.offset("telegram", "default") == updateId + 1
    finally:
        await manager.stopService()


@pytest_twisted.ensureDeferred
async def test_conflict_and_rate_limit_are_retried(api, reactor, tmp_path):
    dispatcher = EchoDispatcher()
    api.fail("getUpdates", 409, "Conflict: terminated by other getUpdates request")
    api.fail("getUpdates", 429, "Too Many Requests: retry after 1", retryAfter=1)
    manager = manager_for(telegram_config(api, dmPolicy="open", allowFrom=["*"]), reactor, str(tmp_path), dispatcher)
    try:
        runner = await running(manager, reactor, api)
        await api.until(lambda a: len([m for m, _ in a.calls if m == "getUpdates"]) >= 2)
        conflicted = runner.snapshot()
        assert conflicted["lastError"].startswith("Telegram getUpdates conflict: Conflict:")
        assert conflicted["connected"] is False and conflicted["healthState"] == "reconnect-grace"
        started = reactor.seconds()
        await api.until(lambda a: len([m for m, _ in a.calls if m == "getUpdates"]) >= 3, timeout=10)
        assert reactor.seconds() - started >= 0.9  # retry_after honoured
        api.push(private("still there?"))
        await dispatcher.until(1, reactor)
        await api.until(lambda a: a.sent)
    finally:
        await manager.stopService()


@pytest_twisted.ensureDeferred
async def test_a_rejected_token_stops_the_account(api, reactor, tmp_path):
    manager = manager_for(
        {"channels": {"telegram": {"botToken": "999:WRONG-secret-token-value", "apiRoot": api.root}}},
        reactor, str(tmp_path), EchoDispatcher(),
    )
    runner = manager.runner("telegram", "default")
    ended = Deferred()
    original = runner._ended
    runner._ended = lambda result: (original(result), ended.called or ended.callback(None))
    try:
        manager.startService()
        await ended.addTimeout(20, reactor)
        status = await manager.status(reactor, probe=True)
        account = status["channelAccounts"]["telegram"][0]
        assert account["healthState"] == "terminal-disconnect" and account["running"] is False
        assert account["lastError"] == "getMe returned 401 (the bot token was rejected)"
        assert account["probe"] == {"ok": False, "status": 401, "error": "Unauthorized"}
        issues = status["channels"]["telegram"]["statusIssues"]
        assert [(i["kind"], i["accountId"]) for i in issues] == [("auth", "default")]
        assert "WRONG-secret" not in json.dumps(status)
        assert manager.unhealthy() == ["telegram:default"]
        assert [m for m, _ in api.calls if m == "getUpdates"] == []
        again = Deferred()
        runner._ended = lambda result: (original(result), again.called or again.callback(None))
        assert manager.startChannel("telegram") == [runner]  # an explicit start tries the token again
        assert runner.snapshot()["healthState"] == "startup-connect-grace"
        await again.addTimeout(20, reactor)
        assert runner.snapshot()["healthState"] == "terminal-disconnect"
    finally:
        await manager.stopService()


@pytest_twisted.ensureDeferred
async def test_groups_need_a_mention_and_topics_get_their_own_session(api, reactor, tmp_path):
    dispatcher = EchoDispatcher()
    config = telegram_config(api, groups={"-1001234567890": {"requireMention": True}}, groupAllowFrom=["42"])
    manager = manager_for(config, reactor, str(tmp_path), dispatcher)
    try:
        await running(manager, reactor, api)
        api.push(group("no mention here"))
        api.push(group("intruder @claw_bot", userId=66, entities=[{"type": "mention", "offset": 9, "length": 9}]))
        api.push(group("@claw_bot hello", entities=[{"type": "mention", "offset": 0, "length": 9}],
                       is_topic_message=True, message_thread_id=5))
        turn = await dispatcher.until(1, reactor)
        assert turn.sessionKey == "agent:main:telegram:group:-1001234567890:topic:5"
        assert "no mention here" in turn.body  # kept as context for the next mention
        await api.until(lambda a: a.sent)
        assert api.sent[0]["chat_id"] == "-1001234567890" and api.sent[0]["message_thread_id"] == 5
        assert len(dispatcher.turns) == 1
        status = await manager.status(reactor, probe=True)
        probe = status["channelAccounts"]["telegram"][0]["probe"]
        assert probe["ok"] is True and probe["bot"]["username"] == "claw_bot"
        assert TOKEN not in json.dumps(status)
    finally:
        await manager.stopService()


@pytest_twisted.ensureDeferred
async def test_pairing_reply_and_plain_text_retry(api, reactor, tmp_path):
    dispatcher = EchoDispatcher(lambda turn: ["look: **bold** <b>"])
    manager = manager_for(telegram_config(api), reactor, str(tmp_path), dispatcher)
    try:
        await running(manager, reactor, api)
        api.push(private("hello", userId=5))
        await api.until(lambda a: a.sent)
        text = api.sent[0]["text"]
        assert text.startswith("OpenClaw: access not configured.\n\nYour Telegram user id: 5\nPairing code:\n<pre>")
        code = text.split("<pre>")[1].split("</pre>")[0]
        assert text.endswith(f"<pre>openclaw pairing approve telegram {code}</pre>")
        await manager.inbound.approve("telegram", "default", code, notify=False)
        api.fail("sendMessage", 400, "Bad Request: can't parse entities: Unsupported start tag")
        api.push(private("again", userId=5))
        await api.until(lambda a: len(a.sent) == 2)
        refused = [p for m, p in api.calls if m == "sendMessage"][-2]
        assert refused["parse_mode"] == "HTML" and refused["text"] == "look: <b>bold</b> &lt;b&gt;"
        assert api.sent[1] == {"chat_id": "5", "text": "look: **bold** <b>"}  # HTML refused: the same text, plain
    finally:
        await manager.stopService()


@pytest_twisted.ensureDeferred
async def test_webhook_mode_takes_updates_on_its_own_listener(api, reactor, tmp_path, ports):
    import treq

    port = ports.reserve()
    dispatcher = EchoDispatcher()
    config = telegram_config(api, allowFrom=["42"], webhookUrl="https://bot.example/hook", webhookSecret="s3cret-hook",
                             webhookPort=port, webhookPath="/hook")
    manager = manager_for(config, reactor, str(tmp_path), dispatcher)
    runner = manager.runner("telegram", "default")
    ready = Deferred()
    connected = runner.connected
    runner.connected = lambda: (connected(), ready.callback(None))
    try:
        manager.startService()
        await ready.addTimeout(20, reactor)
        assert ("setWebhook", {"url": "https://bot.example/hook", "secret_token": "s3cret-hook",
                               "allowed_updates": [p for m, p in api.calls if m == "setWebhook"][0]["allowed_updates"]}) in api.calls
        assert runner.snapshot()["mode"] == "webhook" and "s3cret" not in json.dumps(runner.snapshot())
        url = f"http://127.0.0.1:{port}/hook"
        update = json.dumps({"update_id": 7, "message": private("via webhook")}).encode()
        refused = await treq.post(url, data=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
        assert refused.code == 401
        accepted = await treq.post(url, data=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-hook"})
        assert accepted.code == 200 and accepted.headers.getRawHeaders("x-openclaw-delivery-accepted") == ["durable"]
        assert await accepted.content() == b""
        await dispatcher.until(1, reactor)
        await api.until(lambda a: a.sent)
        assert (await treq.get(f"http://127.0.0.1:{port}/healthz")).code == 200
        assert [m for m, _ in api.calls if m == "getUpdates"] == []
    finally:
        await manager.stopService()
