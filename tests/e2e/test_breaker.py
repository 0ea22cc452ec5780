"""
The crash-loop breaker with real gateway processes: three starts killed with
SIGKILL, and the fourth boots with channel auto-start suppressed but serves RPC.
"""

from __future__ import annotations

import json

import pytest_twisted

TRIPPED = (
    "gateway restart-loop breaker tripped: 3 unclean boot(s) within 300000ms; "
    "suppressing channel/provider account auto-start."
)


@pytest_twisted.ensureDeferred
async def test_three_sigkilled_boots_trip_the_breaker_on_the_next(launcher):
    gw = launcher.install()
    gw.local()
    pids = []
    for n in range(3):
        child = launcher.openclaw(gw, "gateway", "--port", "0", name=f"crash-{n}")
        await launcher.listening(child)
        child.signal("KILL")
        assert await child.exited() == -9
        pids.append(child.pid)
        assert TRIPPED not in child.stdout  # fewer than three unclean boots before it

    fourth = launcher.openclaw(gw, "gateway", "--port", "0", name="fourth")
    port = await launcher.listening(fourth)
    assert TRIPPED in fourth.stdout
    # the control plane is up as usual
    assert (await (await launcher.connect(port)).call("health"))["ok"] is True
    assert any(r["message"].startswith(TRIPPED) and r["_meta"]["logLevelName"] == "ERROR" for r in gw.log_records())

    assert await launcher.stop(fourth) == 0, fourth.describe()
    boots = json.loads((gw.stateDir / "gateway" / "boots.json").read_text())["boots"]
    assert [(b["pid"], b["clean"]) for b in boots] == [*((pid, False) for pid in pids), (fourth.pid, True)]


@pytest_twisted.ensureDeferred
async def test_clean_stops_do_not_trip_it(launcher):
    gw = launcher.install()
    gw.local()
    for n in range(4):
        child = launcher.openclaw(gw, "gateway", "--port", "0", name=f"clean-{n}")
        await launcher.listening(child)
        assert await launcher.stop(child) == 0
        assert "restart-loop breaker" not in child.stdout


@pytest_twisted.ensureDeferred
async def test_a_failed_start_counts_as_unclean(launcher):
    """A start that cannot bind (exit 1) never stops cleanly either."""
    gw = launcher.install()
    gw.local()
    holder = launcher.openclaw(gw, "gateway", "--port", "0", name="holder")
    port = await launcher.listening(holder)
    for n in range(3):
        refused = launcher.openclaw(gw, "gateway", "--port", str(port), name=f"refused-{n}")
        assert await refused.exited() == 1, refused.describe()
    assert await launcher.stop(holder) == 0
    fourth = launcher.openclaw(gw, "gateway", "--port", "0", name="fourth")
    await launcher.listening(fourth)
    assert TRIPPED in fourth.stdout
