"""
GET /sessions/<key>/history and POST /sessions/<key>/kill on a real gateway on
127.0.0.1, with sessions made by runs against a scripted model upstream.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
import pytest_twisted
import treq
from twisted.internet.defer import Deferred

from tests.agents.runs.conftest import (  # noqa: F401 (fixtures)
    agent_defaults, chunk, clock, gateway, operator, terminal_chat, text_reply,
)
from tests.agents.upstream import Reply, upstream  # noqa: F401 (fixture)
from tests.conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def request(gateway, method, path, headers=AUTH):
    response = await treq.request(method, gateway.http + path, headers=headers, persistent=False)
    return response, await response.content()


def answer(response, body, status):
    assert response.code == status, body
    assert response.headers.getRawHeaders("content-type") == ["application/json; charset=utf-8"]
    return json.loads(body)


async def converse(gateway, upstream, *turns: str) -> None:
    """One run per turn in the main session, each answered with C{re: <turn>}."""
    client = await operator(gateway)
    for i, turn in enumerate(turns):
        upstream.reply(text_reply(f"re: {turn}"))
        await client.call("agent", {"message": turn, "idempotencyKey": f"turn-{i}"}, expectFinal=True)


def texts(messages) -> list[str]:
    return [m["content"][0]["text"] for m in messages]


@pytest_twisted.ensureDeferred
async def test_history_pages_back_with_a_cursor(gateway, upstream):
    await converse(gateway, upstream, "one", "two", "three")
    everything = answer(*(await request(gateway, "GET", "/sessions/agent%3Amain%3Amain/history")), 200)
    assert everything["sessionKey"] == "agent:main:main" and everything["hasMore"] is False
    assert texts(everything["messages"]) == ["one", "re: one", "two", "re: two", "three", "re: three"]
    assert everything["items"] == everything["messages"] and "nextCursor" not in everything

    newest = answer(*(await request(gateway, "GET", "/sessions/main/history?limit=4")), 200)
    assert texts(newest["messages"]) == ["two", "re: two", "three", "re: three"]
    assert newest["hasMore"] is True
    older = answer(*(await request(gateway, "GET", f"/sessions/main/history?limit=4&cursor=seq:{newest['nextCursor']}")), 200)
    assert texts(older["messages"]) == ["one", "re: one"] and older["hasMore"] is False


@pytest.mark.parametrize("query, message", [
    ("limit=0", "limit must be a positive integer"),
    ("limit=two", "limit must be a positive integer"),
    ("cursor=seq:x", "cursor must be a positive integer"),
])
@pytest_twisted.ensureDeferred
async def test_history_query_errors(gateway, query, message):
    body = answer(*(await request(gateway, "GET", f"/sessions/main/history?{query}")), 400)
    assert body == {"error": {"message": message, "type": "invalid_request_error"}}


@pytest_twisted.ensureDeferred
async def test_unknown_sessions_methods_and_auth(gateway):
    body = answer(*(await request(gateway, "GET", "/sessions/agent%3Amain%3Anope/history")), 404)
    assert body == {"ok": False, "error": {"type": "not_found", "message": "Session not found: agent:main:nope"}}
    body = answer(*(await request(gateway, "POST", "/sessions/nope/kill")), 404)
    assert body["error"]["message"] == "Session not found: nope"
    response, body = await request(gateway, "POST", "/sessions/main/history")
    assert (response.code, response.headers.getRawHeaders("allow")) == (405, ["GET"])
    response, body = await request(gateway, "GET", "/sessions/main/kill")
    assert (response.code, response.headers.getRawHeaders("allow")) == (405, ["POST"])
    for method, path in (("GET", "/sessions/main/history"), ("POST", "/sessions/main/kill")):
        body = answer(*(await request(gateway, method, path, headers={})), 401)
        assert body == {"error": {"message": "Unauthorized", "type": "unauthorized"}}
    body = answer(*(await request(gateway, "GET", f"/sessions/{quote(' ')}/history")), 400)
    assert body == {"error": {"message": "invalid session key", "type": "invalid_request_error"}}


@pytest_twisted.ensureDeferred
async def test_kill_stops_the_run_in_the_session(gateway, upstream):
    await converse(gateway, upstream, "warm up")
    gate: Deferred = Deferred()
    upstream.reply(Reply([chunk({"role": "assistant", "content": "thinking"}), gate]))
    client = await operator(gateway)
    accepted = await client.call("agent", {"message": "long job", "idempotencyKey": "long"})
    assert accepted["status"] == "accepted"
    await upstream.arrived(2)
    ended = terminal_chat(client, "long")
    body = answer(*(await request(gateway, "POST", "/sessions/agent%3Amain%3Amain/kill")), 200)
    assert body == {"ok": True, "killed": True}
    assert (await ended)["payload"]["state"] == "aborted"
    body = answer(*(await request(gateway, "POST", "/sessions/main/kill")), 200)
    assert body == {"ok": True, "killed": False}
    gate.callback(None)
