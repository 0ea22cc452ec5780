"""
SecretRefs on a real gateway process: start-up fails without its secret, a secret
rotated in a file source is live after `openclaw secrets reload`, and no secret
value reaches the file log, the console or any error message on the way.
"""

from __future__ import annotations

import json
import os

import pytest
import pytest_twisted

from openclaw.cli.client import ConnectRejected

OLD = "old-file-secret-token-31d2c0ffee9a8b7c6d5e4f"
NEW = "new-file-secret-token-8f7e6d5c4b3a29180706f5"
REF = {"source": "file", "provider": "vault", "id": "/gateway/token"}


def _secrets_file(gw, token: str | None, mode: int = 0o600):
    path = gw.root / "secrets.json"
    path.write_text(json.dumps({"gateway": {"token": token}} if token else {"other": "x"}))
    os.chmod(path, mode)
    return path


def _config(gw, port: int, path) -> None:
    gw.write_config(
        {
            "gateway": {"mode": "local", "port": port, "auth": {"mode": "token", "token": REF}},
            "secrets": {"providers": {"vault": {"source": "file", "path": str(path)}}},
        }
    )


@pytest_twisted.ensureDeferred
async def test_start_up_fails_when_an_active_ref_cannot_be_resolved(launcher, ports):
    gw = launcher.install()
    path = _secrets_file(gw, OLD, mode=0o644)
    _config(gw, ports.reserve(), path)
    child = launcher.openclaw(gw, "gateway")
    assert await child.exited() == 1
    assert (
        "Startup failed: required secrets are unavailable. gateway.auth.token could not be resolved "
        f"(file provider \"vault\": {path} must not be readable or writable by group or others (chmod 600))"
    ) in child.stderr
    assert OLD not in child.stdout + child.stderr
    assert not gw.logFile.exists()  # refused before logging starts


@pytest_twisted.ensureDeferred
async def test_secrets_reload_makes_a_rotated_file_secret_live(launcher, ports):
    gw = launcher.install()
    path = _secrets_file(gw, OLD)
    port = ports.reserve()
    _config(gw, port, path)
    child = launcher.openclaw(gw, "gateway")
    await launcher.listening(child)
    session = await launcher.connect(port, token=OLD)
    outputs = []

    # a broken secret source: the reload fails and the old secret stays live
    _secrets_file(gw, None)
    failed = launcher.openclaw(gw, "secrets", "reload", "--token", OLD, "--json")
    assert await failed.exited() == 1
    assert json.loads(failed.stdout)["error"]["message"].startswith(
        "Failed to reload secrets: secrets.reload failed\nHint: openclaw gateway status --deep"
    )
    await child.line(r"secrets\.reload failed: gateway\.auth\.token could not be resolved \(file secret /gateway/token not found\)", "stdout")
    await child.line(r"\[SECRETS_RELOADER_DEGRADED\]", "stdout")
    outputs.append(failed.stdout + failed.stderr)

    # rotated: live after the reload, the old value refused, open sessions kept
    _secrets_file(gw, NEW)
    cli = launcher.openclaw(gw, "secrets", "reload", "--token", OLD)
    assert await cli.exited() == 0, cli.describe()
    assert cli.stdout == "Secrets reloaded.\n"
    await child.line(r"\[SECRETS_RELOADER_RECOVERED\] Secret resolution recovered\.", "stdout")
    outputs.append(cli.stdout + cli.stderr)
    await launcher.connect(port, token=NEW)
    with pytest.raises(ConnectRejected) as refused:
        await launcher.connect(port, token=OLD)
    outputs.append(str(refused.value.error))
    assert (await session.call("health"))["ok"] is True

    # the CLI resolves the local ref itself when no --token is given
    again = launcher.openclaw(gw, "secrets", "reload", "--json")
    assert await again.exited() == 0, again.describe()
    assert json.loads(again.stdout) == {"ok": True, "warningCount": 0}
    outputs.append(again.stdout + again.stderr)

    assert await launcher.stop(child) == 0
    everything = "\n".join(outputs) + child.stdout + child.stderr + gw.log_text()
    for secret in (OLD, NEW):
        assert secret not in everything
