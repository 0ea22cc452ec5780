"""
POST /tools/invoke on a real gateway on 127.0.0.1: every row of the status table
(http-api.md §5), the HTTP hard deny list and its hot shaping by gateway.tools,
and the same code path from the WebSocket `tools.invoke` method.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pytest_twisted
import treq

from openclaw.agents.tools.base import AgentTool, ToolError
from openclaw.agents.tools.registry import ToolRegistry
from tests.conftest import TOKEN, local_config, serving, start_gateway

AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Broken(AgentTool):
    """A tool with a bug: its failure must not reach the caller."""

    name = "broken"

    def run(self, args, context):
        raise RuntimeError("secret detail of the bug")


class Picky(AgentTool):
    """A tool with an C{action} argument that refuses what it does not know."""

    name = "picky"
    parameters = {"type": "object", "properties": {"action": {"type": "string"}}}

    def run(self, args, context):
        from openclaw.agents.tools.base import ToolResult

        if args.get("action") != "json":
            raise ToolError(f"unknown action: {args.get('action')}")
        return ToolResult("picked", {"action": args["action"]})


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    path.mkdir()
    (path / "notes.txt").write_text("first line\nsecond line\n")
    return path


@pytest_twisted.async_yield_fixture
async def gateway(reactor, environ, workspace):
    """No model is needed: a gateway whose failed-auth limiter also counts loopback."""
    config = local_config(auth={"token": TOKEN, "rateLimit": {"maxAttempts": 2, "exemptLoopback": False}})
    config["agents"] = {"defaults": {"workspace": str(workspace)}, "entries": {"main": {}, "work": {}}}
    config["tools"] = {"deny": ["web_fetch"]}
    async with serving(start_gateway(reactor, environ, config), reactor) as running:
        yield running


@pytest.fixture
def with_test_tools(gateway):
    runtime = gateway.service.tree.agents
    runtime.tools = ToolRegistry([*runtime.tools.all(), Broken(), Picky()])
    return gateway


async def post(gateway, body, headers=AUTH, path="/tools/invoke", method="POST", raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    response = await treq.request(method, gateway.http + path, data=data, headers=headers, persistent=False)
    return response, await response.content()


def header(response, name):
    return response.headers.getRawHeaders(name, [None])[0]


async def invoked(gateway, body, status):
    response, content = await post(gateway, body)
    assert response.code == status, content
    assert header(response, "content-type") == "application/json; charset=utf-8"
    return json.loads(content)


@pytest_twisted.ensureDeferred
async def test_200_runs_the_tool_in_the_agents_workspace(gateway, workspace):
    answer = await invoked(gateway, {"tool": "read", "args": {"path": "notes.txt", "limit": 1}}, 200)
    assert answer == {"ok": True, "result": {
        "content": [{"type": "text", "text": "first line\n"}],
        "details": {"path": str(workspace / "notes.txt"), "lines": 1, "totalLines": 2, "truncated": False},
    }}


@pytest_twisted.ensureDeferred
async def test_name_wins_over_tool_and_the_main_session_is_the_agents(gateway):
    answer = await invoked(gateway, {"name": "session_status", "tool": "exec", "agentId": "work"}, 400)
    # session_status ran (not exec) in agent:work:main, which has no session yet
    assert answer == {"ok": False, "error": {"type": "tool_error", "message": "no session agent:work:main"}}


@pytest.mark.parametrize("body, message", [
    ({}, "tools.invoke requires name"),
    ({"tool": "   "}, "tools.invoke requires name"),
    ({"tool": "read", "agentId": "ghost"}, 'Unknown agent id "ghost"'),
    ({"tool": "read", "agentId": "work", "sessionKey": "agent:main:main"},
     'agent id "work" does not match session agent "main"'),
])
@pytest_twisted.ensureDeferred
async def test_400_invalid_request(gateway, body, message):
    assert await invoked(gateway, body, 400) == {"ok": False, "error": {"type": "invalid_request", "message": message}}


@pytest_twisted.ensureDeferred
async def test_400_tool_error_for_arguments_the_tool_refuses(gateway):
    answer = await invoked(gateway, {"tool": "read", "args": {"path": "../outside.txt"}}, 400)
    assert answer == {"ok": False, "error": {"type": "tool_error", "message": "path is outside the workspace: ../outside.txt"}}


@pytest_twisted.ensureDeferred
async def test_action_is_copied_into_the_args_of_a_tool_that_has_one(with_test_tools):
    answer = await invoked(with_test_tools, {"tool": "picky", "action": "json"}, 200)
    assert answer["result"]["details"] == {"action": "json"}
    answer = await invoked(with_test_tools, {"tool": "picky", "action": "json", "args": {"action": "xml"}}, 400)
    assert answer["error"]["message"] == "unknown action: xml"


@pytest.mark.parametrize("tool", ["nope", "exec", "bash", "web_fetch"])
@pytest_twisted.ensureDeferred
async def test_404_for_unknown_tools_the_deny_list_and_the_policy(gateway, tool):
    # exec (and its alias bash) are on the HTTP hard deny list; web_fetch is denied by tools.deny
    answer = await invoked(gateway, {"tool": tool}, 404)
    assert answer == {"ok": False, "error": {"type": "not_found", "message": f"Tool not available: {tool}"}}


@pytest_twisted.ensureDeferred
async def test_500_hides_what_broke(with_test_tools):
    answer = await invoked(with_test_tools, {"tool": "broken"}, 500)
    assert answer == {"ok": False, "error": {"type": "tool_error", "message": "tool execution failed"}}


@pytest_twisted.ensureDeferred
async def test_405_401_and_the_shared_limiters_429(gateway):
    response, body = await post(gateway, None, method="GET")
    assert (response.code, header(response, "allow"), body) == (405, "POST", b"Method Not Allowed")
    response, body = await post(gateway, {"tool": "read"}, headers={})
    assert response.code == 401 and json.loads(body) == {"error": {"message": "Unauthorized", "type": "unauthorized"}}
    for _ in range(2):
        response, _ = await post(gateway, {"tool": "read"}, headers={"Authorization": "Bearer wrong"})
        assert response.code == 401
    response, body = await post(gateway, {"tool": "read"}, headers={"Authorization": "Bearer wrong"})
    assert response.code == 429 and int(header(response, "retry-after")) > 0
    assert json.loads(body)["error"]["type"] == "rate_limited"
    # locked out, even the right Bearer is refused until the lock-out ends
    response, _ = await post(gateway, {"tool": "read"})
    assert response.code == 429


@pytest_twisted.ensureDeferred
async def test_400_and_413_for_bodies(gateway):
    response, body = await post(gateway, None, raw=b"{not json")
    assert response.code == 400 and json.loads(body) == {"error": {"message": "Invalid JSON body", "type": "invalid_request_error"}}
    response, body = await post(gateway, None, raw=b'{"tool": "' + b"x" * (2 * 1024 * 1024) + b'"}')
    assert response.code == 413 and json.loads(body)["error"]["message"] == "Payload too large"


@pytest_twisted.ensureDeferred
async def test_gateway_tools_allow_and_deny_apply_hot(gateway):
    tree = gateway.service.tree
    client = await gateway.connect(scopes=["operator.admin"])
    base = (await client.call("config.get"))["hash"]
    patch = {"gateway": {"tools": {"allow": ["exec"], "deny": ["read"]}}}
    await client.call("config.patch", {"raw": json.dumps(patch), "baseHash": base})
    await gateway.service.reload.settled()
    assert gateway.service.tree is tree  # applied without a restart
    answer = await invoked(gateway, {"tool": "exec", "args": {"command": "echo hot"}}, 200)
    assert answer["result"]["content"][0]["text"].strip() == "hot"
    assert (await invoked(gateway, {"tool": "read", "args": {"path": "notes.txt"}}, 404))["error"]["type"] == "not_found"


# the WebSocket method ---------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_ws_tools_invoke_answers_on_the_same_path(with_test_tools, workspace):
    client = await with_test_tools.connect(scopes=["operator.write"])
    ok = await client.call("tools.invoke", {"name": "read", "args": {"path": "notes.txt", "limit": 1}})
    assert ok == {"ok": True, "toolName": "read", "source": "core", "output": {
        "content": [{"type": "text", "text": "first line\n"}],
        "details": {"path": str(workspace / "notes.txt"), "lines": 1, "totalLines": 2, "truncated": False},
    }}
    for params, code, message in [
        ({"name": "exec"}, "not_found", "Tool not available: exec"),
        ({"name": "read", "agentId": "ghost"}, "validation_error", 'Unknown agent id "ghost"'),
        ({"name": "read", "args": {"path": "/etc/passwd"}}, "internal_error", "path is outside the workspace: /etc/passwd"),
        ({"name": "broken"}, "internal_error", "tool execution failed"),
    ]:
        answer = await client.call("tools.invoke", params)
        assert answer == {"ok": False, "toolName": params["name"], "error": {"code": code, "message": message}}


@pytest_twisted.ensureDeferred
async def test_ws_tools_invoke_needs_write_and_a_name(gateway):
    from openclaw.cli.client import GatewayCallError

    reader = await gateway.connect(scopes=["operator.read"])
    with pytest.raises(GatewayCallError) as caught:
        await reader.call("tools.invoke", {"name": "read"})
    assert caught.value.message == "missing scope: operator.write"
    writer = await gateway.connect(scopes=["operator.write"])
    with pytest.raises(GatewayCallError) as caught:
        await writer.call("tools.invoke", {"tool": "read"})
    assert caught.value.code == "INVALID_REQUEST"


@pytest_twisted.ensureDeferred
async def test_tools_invoke_is_on_without_any_config(reactor, environ):
    async with serving(start_gateway(reactor, environ, local_config()), reactor) as gateway:
        answer = await invoked(gateway, {"tool": "sessions_list"}, 200)
        assert answer["result"]["details"] == {"count": 0, "sessions": []}
