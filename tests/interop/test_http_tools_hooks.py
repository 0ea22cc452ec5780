"""
/tools/invoke, the hooks and the /sessions HTTP routes, side by side: the same
requests against our gateway and against the real, unmodified OpenClaw 2026.9.6
gateway (each a child process with the same config), compared in status, the
headers that matter (content type, Allow, Retry-After) and the body: exactly where
the answer is deterministic, by shape (keys and value types) where it names ids,
times or runtime state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
import treq

from tests.conftest import TOKEN, HeldPorts
from tests.e2e.conftest import Install
from tests.e2e.processes import spawn

HOOK_TOKEN = "hook-token-9876543210fedcba"
#: The real gateway loads its plugins first: tens of seconds on a busy machine.
REAL_START_TIMEOUT = 240.0
READY = r"\[gateway\] ready"

HOOKS = {
    "enabled": True,
    "token": HOOK_TOKEN,
    "mappings": [{"match": {"path": "github"}, "messageTemplate": "PR {{payload.title}}"}],
}


@pytest.fixture(scope="module")
def interop_extra_config() -> dict[str, Any]:
    return {"hooks": HOOKS}


@pytest_twisted.async_yield_fixture(scope="module")
async def real_gateway(reactor, real_openclaw, tmp_path_factory):
    """The real OpenClaw gateway on a port of its own, with the config our gateway has."""
    root = Path(tmp_path_factory.mktemp("real-gateway"))
    site = Install(root)
    held = HeldPorts()
    port = held.reserve()
    site.write_config({
        "gateway": {"mode": "local", "port": port, "auth": {"mode": "token", "token": TOKEN}},
        "hooks": HOOKS,
        "update": {"checkOnStart": False},
    })
    child = spawn(reactor, real_openclaw.argv("gateway"), real_openclaw.environ(site.env), root, name="real gateway")
    try:
        await child.line(READY, "any", timeout=REAL_START_TIMEOUT)
        yield f"http://127.0.0.1:{port}"
    finally:
        if not child.ended:
            child.signal("TERM")
            await child.exited(timeout=60)
        held.close()


def shape(value: Any) -> Any:
    """Keys and value types, without the values."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


async def ask(base: str, method: str, path: str, headers: dict[str, str], body: Any) -> dict[str, Any]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    response = await treq.request(method, base + path, data=data, headers=headers, persistent=False)
    content = await response.content()
    kind = (response.headers.getRawHeaders("content-type") or [""])[0]
    return {
        "status": response.code,
        "contentType": kind,
        "allow": response.headers.getRawHeaders("allow"),
        "retryAfter": response.headers.getRawHeaders("retry-after") is not None,
        "body": json.loads(content) if kind.startswith("application/json") else content.decode(),
    }


GATEWAY = {"Authorization": f"Bearer {TOKEN}"}
HOOK = {"X-OpenClaw-Token": HOOK_TOKEN}

#: (method, path, headers, body, compare the body exactly?)
CASES = [
    # /tools/invoke
    ("POST", "/tools/invoke", {}, {"tool": "sessions_list"}, True),
    ("GET", "/tools/invoke", GATEWAY, None, True),
    ("POST", "/tools/invoke", GATEWAY, {}, True),
    ("POST", "/tools/invoke", GATEWAY, {"tool": "nope"}, True),
    ("POST", "/tools/invoke", GATEWAY, {"tool": "exec", "args": {"command": "true"}}, True),
    ("POST", "/tools/invoke", GATEWAY, {"tool": "sessions_spawn"}, True),
    ("POST", "/tools/invoke", GATEWAY, {"tool": "read", "agentId": "ghost"}, True),
    ("POST", "/tools/invoke", GATEWAY, b"{not json", False),
    # hooks, in their order of checks
    ("POST", f"/hooks/agent?token={HOOK_TOKEN}", HOOK, {"message": "x"}, True),
    ("GET", "/hooks/agent", HOOK, None, True),
    ("POST", "/hooks/agent", GATEWAY, {"message": "x"}, True),
    ("POST", "/hooks/agent", {"Authorization": "Bearer wrong", **HOOK}, {"message": "x"}, True),
    ("POST", "/hooks", HOOK, {"message": "x"}, True),
    ("POST", "/hooks/agent", HOOK, {}, True),
    ("POST", "/hooks/agent", HOOK, b"{oops", False),
    ("POST", "/hooks/agent", HOOK, {"message": "x", "waitForCompletion": 1}, True),
    ("POST", "/hooks/agent", HOOK, {"message": "x", "agentId": "ghost"}, True),
    ("POST", "/hooks/agent", HOOK, {"message": "x", "sessionMode": "persistent"}, True),
    ("POST", "/hooks/agent", HOOK, {"message": "x", "sessionKey": "hook:mine"}, True),
    ("POST", "/hooks/wake", HOOK, {"mode": "now"}, True),
    ("POST", "/hooks/wake", {"Authorization": f"Bearer {HOOK_TOKEN}"}, {"text": "Build finished"}, True),
    ("POST", "/hooks/github", HOOK, {"title": "Fix it"}, False),
    ("POST", "/hooks/gitlab", HOOK, {"title": "Fix it"}, True),
    # /sessions
    ("GET", "/sessions/agent%3Amain%3Anope/history", GATEWAY, None, True),
    ("GET", "/sessions/main/history?limit=0", GATEWAY, None, True),
    ("GET", "/sessions/main/history?cursor=x", GATEWAY, None, True),
    ("GET", "/sessions/main/history", {}, None, True),
    ("POST", "/sessions/main/history", GATEWAY, None, True),
    ("GET", "/sessions/main/kill", GATEWAY, None, True),
]


@pytest.mark.parametrize("method, path, headers, body, exact", CASES, ids=[f"{c[0]} {c[1]} {i}" for i, c in enumerate(CASES)])
@pytest_twisted.ensureDeferred
async def test_both_gateways_answer_alike(interop, real_gateway, method, path, headers, body, exact):
    ours = await ask(f"http://127.0.0.1:{interop.port}", method, path, headers, body)
    theirs = await ask(real_gateway, method, path, headers, body)
    if not exact:
        ours["body"], theirs["body"] = shape(ours["body"]), shape(theirs["body"])
    assert ours == theirs


@pytest_twisted.ensureDeferred
async def test_a_tool_both_run_answers_in_the_same_shape(interop, real_gateway):
    body = {"tool": "sessions_list"}
    ours = await ask(f"http://127.0.0.1:{interop.port}", "POST", "/tools/invoke", GATEWAY, body)
    theirs = await ask(real_gateway, "POST", "/tools/invoke", GATEWAY, body)
    assert ours["status"] == theirs["status"] == 200
    for answer in (ours["body"], theirs["body"]):
        assert answer["ok"] is True and shape(answer["result"]["content"]) == [{"type": "str", "text": "str"}]
        assert {"count", "sessions"} <= set(answer["result"]["details"])


@pytest_twisted.ensureDeferred
async def test_kill_with_the_shared_secret_is_where_we_differ(interop, real_gateway):
    # The reference trusts no declared scopes from a shared-secret caller on this route
    # and refuses it; this gateway treats the shared secret as the owner (http-api.md §2).
    theirs = await ask(real_gateway, "POST", "/sessions/nope/kill", GATEWAY, None)
    assert theirs["status"] == 403 and theirs["body"]["error"]["message"] == "missing scope: operator.admin"
    ours = await ask(f"http://127.0.0.1:{interop.port}", "POST", "/sessions/nope/kill", GATEWAY, None)
    assert ours["status"] == 404 and ours["body"]["error"] == {"type": "not_found", "message": "Session not found: nope"}
