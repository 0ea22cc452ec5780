"""
`openclaw secrets configure` driven in a real terminal: the command runs as its own
process on a pseudo-terminal, the test answers its prompts as an operator would,
and the plan it saves and applies is checked on disk.
"""

from __future__ import annotations

import json
import os

import pytest_twisted

from tests.e2e.processes import OPENCLAW
from tests.support.terminal import spawn_terminal

OPENAI = "sk-openai-plaintext-7d6c5b4a39281706f5e4"
LOCAL = "sk-local-plaintext-1a2b3c4d5e6f70819203"
TOKEN = "gateway-token-plaintext-44556677889900aabb"


def _install(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    config = state / "openclaw.json"
    config.write_text(json.dumps({
        "gateway": {"mode": "local", "auth": {"token": TOKEN}},
        "models": {"providers": {"openai": {"apiKey": OPENAI}, "local": {"baseUrl": "http://127.0.0.1:9/v1", "apiKey": LOCAL}}},
    }))
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"models": {"local": LOCAL}}))
    os.chmod(secrets, 0o600)
    env = {
        "HOME": str(tmp_path), "OPENCLAW_STATE_DIR": str(state), "OPENCLAW_CONFIG_PATH": str(config),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NO_COLOR": "1", "OPENAI_API_KEY": OPENAI,
    }
    return config, secrets, env


@pytest_twisted.ensureDeferred
async def test_the_planner_in_a_terminal_saves_and_applies_a_plan(reactor, tmp_path):
    config, secrets, env = _install(tmp_path)
    planPath = tmp_path / "plan.json"
    argv = [OPENCLAW, "secrets", "configure", "--plan-out", str(planPath), "--apply"]
    term = spawn_terminal(reactor, argv, env, tmp_path)
    try:
        await term.expect("Step 1: secrets providers")
        await term.answer("Add or replace a provider? (y/n) [n]: ", "y")
        await term.answer("Provider alias: ", "vault")
        await term.answer("Source (env/file/exec) [file]: ", "")
        await term.answer("File path [", str(secrets))
        await term.answer("Mode (json/singleValue) [json]: ", "")
        await term.answer("Add or replace a provider? (y/n) [n]: ", "n")
        await term.expect("Step 2: plaintext credentials")
        await term.expect("gateway.auth.token holds a plaintext value.")
        await term.answer("Move it to a SecretRef? (y/n) [y]: ", "n")
        await term.expect("models.providers.openai.apiKey holds a plaintext value.")
        await term.answer("Move it to a SecretRef? (y/n) [y]: ", "")
        await term.answer("Source (env/file/exec) [env]: ", "")
        await term.answer("Provider alias [default]: ", "")
        await term.answer("Id [OPENAI_API_KEY]: ", "")
        await term.expect("models.providers.local.apiKey holds a plaintext value.")
        await term.answer("Move it to a SecretRef? (y/n) [y]: ", "y")
        await term.answer("Source (env/file/exec) [env]: ", "file")
        await term.answer("Provider alias [vault]: ", "")
        await term.answer("Id [/models/providers/local/apiKey]: ", "/models/local")
        await term.expect("Preflight: 2 ref(s) resolved.")
        await term.expect(f"Plan saved to {planPath} (refs only, no secret values).")
        await term.answer("Apply this plan now? (y/n) [n]: ", "y")
        await term.expect("Secrets applied. targets=2, providerUpserts=1, providerDeletes=0.")
        assert await term.exited() == 0, term.describe()
    finally:
        if not term.ended:
            await term.kill()

    plan = json.loads(planPath.read_text())
    assert plan["providerUpserts"] == {"vault": {"source": "file", "path": str(secrets)}}
    assert [(t["path"], t["ref"]) for t in plan["targets"]] == [
        ("models.providers.openai.apiKey", {"source": "env", "provider": "default", "id": "OPENAI_API_KEY"}),
        ("models.providers.local.apiKey", {"source": "file", "provider": "vault", "id": "/models/local"}),
    ]
    assert oct(os.stat(planPath).st_mode & 0o777) == "0o600"
    written = json.loads(config.read_text())
    assert written["models"]["providers"]["openai"]["apiKey"]["source"] == "env"
    assert written["models"]["providers"]["local"]["apiKey"]["source"] == "file"
    assert written["gateway"]["auth"]["token"] == TOKEN  # declined: left as it was
    for text in (planPath.read_text(), term.stdout):
        assert OPENAI not in text and LOCAL not in text


@pytest_twisted.ensureDeferred
async def test_end_of_input_cancels_without_writing(reactor, tmp_path):
    config, _, env = _install(tmp_path)
    before = config.read_text()
    argv = [OPENCLAW, "secrets", "configure", "--skip-provider-setup"]
    term = spawn_terminal(reactor, argv, env, tmp_path)
    try:
        await term.expect("Move it to a SecretRef? (y/n) [y]: ")
        term.transport.write(b"\x04")  # Ctrl-D: end of input
        assert await term.exited() == 1
    finally:
        if not term.ended:
            await term.kill()
    assert "Secrets configure cancelled: the input ended." in term.stdout
    assert config.read_text() == before
