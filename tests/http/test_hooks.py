"""
Webhooks on a real gateway on 127.0.0.1 whose model is a scripted upstream: the
order of checks of http-api.md §6 row by row, the failure limiter on the
gateway's clock, the agent and wake hooks, session-key and agent rules,
mappings with templates, and `hooks.*` edits applied without a restart.
"""

from __future__ import annotations

import json

import pytest
import pytest_twisted
import treq

from tests.agents.runs.conftest import RetryClock, run_config, text_reply
from tests.agents.upstream import upstream  # noqa: F401 (fixture)
from tests.conftest import TOKEN, local_config, serving, start_gateway

HOOK_TOKEN = "hook-token-9876543210fedcba"
BEARER = {"Authorization": f"Bearer {HOOK_TOKEN}"}


@pytest.fixture
def clock(reactor):
    return RetryClock(reactor)


@pytest.fixture
def hooks_config() -> dict:
    """Override in a test with C{pytest.mark.parametrize(..., indirect=True)} or a module fixture."""
    return {}


@pytest_twisted.async_yield_fixture
async def gateway(reactor, environ, upstream, clock, hooks_config):
    config = run_config(upstream.base)
    config["agents"]["entries"] = {"main": {}, "work": {}}
    config["hooks"] = {"enabled": True, "token": HOOK_TOKEN, **hooks_config}
    async with serving(start_gateway(reactor, environ, config, clock=clock), reactor) as running:
        yield running


async def post(gateway, path, body=None, headers=BEARER, method="POST", raw=None):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    response = await treq.request(method, gateway.http + path, data=data, headers=headers, persistent=False)
    return response, await response.content()


def header(response, name):
    return response.headers.getRawHeaders(name, [None])[0]


def text(response, body, status):
    assert response.code == status, body
    assert header(response, "content-type") == "text/plain; charset=utf-8"
    return body.decode()


def answer(response, body, status):
    assert response.code == status, body
    assert header(response, "content-type") == "application/json; charset=utf-8"
    return json.loads(body)


async def patch_config(gateway, patch: dict) -> None:
    client = await gateway.connect(scopes=["operator.admin"])
    base = (await client.call("config.get"))["hash"]
    await client.call("config.patch", {"raw": json.dumps(patch), "baseHash": base})
    await gateway.service.reload.settled()


def user_text(seen) -> str:
    """The last user message the upstream was sent."""
    user = [m for m in seen.body["messages"] if m["role"] == "user"][-1]
    content = user["content"]
    return content if isinstance(content, str) else "".join(p.get("text", "") for p in content)


# the order of checks ------------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_disabled_hooks_answer_404_naming_the_key(reactor, environ):
    async with serving(start_gateway(reactor, environ, local_config()), reactor) as gateway:
        response, body = await post(gateway, "/hooks/agent", {"message": "hi"})
        error = answer(response, body, 404)["error"]
        assert error["configKey"] == "hooks.enabled" and "hooks.enabled" in error["message"]


@pytest_twisted.ensureDeferred
async def test_a_token_in_the_query_is_refused_first(gateway):
    for method in ("POST", "GET"):
        response, body = await post(gateway, f"/hooks/agent?token={HOOK_TOKEN}", {"message": "hi"}, method=method)
        assert text(response, body, 400) == (
            "Hook token must be provided via Authorization: Bearer <token> or X-OpenClaw-Token header "
            "(query parameters are not allowed)."
        )


@pytest_twisted.ensureDeferred
async def test_only_post_then_the_token(gateway):
    response, body = await post(gateway, "/hooks/agent", method="GET", headers={})
    assert text(response, body, 405) == "Method Not Allowed" and header(response, "allow") == "POST"
    for headers in ({}, {"Authorization": f"Bearer {TOKEN}"}, {"X-OpenClaw-Token": "wrong"},
                    {"Authorization": "Bearer wrong", "X-OpenClaw-Token": HOOK_TOKEN}):
        response, body = await post(gateway, "/hooks/wake", {"text": "x"}, headers=headers)
        assert text(response, body, 401) == "Unauthorized", headers


