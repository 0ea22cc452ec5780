"""
C{/new} and C{/reset} in C{agent} (admin only) and C{chat.send}, and C{deliver}:
the final reply also sent through a Telegram account on the local Bot API double,
to the target the request names or to the session's last channel route.
"""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.agents.resets import SESSION_START_PROMPT, reset_command
from openclaw.cli.client import GatewayCallError
from tests.agents.runs.conftest import (
    RetryClock, event_arrived, operator, telegram_run_config, terminal_chat, text_reply,
)
from tests.agents.upstream import upstream  # noqa: F401 (fixture)
from tests.channels.botapi import private
from tests.channels.botapi import api  # noqa: F401 (fixture)
from tests.conftest import serving, start_gateway

KEY = "agent:main:main"


@pytest.fixture
def bot_token() -> str:
    return "7777:DELIVER-token-abcdefghijklmnop"


@pytest_twisted.async_yield_fixture
async def gateway(reactor, environ, upstream, api, bot_token):
    config = telegram_run_config(upstream.base, api, bot_token)
    service = start_gateway(reactor, environ, config, clock=RetryClock(reactor))
    async with serving(service, reactor) as running:
        yield running


def user_texts(request) -> list[str]:
    return [m["content"] for m in request.body["messages"] if m["role"] == "user"]


@pytest.mark.parametrize("message,parsed", [
    ("/new", ("new", "")), ("/RESET  what next?", ("reset", "what next?")), ("/new\nline one\nline two", ("new", "line one\nline two")),
    ("/newer x", None), ("say /new", None), ("/stop", None),
])
def test_reset_commands(message, parsed):
    assert reset_command(message) == parsed


@pytest_twisted.ensureDeferred
async def test_new_in_agent_needs_admin_and_runs_the_rest_in_the_fresh_session(gateway, upstream):
    upstream.reply(text_reply("first"), text_reply("fresh"), text_reply("Hi there!"))
    admin = await operator(gateway)
    writer = await operator(gateway, scopes=("operator.read", "operator.write"))
    await writer.call("sessions.subscribe", {})
    await writer.call("agent", {"message": "remember me", "idempotencyKey": "n-1"}, expectFinal=True)
    with pytest.raises(GatewayCallError) as refused:
        await writer.call("agent", {"message": "/new hello", "idempotencyKey": "n-2"})
    assert (refused.value.code, refused.value.message) == ("FORBIDDEN", "missing scope: operator.admin")

    final = await admin.call("agent", {"message": "/new what now?", "idempotencyKey": "n-3"}, expectFinal=True)
    assert final["status"] == "ok" and final["result"]["payloads"][0]["text"] == "fresh"
    assert user_texts(upstream.requests[1]) == ["what now?"]  # nothing of the old conversation
    reset = await event_arrived(writer, lambda f: f["event"] == "sessions.changed" and f["payload"].get("reason") == "reset")
    assert reset["payload"]["sessionKey"] == KEY

    again = await admin.call("agent", {"message": "/new what now?", "idempotencyKey": "n-3"}, expectFinal=True)
    assert again == final and len(upstream.requests) == 2  # a retry neither resets nor runs again

    greeting = await admin.call("agent", {"message": "/reset", "idempotencyKey": "n-4"}, expectFinal=True)
    assert greeting["result"]["payloads"][0]["text"] == "Hi there!"
    assert user_texts(upstream.requests[2]) == [SESSION_START_PROMPT]


@pytest_twisted.ensureDeferred
async def test_new_in_chat_send_resets_for_a_writer(gateway, upstream):
    upstream.reply(text_reply("one"), text_reply("two"))
    writer = await operator(gateway, scopes=("operator.read", "operator.write"))
    await writer.call("chat.send", {"sessionKey": KEY, "message": "old topic", "idempotencyKey": "c-1"})
    await terminal_chat(writer, "c-1")
    ack = await writer.call("chat.send", {"sessionKey": KEY, "message": "/new new topic", "idempotencyKey": "c-2"})
    assert ack == {"runId": "c-2", "status": "started"}
    await terminal_chat(writer, "c-2")
    assert user_texts(upstream.requests[1]) == ["new topic"]
    history = await writer.call("chat.history", {"sessionKey": KEY})
    assert [m["role"] for m in history["messages"]] == ["user", "assistant", "system", "user", "assistant"]
    assert history["messages"][3]["content"][0]["text"] == "new topic"  # the command itself is not kept


