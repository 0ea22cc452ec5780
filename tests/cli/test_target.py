"""The CLI's target: built from the injected environment only, never this process's."""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.cli.connect import open_client
from openclaw.cli.errors import CliError
from openclaw.cli.localconfig import read_local_config
from openclaw.cli.target import make_target


@pytest_twisted.ensureDeferred
async def test_the_insecure_ws_opt_in_comes_from_the_injected_environment(environ, monkeypatch, reactor):
    monkeypatch.setenv("OPENCLAW_ALLOW_INSECURE_PRIVATE_WS", "1")  # this process's, not the command's
    target = make_target(read_local_config(environ), "ws://10.0.0.9:18789", "--url", "explicit", "t", None)
    assert target.allowInsecureWs is False
    with pytest.raises(CliError) as caught:
        await open_client(reactor, target, 1000)
    assert caught.value.message.startswith("Refusing plaintext ws:// to 10.0.0.9")
    allowed = read_local_config({**environ, "OPENCLAW_ALLOW_INSECURE_PRIVATE_WS": "1"})
    assert make_target(allowed, "ws://10.0.0.9:18789", "--url", "explicit", "t", None).allowInsecureWs is True


@pytest.mark.parametrize(
    ("url", "loopback"),
    [("ws://localhost:1", True), ("ws://127.0.0.2:1", True), ("ws://[::1]:1", True),
     ("ws://localhost.example:1", False), ("ws://10.0.0.1:1", False)],
)
def test_loopback_is_literal(environ, url, loopback):
    assert make_target(read_local_config(environ), url, "--url", "explicit", "t", None).isLoopback is loopback


def _resolved(environ, config: dict, *argv: str, probe: bool = False):
    from openclaw.cli.options import ClientOptions
    from openclaw.cli.target import resolve_target
    from tests.conftest import write_config

    write_config(environ, config)
    options = ClientOptions(environ)
    options.parseOptions(list(argv))
    target = resolve_target(options, probe=probe)
    return target.token, target.password


LOCAL = {"mode": "local", "auth": {"token": "config-token"}, "remote": {"token": "remote-token", "password": "remote-pw"}}
REMOTE = {**LOCAL, "mode": "remote", "remote": {"url": "wss://gw.example", "token": "remote-token"}}


@pytest.mark.parametrize(
    ("gateway", "env", "argv", "probe", "expected"),
    [
        # local: the config's token beats a stale environment (OpenClaw's CLI: config first)
        (LOCAL, {"OPENCLAW_GATEWAY_TOKEN": "wrong"}, (), False, ("config-token", "remote-pw")),
        (LOCAL, {"OPENCLAW_GATEWAY_TOKEN": "wrong"}, (), True, ("config-token", None)),
        (LOCAL, {}, ("--token", "flag"), True, ("flag", None)),
        # local without gateway.auth.*: calls fall back to gateway.remote.*, probes never do
        ({"mode": "local", "remote": {"token": "remote-token"}}, {}, (), False, ("remote-token", None)),
        ({"mode": "local", "remote": {"token": "remote-token"}}, {}, (), True, (None, None)),
        ({"mode": "local", "remote": {"token": "remote-token"}}, {"OPENCLAW_GATEWAY_TOKEN": "env"}, (), True, ("env", None)),
        # remote: calls may use the environment and gateway.auth.*, a probe the remote token only
        ({**REMOTE, "remote": {"url": "wss://gw.example"}}, {"OPENCLAW_GATEWAY_TOKEN": "env"}, (), False, ("env", None)),
        ({**REMOTE, "remote": {"url": "wss://gw.example"}}, {"OPENCLAW_GATEWAY_TOKEN": "env"}, (), True, (None, None)),
        (REMOTE, {"OPENCLAW_GATEWAY_PASSWORD": "env-pw"}, (), True, ("remote-token", "env-pw")),
    ],
)
def test_credential_precedence(environ, gateway, env, argv, probe, expected):
    assert _resolved({**environ, **env}, {"gateway": gateway}, *argv, probe=probe) == expected