@pytest.mark.parametrize("headers", [
    BEARER, {"X-OpenClaw-Token": HOOK_TOKEN}, {"Authorization": "Bearer ", "X-OpenClaw-Token": HOOK_TOKEN},
])
@pytest_twisted.ensureDeferred
async def test_bearer_or_x_openclaw_token(gateway, upstream, headers):
    upstream.reply(text_reply("ok"))
    response, body = await post(gateway, "/hooks/wake", {"text": "ping"}, headers=headers)
    assert answer(response, body, 200) == {"ok": True, "mode": "now", "eventOutcome": "queued"}


@pytest_twisted.ensureDeferred
async def test_twenty_misses_lock_the_address_out_for_a_minute(gateway, clock):
    for _ in range(20):
        response, _ = await post(gateway, "/hooks/wake", {"text": "x"}, headers={"X-OpenClaw-Token": "guess"})
        assert response.code == 401
    response, body = await post(gateway, "/hooks/wake", {"text": "x"}, headers={"X-OpenClaw-Token": "guess"})
    assert text(response, body, 429) == "Too Many Requests" and header(response, "retry-after") == "60"
    clock.advance(30)
    response, _ = await post(gateway, "/hooks/wake", {"text": "x"}, headers={"X-OpenClaw-Token": "guess"})
    assert response.code == 429 and header(response, "retry-after") == "30"
    clock.advance(30)
    response, _ = await post(gateway, "/hooks/wake", {"text": "x"}, headers={"X-OpenClaw-Token": "guess"})
    assert response.code == 401


@pytest_twisted.ensureDeferred
async def test_the_right_token_clears_the_count(gateway, upstream):
    upstream.reply(text_reply("ok"))
    for _ in range(19):
        await post(gateway, "/hooks/wake", {"text": "x"}, headers={"X-OpenClaw-Token": "guess"})
    response, _ = await post(gateway, "/hooks/wake", {"text": "x"})
    assert response.code == 200
    for _ in range(19):
        response, _ = await post(gateway, "/hooks/wake", {"text": "x"}, headers={"X-OpenClaw-Token": "guess"})
        assert response.code == 401


@pytest_twisted.ensureDeferred
async def test_the_bare_path_and_the_body(gateway):
    for path in ("/hooks", "/hooks/"):
        response, body = await post(gateway, path, {"message": "x"})
        assert text(response, body, 404) == "Not Found"
    response, body = await post(gateway, "/hooks/agent", raw=b'{"message": "' + b"x" * (257 * 1024) + b'"}')
    assert answer(response, body, 413) == {"ok": False, "error": "payload too large"}
    response, body = await post(gateway, "/hooks/agent", raw=b"{oops")
    assert answer(response, body, 400) == {"ok": False, "error": "Invalid JSON body"}
    response, body = await post(gateway, "/hooks/agent", raw=b"")  # no body: an empty object
    assert answer(response, body, 400) == {"ok": False, "error": "message required"}


# /agent ---------------------------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_agent_hook_runs_in_a_fresh_hook_session(gateway, upstream):
    upstream.reply(text_reply("Done", "."))
    response, body = await post(gateway, "/hooks/agent", {"message": "New order #12", "waitForCompletion": True},
                                headers={**BEARER, "Content-Type": "text/plain"})  # content type not required
    result = answer(response, body, 200)
    assert result["ok"] is True and result["completion"] == {"status": "ok", "replyDisposition": "visible"}
    assert user_text(upstream.requests[-1]) == "New order #12"
    run = gateway.service.tree.agents.runs.get(result["runId"])
    assert run.request.agentId == "main" and run.request.sessionKey.startswith("agent:main:hook:")


@pytest_twisted.ensureDeferred
async def test_agent_hook_answers_once_admitted(gateway, upstream):
    upstream.reply(text_reply("later"))
    response, body = await post(gateway, "/hooks/agent", {"message": "go", "agentId": "WORK"})
    result = answer(response, body, 200)
    assert set(result) == {"ok", "runId"}
    run = gateway.service.tree.agents.runs.get(result["runId"])
    assert run.request.agentId == "work"
    await run.whenDone()


