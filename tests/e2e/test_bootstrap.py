"""
Starting without a config file: `--allow-unconfigured` (generated, persisted token)
and the `--dev` profile (dev bootstrap, port 19001 and the port precedence).

Without a config file there is no C{logging.file}, so these runs log to the default
family under L{openclaw.paths.default_log_dir}: the state dir of the test's home.
"""

from __future__ import annotations

import json
import re

import pytest
import pytest_twisted
from twisted.internet.error import CannotListenError
from twisted.internet.protocol import Factory, Protocol

from openclaw.cli.client import ConnectRejected
from tests.conftest import TOKEN


@pytest_twisted.ensureDeferred
async def test_allow_unconfigured_without_config_writes_nothing(launcher):
    profile = "e2e"
    gw = launcher.install()
    configPath = gw.home / f".openclaw-{profile}" / "openclaw.json"
    child = launcher.openclaw(gw, "--profile", profile, "gateway", "--allow-unconfigured", "--port", "0")
    port = await launcher.listening(child)
    assert not configPath.exists() and not gw.configPath.exists()
    assert "Generated a runtime token for this startup without changing config" in child.stdout
    with pytest.raises(ConnectRejected) as caught:  # the runtime token is known to nobody
        await launcher.connect(port, token="a guess")
    assert caught.value.details["code"] == "AUTH_TOKEN_MISMATCH"
    child.signal("TERM")
    assert await child.exited() == 0, child.describe()
    assert not configPath.exists()
    logs = configPath.parent / "logs"  # the profile's own log, private to this user
    assert [p.name for p in logs.glob(f"openclaw-{profile}-*.log")] and logs.stat().st_mode & 0o777 == 0o700


@pytest_twisted.ensureDeferred
async def test_missing_token_is_generated_and_saved_to_the_config(launcher):
    gw = launcher.install()
    gw.write_config({"gateway": {"mode": "local"}})
    child = launcher.openclaw(gw, "gateway", "--port", "0")
    port = await launcher.listening(child)

    saved = gw.read_config()
    token = saved["gateway"]["auth"]["token"]
    assert re.fullmatch(r"[0-9a-f]{48}", token), saved
    assert oct(gw.configPath.stat().st_mode & 0o777) == "0o600"

    client = await launcher.connect(port, token=token)
    assert client.hello["type"] == "hello-ok"
    child.signal("TERM")
    assert await child.exited() == 0, child.describe()

    assert token not in child.stdout and token not in child.stderr
    assert f"Generated a token and saved it to gateway.auth.token in {gw.configPath}." in child.stdout
    text = gw.log_text()
    assert f"listening on ws://127.0.0.1:{port} (PID {child.pid})" in text
    assert token not in text


class _Hold(Protocol):
    pass


@pytest_twisted.ensureDeferred
async def test_dev_profile_bootstrap_and_port_precedence(launcher, reactor, ports):
    gw = launcher.install()
    devConfig = gw.home / ".openclaw-dev" / "openclaw.json"
    envPort = ports.reserve()
    bare = {"HOME": str(gw.home), "PATH": gw.env["PATH"], "NO_COLOR": "1"}

    # 1. Empty home, OPENCLAW_GATEWAY_PORT set: bootstrap the dev config, listen on the env port.
    child = launcher.openclaw(gw, "--dev", "gateway", "--allow-unconfigured",
                              env={**bare, "OPENCLAW_GATEWAY_PORT": str(envPort)})
    port = await launcher.listening(child)
    assert port == envPort
    assert any(line.endswith(f"Dev config ready: {devConfig}") for line in child.lines[1]), child.describe()
    assert any(line.endswith(f"Dev workspace ready: {gw.home / '.openclaw' / 'workspace-dev'}") for line in child.lines[1])
    written = json.loads(devConfig.read_text())
    assert written["gateway"]["mode"] == "local" and written["gateway"]["bind"] == "loopback"
    assert written["agents"]["defaults"] == {"workspace": str(gw.home / ".openclaw" / "workspace-dev"), "skipBootstrap": True}
    token = written["gateway"]["auth"]["token"]
    await launcher.connect(port, token=token)
    assert await launcher.stop(child) == 0, child.describe()
    assert not (gw.home / ".openclaw" / "openclaw.json").exists()

    # From here on the dev config exists (no bootstrap) and names its own port and log.
    configPort = ports.reserve()
    written["gateway"]["port"] = configPort
    written["logging"] = {"file": str(gw.logFile)}
    devConfig.write_text(json.dumps(written))

    # 2. --dev without OPENCLAW_GATEWAY_PORT: 19001 beats gateway.port. We hold 19001
    #    (or somebody else does), so the proof is the refusal naming it.
    try:
        held = reactor.listenTCP(19001, Factory.forProtocol(_Hold), interface="127.0.0.1")
    except CannotListenError:
        held = None
    try:
        child = launcher.openclaw(gw, "--dev", "gateway", env=bare, name="dev-19001")
        await child.line(r"listening on|already listening", "any")
        assert await child.exited() == 1, child.describe()
        assert "Gateway failed to start: another gateway instance is already listening on ws://127.0.0.1:19001\n" in child.stderr
    finally:
        if held is not None:
            await held.stopListening()

    # 3. OPENCLAW_GATEWAY_PORT beats gateway.port.
    child = launcher.openclaw(gw, "--dev", "gateway", env={**bare, "OPENCLAW_GATEWAY_PORT": str(envPort)})
    assert await launcher.listening(child) == envPort
    await launcher.connect(envPort, token=token)
    assert await launcher.stop(child) == 0, child.describe()

    # 4. --port beats OPENCLAW_GATEWAY_PORT (and gateway.port).
    child = launcher.openclaw(gw, "--dev", "gateway", "--port", "0", env={**bare, "OPENCLAW_GATEWAY_PORT": str(envPort)})
    port = await launcher.listening(child)
    assert port not in (envPort, configPort, 19001)
    await launcher.connect(port, token=token)
    assert await launcher.stop(child) == 0, child.describe()


@pytest_twisted.ensureDeferred
async def test_config_port_beats_default(launcher, ports):
    gw = launcher.install()
    configPort = ports.reserve()
    gw.local(port=configPort)
    child = launcher.openclaw(gw, "gateway")
    assert await launcher.listening(child) == configPort
    await launcher.connect(configPort, token=TOKEN)
    assert await launcher.stop(child) == 0, child.describe()
