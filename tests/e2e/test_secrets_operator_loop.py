"""
The operator loop of the secrets plan against a running gateway, every step a real
`openclaw` process: audit --check (findings) → configure --plan-out (in a pty) →
apply --dry-run → apply → audit --check (clean) → secrets reload. Two model
providers' keys move out of the config and a dotenv file, one to an `env` ref and
one to a `file` ref; the gateway takes the new config hot, keeps its connection,
serves the refs, and resolves the file ref on each reload from then on.
"""

from __future__ import annotations

import json
import os

import pytest_twisted

from tests.support.secretsloop import dry_run_writes_nothing, plan_in_terminal, run_cli

OPENAI = "sk-openai-plaintext-loop-0a9b8c7d6e5f4a3b"
LOCAL = "sk-local-plaintext-loop-f0e1d2c3b4a59687"
GATEWAY_TOKEN = "loop-gateway-token-0123456789abcdef0123"
ENV_REF = {"source": "env", "provider": "default", "id": "OPENAI_API_KEY"}
FILE_REF = {"source": "file", "provider": "vault", "id": "/models/local"}


@pytest_twisted.ensureDeferred
async def test_the_operator_loop_moves_model_keys_to_env_and_file_refs(launcher, ports, reactor):
    gw = launcher.install()
    port = ports.reserve()
    vaultFile = gw.root / "vault.json"
    vaultFile.write_text(json.dumps({"models": {"local": LOCAL}}))
    os.chmod(vaultFile, 0o600)
    gw.write_config({
        "gateway": {"mode": "local", "port": port, "auth": {"token": {"source": "env", "provider": "default", "id": "GW_TOKEN"}}},
        "models": {"providers": {
            "openai": {"apiKey": OPENAI},
            "local": {"baseUrl": "http://127.0.0.1:9/v1", "api": "openai-completions", "apiKey": LOCAL,
                      "models": [{"id": "small", "name": "Small"}]},
        }},
    })
    (gw.stateDir / ".env").write_text(f"LOCAL_API_KEY={LOCAL}\nUNRELATED=1\n")
    env = {**gw.env, "GW_TOKEN": GATEWAY_TOKEN, "OPENAI_API_KEY": OPENAI}
    gateway = launcher.openclaw(gw, "gateway", env=env, name="gateway")
    await launcher.listening(gateway)
    session = await launcher.connect(port, token=GATEWAY_TOKEN)
    outputs = []

    # 1. audit --check: the plaintext keys are findings
    code, audit = await run_cli(launcher, gw, env, "secrets", "audit", "--check")
    assert code == 1, audit.describe()
    assert audit.stdout.splitlines()[0] == "Secrets audit: findings. plaintext=3, unresolved=0, shadowed=0, legacy=0."
    outputs.append(audit.stdout + audit.stderr)

    # 2. configure --plan-out, answered in a terminal
    plan = gw.root / "plan.json"
    outputs.append(await plan_in_terminal(reactor, launcher, gw, env, plan, vaultFile, "openai", "OPENAI_API_KEY", "local", "/models/local"))

    # 3. apply --dry-run: checked, nothing written
    outputs.append(await dry_run_writes_nothing(launcher, gw, env, plan))

    # 4. apply: the config holds refs, the dotenv line is gone; the gateway takes it hot
    mark = gateway.mark()
    code, applied = await run_cli(launcher, gw, env, "secrets", "apply", "--from", str(plan), "--json")
    assert code == 0, applied.describe()
    report = json.loads(applied.stdout)
    assert report["changedFiles"] == [str(gw.configPath), str(gw.stateDir / ".env")]
    assert (gw.stateDir / ".env").read_text() == "UNRELATED=1\n"
    outputs.append(applied.stdout + applied.stderr)
    await gateway.line(r"config hot reload applied \(.*models\.providers\.local\.apiKey", "stdout", since=mark)

    # 5. audit --check: clean
    code, clean = await run_cli(launcher, gw, env, "secrets", "audit", "--check")
    assert code == 0, clean.describe()
    assert clean.stdout.splitlines()[0] == "Secrets audit: clean. plaintext=0, unresolved=0, shadowed=0, legacy=0."
    outputs.append(clean.stdout + clean.stderr)

    # 6. secrets reload against the running gateway
    code, reloaded = await run_cli(launcher, gw, env, "secrets", "reload")
    assert code == 0, reloaded.describe()
    assert reloaded.stdout == "Secrets reloaded.\n"
    outputs.append(reloaded.stdout + reloaded.stderr)

    # the same connection is still served, and the gateway runs the config with the refs
    assert (await session.call("health"))["ok"] is True
    assert not session.closed.called
    served = await session.call("config.get")
    assert served["appliedConfigHash"] == served["hash"]
    providers = served["config"]["models"]["providers"]
    assert providers["openai"]["apiKey"] == ENV_REF and providers["local"]["apiKey"] == FILE_REF

    # from now on each reload reads the file ref: without its value the reload fails
    # (last-known-good stays), with it back the reload recovers
    vaultFile.write_text(json.dumps({"models": {}}))
    code, failed = await run_cli(launcher, gw, env, "secrets", "reload")
    assert code == 1
    await gateway.line(r"secrets\.reload failed: .*models\.providers\.local\.apiKey could not be resolved", "stdout")
    vaultFile.write_text(json.dumps({"models": {"local": LOCAL}}))
    code, recovered = await run_cli(launcher, gw, env, "secrets", "reload")
    assert code == 0, recovered.describe()
    outputs += [failed.stdout + failed.stderr, recovered.stdout + recovered.stderr]
    assert (await session.call("health"))["ok"] is True

    assert await launcher.stop(gateway) == 0
    everything = "\n".join(outputs) + plan.read_text() + gateway.stdout + gateway.stderr + gw.log_text()
    for secret in (OPENAI, LOCAL, GATEWAY_TOKEN):
        assert secret not in everything
    for directory, _, names in os.walk(gw.stateDir):
        for name in names:
            data = open(os.path.join(directory, name), "rb").read()
            assert OPENAI.encode() not in data and LOCAL.encode() not in data, name