@pytest.mark.parametrize("body, error", [
    ({}, "message required"),
    ({"message": "  "}, "message required"),
    ({"message": "x", "waitForCompletion": "yes"}, "waitForCompletion must be boolean"),
    ({"message": "x", "agentId": ""}, "agentId must be a non-empty string"),
    ({"message": "x", "agentId": "ghost"}, 'unknown agentId "ghost"'),
    ({"message": "x", "sessionMode": "forever"}, "sessionMode must be isolated or persistent"),
    ({"message": "x", "sessionMode": "persistent"}, "sessionKey is required when sessionMode is persistent"),
    ({"message": "x", "sessionKey": "hook:mine"},
     "sessionKey is disabled for externally supplied hook payload values; set hooks.allowRequestSessionKey=true to enable"),
    ({"message": "x", "model": ""}, "model required"),
])
@pytest_twisted.ensureDeferred
async def test_agent_hook_refusals(gateway, body, error):
    response, content = await post(gateway, "/hooks/agent", body)
    assert answer(response, content, 400) == {"ok": False, "error": error}


@pytest.mark.parametrize("hooks_config", [{"allowedAgentIds": ["main"]}])
@pytest_twisted.ensureDeferred
async def test_allowed_agent_ids(gateway, upstream):
    response, body = await post(gateway, "/hooks/agent", {"message": "x", "agentId": "work"})
    assert answer(response, body, 400) == {"ok": False, "error": "agentId is not allowed by hooks.allowedAgentIds"}
    upstream.reply(text_reply("fine"))
    response, body = await post(gateway, "/hooks/agent", {"message": "x", "waitForCompletion": True})
    assert answer(response, body, 200)["completion"]["status"] == "ok"


@pytest.mark.parametrize("hooks_config", [{"allowedAgentIds": []}])
@pytest_twisted.ensureDeferred
async def test_an_empty_allow_list_admits_no_agent(gateway):
    response, body = await post(gateway, "/hooks/wake", {"text": "x"})
    assert answer(response, body, 400) == {"ok": False, "error": "agentId is not allowed by hooks.allowedAgentIds"}


@pytest.mark.parametrize("hooks_config", [{
    "allowRequestSessionKey": True, "allowedSessionKeyPrefixes": ["hook:", "agent:work:crm:"],
}])
@pytest_twisted.ensureDeferred
async def test_request_session_keys_need_an_allowed_prefix(gateway, upstream):
    response, body = await post(gateway, "/hooks/agent", {"message": "x", "sessionKey": "agent:main:main"})
    assert answer(response, body, 400) == {"ok": False, "error": "sessionKey must start with one of: hook:, agent:work:crm:"}
    # an agent-scoped key is rescoped to the target agent, and checked again
    response, body = await post(gateway, "/hooks/agent", {"message": "x", "agentId": "main", "sessionKey": "agent:work:crm:7"})
    assert answer(response, body, 400)["error"].startswith("sessionKey must start with one of")
    upstream.reply(text_reply("a"), text_reply("b"))
    for payload, key in [({"sessionKey": "hook:ticket-9"}, "agent:main:hook:ticket-9"),
                         ({"agentId": "work", "sessionKey": "agent:work:crm:7", "sessionMode": "persistent"},
                          "agent:work:crm:7")]:
        response, body = await post(gateway, "/hooks/agent", {"message": "x", "waitForCompletion": True, **payload})
        runId = answer(response, body, 200)["runId"]
        assert gateway.service.tree.agents.runs.get(runId).request.sessionKey == key


