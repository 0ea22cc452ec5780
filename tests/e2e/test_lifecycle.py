"""`openclaw gateway` and `twistd openclaw-gateway` as real processes: start, serve, SIGTERM."""

from __future__ import annotations


import pytest_twisted

SHUTDOWN_LINE = "received SIGTERM; shutting down"


async def _serve_then_sigterm(launcher, child) -> None:
    """Shared by both entry points: connect, call health, SIGTERM, watch the goodbye."""
    port = await launcher.listening(child)
    order: list[tuple] = []
    client = await launcher.connect(port, onEvent=lambda frame: order.append(("event", frame["event"], frame["payload"])))
    assert client.hello["type"] == "hello-ok"
    health = await client.call("health")
    assert health["ok"] is True
    client.closed.addCallback(lambda result: order.append(("closed", result[0])) or result)

    child.signal("TERM")
    code = await child.exited()
    closeCode, _ = await client.closed

    assert code == 0, child.describe()
    assert closeCode == 1012
    shutdowns = [i for i, item in enumerate(order) if item[:2] == ("event", "shutdown")]
    assert len(shutdowns) == 1, order
    assert order[shutdowns[0]][2] == {"reason": "gateway stopping"}
    assert order[-1] == ("closed", 1012)
    assert shutdowns[0] < len(order) - 1
    assert any(line.endswith(SHUTDOWN_LINE) for line in child.lines[1]), child.describe()


@pytest_twisted.ensureDeferred
async def test_openclaw_gateway_serves_and_stops_on_sigterm(launcher):
    gw = launcher.install()
    gw.local()
    child = launcher.openclaw(gw, "gateway", "--port", "0")
    await _serve_then_sigterm(launcher, child)
    assert child.stderr == ""
    messages = [r["message"] for r in gw.log_records()]
    assert SHUTDOWN_LINE in messages
    assert messages[-1] == "gateway stopped"


@pytest_twisted.ensureDeferred
async def test_twistd_plugin_serves_and_stops_on_sigterm(launcher):
    gw = launcher.install()
    gw.local()
    child = launcher.twistd(gw, "-n", "--pidfile=", "openclaw-gateway", "--port", "0")
    await _serve_then_sigterm(launcher, child)
    assert "Server Shut Down." in child.stdout
    assert not (gw.root / "twistd.log").exists()
    assert not (gw.root / "twistd.pid").exists()
    assert SHUTDOWN_LINE in [r["message"] for r in gw.log_records()]


@pytest_twisted.ensureDeferred
async def test_twistd_plugin_help_lists_gateway_options(launcher):
    gw = launcher.install()
    child = launcher.twistd(gw, "openclaw-gateway", "--help")
    assert await child.exited() == 0, child.describe()
    assert child.stdout.startswith("Usage: twistd [options] openclaw-gateway [options]\n")
    for option in ("--port=", "--bind=", "--token=", "--verbose", "--allow-unconfigured", "--force"):
        assert f"      {option}" in child.stdout, option


@pytest_twisted.ensureDeferred
async def test_sigterm_right_after_ready_line_is_graceful(launcher):
    gw = launcher.install()
    gw.local()
    child = launcher.openclaw(gw, "gateway", "--port", "0")
    await launcher.listening(child)
    child.signal("TERM")
    assert await child.exited() == 0, child.describe()
    assert SHUTDOWN_LINE in child.stdout


@pytest_twisted.ensureDeferred
async def test_sigint_is_a_graceful_stop_too(launcher):
    gw = launcher.install()
    gw.local()
    child = launcher.openclaw(gw, "gateway", "--port", "0")
    port = await launcher.listening(child)
    client = await launcher.connect(port)
    child.signal("INT")
    assert await child.exited() == 0, child.describe()
    assert (await client.closed)[0] == 1012
    assert [e["payload"] for e in client.events if e["event"] == "shutdown"] == [{"reason": "gateway stopping"}]
    assert "received SIGINT; shutting down" in [r["message"] for r in gw.log_records()]


@pytest_twisted.ensureDeferred
async def test_sigkill_leaves_no_stale_lock(launcher):
    """operations.md §3: the bind is the lock, and the OS frees it on any exit."""
    gw = launcher.install()
    gw.local()
    first = launcher.openclaw(gw, "gateway", "--port", "0", name="first")
    port = await launcher.listening(first)
    await launcher.connect(port)
    first.signal("KILL")
    assert await first.exited() == -9
    second = launcher.openclaw(gw, "gateway", "--port", str(port), name="second")
    assert await launcher.listening(second) == port
    assert (await (await launcher.connect(port)).call("health"))["ok"] is True
    assert await launcher.stop(second) == 0, second.describe()