@pytest_twisted.ensureDeferred
async def test_agent_delivers_its_reply_to_the_named_target(gateway, upstream, api):
    upstream.reply(text_reply("Deployed."), text_reply("quiet"))
    client = await operator(gateway)
    final = await client.call("agent", {"message": "status?", "idempotencyKey": "d-1", "deliver": True,
                                        "channel": "telegram", "to": "555"}, expectFinal=True)
    assert final["result"]["deliveryStatus"] == "sent"
    assert [(s["chat_id"], s["text"]) for s in api.sent] == [("555", "Deployed.")]

    for params, problem in (
        ({"channel": "telegram", "to": "not a chat"}, "not a Telegram target"),
        ({"channel": "irc", "to": "#ops"}, "no configured irc account 'default'"),
        ({"channel": "telegram"}, "no telegram target to deliver to"),
        ({}, "no channel to deliver to"),
    ):
        with pytest.raises(GatewayCallError) as refused:
            await client.call("agent", {"message": "x", "idempotencyKey": "d-x", "deliver": True, **params})
        assert refused.value.code == "INVALID_REQUEST" and problem in refused.value.message
    assert len(upstream.requests) == 1  # refused before any run started

    best = await client.call("agent", {"message": "x", "idempotencyKey": "d-2", "deliver": True, "bestEffortDeliver": True,
                                       "channel": "irc", "to": "#ops"}, expectFinal=True)
    assert best["status"] == "ok" and "deliveryStatus" not in best["result"] and len(api.sent) == 1


@pytest_twisted.ensureDeferred
async def test_deliver_uses_the_sessions_last_channel_route(gateway, upstream, api):
    upstream.reply(text_reply("Hello", " Ada"), text_reply("From", " the UI"), text_reply("And", " again"))
    await api.until(lambda a: any(m == "getUpdates" for m, _ in a.calls))
    api.push(private("hi bot", userId=31))
    await api.until(lambda a: [s for s in a.sent if s["text"] == "Hello Ada"])  # the channel's own reply
    row = gateway.service.tree.agents.stores.store("main")
    entry = await row.get(KEY)
    assert dict(entry.lastRoute) == {"channel": "telegram", "accountId": "default", "to": "31"}

    client = await operator(gateway)
    await client.call("chat.send", {"sessionKey": KEY, "message": "tell Ada", "deliver": True, "idempotencyKey": "r-1"})
    await terminal_chat(client, "r-1")
    await api.until(lambda a: [s for s in a.sent if s["text"] == "From the UI"])
    final = await client.call("agent", {"message": "more", "idempotencyKey": "r-2", "deliver": True}, expectFinal=True)
    assert final["result"]["deliveryStatus"] == "sent"
    assert [(s["chat_id"], s["text"]) for s in api.sent] == [("31", "Hello Ada"), ("31", "From the UI"), ("31", "And again")]


@pytest_twisted.ensureDeferred
async def test_new_from_a_channel_resets_like_sessions_reset(gateway, upstream, api):
    upstream.reply(text_reply("noted"))
    watcher = await operator(gateway)
    await watcher.call("sessions.subscribe", {})
    await api.until(lambda a: any(m == "getUpdates" for m, _ in a.calls))
    api.push(private("remember this", userId=31))
    await api.until(lambda a: [s for s in a.sent if s["text"] == "noted"])
    api.push(private("/new", userId=31, message_id=2))
    await api.until(lambda a: [s for s in a.sent if s["text"] == "New session started."])
    reset = await event_arrived(watcher, lambda f: f["event"] == "sessions.changed" and f["payload"].get("reason") == "reset")
    assert reset["payload"]["sessionKey"] == KEY
