"""
The operator loop of the secrets plan against a running gateway with a run in
flight, every step a real `openclaw` process: audit --check → configure
--plan-out (in a pty) → apply --dry-run → apply → audit --check → secrets reload.

Two model providers on one scripted upstream (in this test's process) move their
plaintext keys to an `env` and a `file` ref, each ref holding a rotated key. A
streamed run holds its upstream request the whole time and a second operator
connection stays open: the held run finishes on the key it started with, the
next runs send the new refs' values, no connection drops, and no old plaintext
is left in any file.
"""

from __future__ import annotations

import json
import os

import pytest_twisted
from twisted.internet.defer import Deferred

from tests.agents.runs.conftest import text_reply
from tests.agents.runs.test_lanes import gated_reply
from tests.agents.upstream import FakeUpstream, base_url, serve
from tests.support.secretsloop import dry_run_writes_nothing, plan_in_terminal, run_cli

ENV_OLD = "sk-envup-plaintext-old-7f3e2d1c0b"
ENV_NEW = "sk-envup-from-env-ref-new-4a5b6c"
FILE_OLD = "sk-fileup-plaintext-old-9e8d7c6b5a"
FILE_NEW = "sk-fileup-from-file-ref-new-1d2e3f"
GATEWAY_TOKEN = "inflight-loop-gateway-token-0123456789ab"
ENV_REF = {"source": "env", "provider": "default", "id": "ENVUP_API_KEY"}
FILE_REF = {"source": "file", "provider": "vault", "id": "/fileup"}
SCOPES = ("operator.admin", "operator.read", "operator.write")


def provider(base: str, key: str, model: str) -> dict:
    # a long idle watchdog: the held run waits for the whole loop on a busy machine
    return {"baseUrl": f"{base}/v1", "api": "openai-completions", "apiKey": key, "timeoutSeconds": 600,
            "models": [{"id": model}]}


@pytest_twisted.ensureDeferred
async def test_the_operator_loop_with_a_run_in_flight(launcher, ports, reactor):
    upstream = FakeUpstream(b"text/event-stream")
    listening = serve(reactor, upstream)
    try:
        await _loop(launcher, ports, reactor, upstream, base_url(listening))
    finally:
        await listening.stopListening()


async def _loop(launcher, ports, reactor, upstream, base) -> None:
    gw = launcher.install()
    port = ports.reserve()
    vaultFile = gw.root / "vault.json"
    vaultFile.write_text(json.dumps({"fileup": FILE_NEW}))
    os.chmod(vaultFile, 0o600)
    gw.write_config({
        "gateway": {"mode": "local", "port": port, "auth": {"token": {"source": "env", "provider": "default", "id": "GW_TOKEN"}}},
        "models": {"providers": {"envup": provider(base, ENV_OLD, "m1"), "fileup": provider(base, FILE_OLD, "m2")}},
        "agents": {"defaults": {"model": "envup/m1"}},
    })
    # the operator has put the rotated key where the env ref will point (gateway and CLI)
    env = {**gw.env, "GW_TOKEN": GATEWAY_TOKEN, "ENVUP_API_KEY": ENV_NEW}
    gateway = launcher.openclaw(gw, "gateway", env=env, name="gateway")
    await launcher.listening(gateway)
    runner = await launcher.connect(port, token=GATEWAY_TOKEN, scopes=SCOPES)
    watcher = await launcher.connect(port, token=GATEWAY_TOKEN, scopes=SCOPES)
    outputs = []

    # a streamed run, held at the upstream after its first word
    gate: Deferred = Deferred()
    upstream.reply(gated_reply(gate, "held", " run", " done"), text_reply("env", " ref"), text_reply("file", " ref"))
    held = runner.call("agent", {"message": "hold on", "idempotencyKey": "held-1"}, expectFinal=True)
    first = await upstream.arrived(1)
    assert first.headers["authorization"] == f"Bearer {ENV_OLD}"

    # 1. audit --check: the two plaintext keys
    code, audit = await run_cli(launcher, gw, env, "secrets", "audit", "--check")
    assert code == 1, audit.describe()
    assert audit.stdout.splitlines()[0] == "Secrets audit: findings. plaintext=2, unresolved=0, shadowed=0, legacy=0."
    outputs.append(audit.stdout + audit.stderr)

    # 2. configure --plan-out in a terminal: a file provider, envup → env, fileup → file
    plan = gw.root / "plan.json"
    outputs.append(await plan_in_terminal(reactor, launcher, gw, env, plan, vaultFile, "envup", "ENVUP_API_KEY", "fileup", "/fileup"))

    # 3. apply --dry-run: every check, nothing written
    outputs.append(await dry_run_writes_nothing(launcher, gw, env, plan))

    # 4. apply: the config holds the refs; the running gateway takes it hot
    mark = gateway.mark()
    code, applied = await run_cli(launcher, gw, env, "secrets", "apply", "--from", str(plan), "--json")
    assert code == 0, applied.describe()
    assert json.loads(applied.stdout)["changedFiles"] == [str(gw.configPath)]
    outputs.append(applied.stdout + applied.stderr)
    await gateway.line(r"config hot reload applied \(.*models\.providers\.fileup\.apiKey", "stdout", since=mark)

    # 5. audit --check: clean
    code, clean = await run_cli(launcher, gw, env, "secrets", "audit", "--check")
    assert code == 0, clean.describe()
    assert clean.stdout.splitlines()[0] == "Secrets audit: clean. plaintext=0, unresolved=0, shadowed=0, legacy=0."
    outputs.append(clean.stdout + clean.stderr)

    # 6. secrets reload
    code, reloaded = await run_cli(launcher, gw, env, "secrets", "reload")
    assert code == 0, reloaded.describe()
    assert reloaded.stdout == "Secrets reloaded.\n"
    outputs.append(reloaded.stdout + reloaded.stderr)

    # the held run was never touched: released now, it ends on the key it started with
    assert not held.called and len(upstream.requests) == 1
    gate.callback(None)
    done = await held
    assert done["status"] == "ok" and done["result"]["payloads"][0]["text"] == "held run done"

    # the next runs send the new refs' values; both connections are still served
    second = await watcher.call("agent", {"message": "env?", "idempotencyKey": "next-1"}, expectFinal=True)
    third = await runner.call("agent", {"message": "file?", "idempotencyKey": "next-2", "model": "fileup/m2"},
                              expectFinal=True)
    assert second["status"] == third["status"] == "ok"
    assert [r.headers["authorization"] for r in upstream.requests] == [
        f"Bearer {ENV_OLD}", f"Bearer {ENV_NEW}", f"Bearer {FILE_NEW}"]
    for client in (runner, watcher):
        assert (await client.call("health"))["ok"] is True and not client.closed.called

    assert await launcher.stop(gateway) == 0
    everything = "\n".join(outputs) + plan.read_text() + gateway.stdout + gateway.stderr + gw.log_text()
    for secret in (ENV_OLD, FILE_OLD, ENV_NEW, FILE_NEW, GATEWAY_TOKEN):
        assert secret not in everything
    for directory, _, names in os.walk(gw.root):
        for name in names:
            data = open(os.path.join(directory, name), "rb").read()
            assert ENV_OLD.encode() not in data and FILE_OLD.encode() not in data, name
