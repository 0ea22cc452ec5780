"""What the console shows: quiet by default, WebSocket traffic with --verbose or --ws-log full."""

from __future__ import annotations

import pytest
import pytest_twisted

HEALTH_LINE = "⇄ res ✓ health"


@pytest.mark.parametrize(
    "flags, shown",
    [([], False), (["--verbose"], True), (["--ws-log", "full"], True), (["--compact"], False)],
)
@pytest_twisted.ensureDeferred
async def test_websocket_log(launcher, flags, shown):
    gw = launcher.install()
    gw.local()
    child = launcher.openclaw(gw, "gateway", "--port", "0", *flags)
    port = await launcher.listening(child)
    client = await launcher.connect(port)
    await client.call("health")
    failing = await launcher.connect(port)
    with pytest.raises(Exception):
        await failing.call("no.such.method")
    assert await launcher.stop(child) == 0
    assert (HEALTH_LINE in child.stdout) is shown, child.describe()
    assert "⇄ res ✗ no.such.method" in child.stdout  # errors are always logged
    if "--verbose" in flags:
        assert "DEBUG" in child.stdout
    else:
        assert "DEBUG" not in child.stdout
