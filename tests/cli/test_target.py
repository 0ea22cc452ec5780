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
