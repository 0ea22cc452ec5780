"""
Crash safety of config writes on a real gateway process: SIGKILL while a stream of
C{config.set} calls is being written, then start again. The config is always a whole
file (old or new), and start-up removes the temp files of the killed writer.
"""

from __future__ import annotations

import json
import random

import pytest_twisted


TRIALS = 6
WRITES = 20  # per trial: under the 30-per-minute write limit


def _temp_files(install) -> list[str]:
    return sorted(p.name for p in install.stateDir.iterdir() if p.name.startswith(".openclaw-") and p.name.endswith(".tmp"))


@pytest_twisted.ensureDeferred
async def test_sigkill_during_config_writes_leaves_a_whole_config_and_no_temp_file_after_restart(launcher, ports):
    gw = launcher.install()
    port = ports.reserve()
    gw.local(port=port)
    chooser = random.Random(20261207)
    for trial in range(TRIALS):
        child = launcher.openclaw(gw, "gateway")
        await launcher.listening(child)
        assert _temp_files(gw) == [], f"trial {trial}: the start-up sweep left temp files"
        client = await launcher.connect(port, scopes=["operator.admin"])
        base = gw.read_config()
        calls = [
            client.call("config.set", {"raw": json.dumps({**base, "meta": {"trial": trial, "write": n}}, indent=2)})
            for n in range(WRITES)
        ]
        for call in calls:
            call.addErrback(lambda failure: None)  # the ones in flight die with the process
        for call in calls[: chooser.randrange(WRITES // 2)]:
            await call
        child.signal("KILL")  # while later writes are being validated and written
        await child.exited()
        config = gw.read_config()  # whole: the rename is atomic
        assert config["gateway"] == base["gateway"]
        # the killed process's pid is a dead writer's: a temp file of its name must go too
        (gw.stateDir / f".openclaw-{child.pid}-planted.tmp").write_text(json.dumps(config))

    child = launcher.openclaw(gw, "gateway")
    await launcher.listening(child)
    assert _temp_files(gw) == []
    client = await launcher.connect(port)
    assert (await client.call("health"))["ok"] is True