@pytest.mark.parametrize("hooks_config", [{"defaultSessionKey": "hook:inbox"}])
@pytest_twisted.ensureDeferred
async def test_default_session_key_and_replays(gateway, upstream):
    upstream.reply(text_reply("one"))
    first = answer(*(await post(gateway, "/hooks/agent", {"message": "x", "idempotencyKey": "evt-1", "waitForCompletion": True})), 200)
    run = gateway.service.tree.agents.runs.get(first["runId"])
    assert run.request.sessionKey == "agent:main:hook:inbox"
    # the same key again (as a header this time): the same run, no second model call
    again = answer(*(await post(gateway, "/hooks/agent", {"message": "x"}, headers={**BEARER, "Idempotency-Key": "evt-1"})), 200)
    assert again["runId"] == first["runId"] and len(upstream.requests) == 1
    upstream.reply(text_reply("two"))
    other = answer(*(await post(gateway, "/hooks/agent", {"message": "y", "idempotencyKey": "evt-1", "waitForCompletion": True})), 200)
    assert other["runId"] != first["runId"] and len(upstream.requests) == 2


# /wake --------------------------------------------------------------------------


def heartbeat_runs(gateway) -> list:
    runs = gateway.service.tree.agents.runs._runs.values()
    return [r for r in runs if r.request.kind == "heartbeat"]


@pytest_twisted.ensureDeferred
async def test_wake_is_a_system_event_for_the_agents_next_heartbeat(gateway, upstream):
    response, body = await post(gateway, "/hooks/wake", {"mode": "now"})
    assert answer(response, body, 400) == {"ok": False, "error": "text required"}
    response, body = await post(gateway, "/hooks/wake", {"text": "x", "mode": "next-heartbeat", "sessionKey": "hook:a"})
    assert answer(response, body, 400) == {"ok": False, "error": "sessionKey requires mode=now"}
    # next-heartbeat: queued for the next beat, nothing runs now
    response, body = await post(gateway, "/hooks/wake", {"text": "Disk at 91%", "mode": "next-heartbeat", "agentId": "work"})
    assert answer(response, body, 200) == {"ok": True, "mode": "next-heartbeat", "eventOutcome": "queued"}
    assert heartbeat_runs(gateway) == []
    # now: a heartbeat at once, which takes every event queued for the session
    upstream.reply(text_reply("noted"))
    response, body = await post(gateway, "/hooks/wake", {"text": "Build finished", "agentId": "work"})
    assert answer(response, body, 200) == {"ok": True, "mode": "now", "eventOutcome": "queued"}
    seen = await upstream.arrived(1)
    assert "System event: Disk at 91%" in user_text(seen) and "System event: Build finished" in user_text(seen)
    (run,) = heartbeat_runs(gateway)
    assert run.request.sessionKey == "agent:work:main"
    await run.whenDone()


# mappings ------------------------------------------------------------------------

MAPPINGS = {
    # a templated session key comes from the sender: it needs the opt-in and a prefix list
    "allowRequestSessionKey": True,
    "allowedSessionKeyPrefixes": ["hook:"],
    "mappings": [
        {"match": {"path": "github", "source": "ci"}, "action": "wake", "textTemplate": "CI: {{payload.status}}"},
        {"match": {"path": "/github/"}, "name": "GitHub",
         "messageTemplate": "PR {{pull_request.title}} by {{headers.x-user}} #{{payload.labels[1]}} {{missing}}|{{query.ref}}",
         "sessionKey": "hook:pr-{{pull_request.number}}"},
        {"match": {"path": "empty"}, "messageTemplate": "{{nothing}}"},
        {"match": {"path": "keyed"}, "messageTemplate": "m", "sessionKey": "{{session}}"},
        {"match": {"path": "keep"}, "messageTemplate": "m", "sessionMode": "persistent"},
    ],
}


@pytest.mark.parametrize("hooks_config", [MAPPINGS])
@pytest_twisted.ensureDeferred
async def test_mappings_match_by_path_and_source_and_render_templates(gateway, upstream):
    upstream.reply(text_reply("seen"), text_reply("woken"))
    payload = {"pull_request": {"title": "Fix it", "number": 42}, "labels": ["a", "bug"]}
    response, body = await post(gateway, "/hooks/github?ref=main", payload, headers={**BEARER, "X-User": "ana"})
    runId = answer(response, body, 200)["runId"]
    run = gateway.service.tree.agents.runs.get(runId)
    assert run.request.message == "PR Fix it by ana #bug |main"
    assert run.request.sessionKey == "agent:main:hook:pr-42"
    await run.whenDone()
    response, body = await post(gateway, "/hooks/github", {"source": "ci", "status": "green"})
    assert answer(response, body, 200) == {"ok": True, "mode": "now", "eventOutcome": "queued"}
    assert "System event: CI: green" in user_text(await upstream.arrived(2))


