"""
Auth profiles at run time, from the operator's side: `secrets audit` says when an
auth profile shadows a provider's configured ref, and against a running gateway
process `secrets apply` turns an agent's plaintext profile into a ref-only entry
whose value the agent's next runs send, re-resolved at each `secrets reload`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest_twisted

from openclaw.cli import secrets as cli
from openclaw.config.authprofiles import store_path
from tests.agents.runs.conftest import text_reply
from tests.agents.upstream import FakeUpstream, base_url, serve
from tests.conftest import TOKEN, write_config
from tests.support.secretsloop import run_cli

OPS_OLD = "sk-ops-profile-plaintext-8c1d4e"
OPS_NEW = "sk-ops-profile-from-file-2b7f90"
OPS_ROTATED = "sk-ops-profile-rotated-5a6e13"
GW_REF = {"source": "env", "provider": "default", "id": "GW_TOKEN"}
SCOPES = ("operator.admin", "operator.read", "operator.write")


def write_store(stateDir: str | Path, agentId: str, profiles: dict) -> Path:
    path = Path(store_path(str(stateDir), agentId))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "profiles": profiles}))
    return path


def test_audit_reports_a_provider_ref_that_an_auth_profile_shadows(capsys, environ):
    environ.update(GW_TOKEN=TOKEN, OPENAI_KEY="sk-config-ref-value")
    write_config(environ, {"gateway": {"mode": "local", "auth": {"token": GW_REF}},
                           "models": {"providers": {"openai": {"apiKey": {**GW_REF, "id": "OPENAI_KEY"}},
                                                    "local": {"baseUrl": "http://127.0.0.1:9/v1",
                                                              "apiKey": {**GW_REF, "id": "OPENAI_KEY"}}}}})
    write_store(environ["OPENCLAW_STATE_DIR"], "ops", {
        "openai:ops": {"type": "api_key", "provider": "OpenAI", "keyRef": {**GW_REF, "id": "OPENAI_KEY"}},
        "local:oauth": {"type": "oauth", "provider": "local", "access": "not-a-key-type"},
    })
    code = cli.main(["audit", "--check", "--json"], environ)
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["summary"]["shadowedRefCount"] == 1
    assert report["findings"] == [{
        "code": "REF_SHADOWED", "file": environ["OPENCLAW_CONFIG_PATH"], "jsonPath": "models.providers.openai.apiKey",
        "message": "the ref is shadowed: an auth profile of provider openai holds a credential, and runs use it first",
    }]


@pytest_twisted.ensureDeferred
async def test_an_applied_ref_only_profile_is_what_the_agents_runs_send(launcher, ports, reactor):
    upstream = FakeUpstream(b"text/event-stream")
    listening = serve(reactor, upstream)
    try:
        await _applied_profile(launcher, ports, upstream, base_url(listening))
    finally:
        await listening.stopListening()


async def _applied_profile(launcher, ports, upstream, base) -> None:
    gw = launcher.install()
    port = ports.reserve()
    vaultFile = gw.root / "vault.json"
    vaultFile.write_text(json.dumps({"ops": OPS_NEW}))
    os.chmod(vaultFile, 0o600)
    gw.write_config({
        "gateway": {"mode": "local", "port": port, "auth": {"token": GW_REF}},
        "models": {"providers": {"fakeup": {"baseUrl": f"{base}/v1", "api": "openai-completions",
                                            "models": [{"id": "fake-model"}]}}},
        "agents": {"defaults": {"model": "fakeup/fake-model"}, "entries": {"main": {}, "ops": {}}},
    })
    store = write_store(gw.stateDir, "ops", {"fakeup:ops": {"type": "api_key", "provider": "fakeup", "key": OPS_OLD}})
    env = {**gw.env, "GW_TOKEN": TOKEN}
    gateway = launcher.openclaw(gw, "gateway", env=env, name="gateway")
    await launcher.listening(gateway)
    client = await launcher.connect(port, token=TOKEN, scopes=SCOPES)
    upstream.reply(*(text_reply("ok") for _ in range(4)))

    async def run(agentId: str, key: str) -> str | None:
        done = await client.call("agent", {"message": "hi", "agentId": agentId, "idempotencyKey": key}, expectFinal=True)
        assert done["status"] == "ok"
        return upstream.requests[-1].headers.get("authorization")

    assert await run("ops", "r-1") == f"Bearer {OPS_OLD}"
    assert await run("main", "r-2") is None  # main has no profile and fakeup no key

    plan = gw.root / "plan.json"
    plan.write_text(json.dumps({
        "version": 1, "protocolVersion": 1,
        "providerUpserts": {"vault": {"source": "file", "path": str(vaultFile)}},
        "targets": [{"type": "auth-profiles.api_key.key", "path": "profiles.fakeup:ops.key", "agentId": "ops",
                     "ref": {"source": "file", "provider": "vault", "id": "/ops"}}],
    }))
    mark = gateway.mark()
    code, applied = await run_cli(launcher, gw, env, "secrets", "apply", "--from", str(plan))
    assert code == 0, applied.describe()
    assert json.loads(store.read_text())["profiles"] == {"fakeup:ops": {
        "type": "api_key", "provider": "fakeup", "keyRef": {"source": "file", "provider": "vault", "id": "/ops"}}}
    await gateway.line(r"config hot reload applied \(secrets", "stdout", since=mark)
    code, clean = await run_cli(launcher, gw, env, "secrets", "audit", "--check")
    assert code == 0, clean.describe()
    assert await run("ops", "r-3") == f"Bearer {OPS_NEW}"

    vaultFile.write_text(json.dumps({"ops": OPS_ROTATED}))  # the ref's value moves: the next reload reads it
    code, reloaded = await run_cli(launcher, gw, env, "secrets", "reload")
    assert code == 0, reloaded.describe()
    assert await run("ops", "r-4") == f"Bearer {OPS_ROTATED}"

    assert await launcher.stop(gateway) == 0
    logs = gateway.stdout + gateway.stderr + gw.log_text() + applied.stdout + applied.stderr
    for secret in (OPS_OLD, OPS_NEW, OPS_ROTATED):
        assert secret not in logs
    for directory, _, names in os.walk(gw.root):
        for name in names:
            assert OPS_OLD.encode() not in open(os.path.join(directory, name), "rb").read(), name