@pytest.mark.parametrize("hooks_config", [MAPPINGS])
@pytest_twisted.ensureDeferred
async def test_mapping_misses_and_empty_renders(gateway):
    response, body = await post(gateway, "/hooks/gitlab", {"x": 1})
    assert text(response, body, 404) == "Not Found"
    response, body = await post(gateway, "/hooks/empty", {})
    assert answer(response, body, 400) == {"ok": False, "error": "hook mapping requires message"}
    response, body = await post(gateway, "/hooks/keyed", {"other": "t"})
    assert answer(response, body, 400) == {"ok": False, "error": "hook mapping sessionKey template rendered empty"}
    response, body = await post(gateway, "/hooks/keyed", {"session": "crm:1"})
    assert answer(response, body, 400) == {"ok": False, "error": "sessionKey must start with one of: hook:"}
    response, body = await post(gateway, "/hooks/keep", {})
    assert answer(response, body, 400) == {
        "ok": False, "error": "sessionKey or hooks.defaultSessionKey is required when mapped hook sessionMode is persistent",
    }


# hot edits ---------------------------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_hooks_edits_apply_without_a_restart(gateway, upstream):
    tree = gateway.service.tree
    await patch_config(gateway, {"hooks": {"path": "/in/", "token": "another-hook-token-0123456789"}})
    assert gateway.service.tree is tree
    response, _ = await post(gateway, "/hooks/wake", {"text": "x"})
    assert response.code == 404  # no longer a hooks path
    response, body = await post(gateway, "/in/wake", {"text": "x"})
    assert text(response, body, 401) == "Unauthorized"  # the old token
    upstream.reply(text_reply("ok"))
    response, body = await post(gateway, "/in/wake", {"text": "x"}, headers={"X-OpenClaw-Token": "another-hook-token-0123456789"})
    assert answer(response, body, 200)["ok"] is True
    await patch_config(gateway, {"hooks": {"enabled": False}})
    response, body = await post(gateway, "/in/wake", {"text": "x"})
    assert answer(response, body, 404)["error"]["configKey"] == "hooks.enabled"
    assert gateway.service.tree is tree


@pytest.mark.parametrize("hooks, message", [
    ({"enabled": True}, "hooks.enabled requires hooks.token"),
    ({"enabled": True, "token": "t-0123456789abcdef", "path": "/"}, "hooks.path may not be '/'"),
    ({"token": {"source": "env", "provider": "default", "id": "HOOK"}}, "hooks.token must be a plain string"),
    ({"allowedSessionKeyPrefixes": ["crm:"]}, "hooks.allowedSessionKeyPrefixes must include 'hook:'"),
])
def test_a_hooks_section_the_gateway_refuses(environ, hooks, message):
    from openclaw.settings import StartupError
    from tests.conftest import make_gateway

    config = local_config()
    config["hooks"] = hooks
    with pytest.raises(StartupError) as caught:
        make_gateway(None, environ, config)
    assert message in caught.value.message and caught.value.exitCode == 78


def test_templates_render_values_and_never_follow_blocked_keys():
    from openclaw.gateway.http.hookactions import TemplateContext, render

    ctx = TemplateContext(
        "github", {"n": 3, "ok": True, "obj": {"a": [1, "x"]}, "list": ["p", "q"], "__proto__": {"polluted": 1}},
        {"x-user": "ana"}, {"ref": "main"}, lambda: 1767225600.5,
    )
    assert render("{{ n }}|{{ok}}|{{obj}}|{{payload.list[1]}}|{{list[5]}}|{{__proto__.polluted}}", ctx) == \
        '3|true|{"a":[1,"x"]}|q||'
    assert render("{{path}} {{now}} {{headers.x-user}} {{query.ref}} {{headers.none}}", ctx) == \
        "github 2026-01-01T00:00:00.500Z ana main "
