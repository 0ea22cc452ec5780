"""
contrib/systemd and contrib/launchd hold what `openclaw gateway install` writes for
an example install (openclaw in /opt/openclaw/bin, user claw, port 18789).
Regenerate them after changing the renderers: `.venv/bin/python -m tests.services.test_contrib`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from openclaw.services.definition import build
from openclaw.services.identity import identify
from openclaw.services.launchd import render_plist
from openclaw.services.systemd import render_unit

CONTRIB = Path(__file__).resolve().parents[2] / "contrib"
ENTRY = "/opt/openclaw/bin/openclaw"


def examples() -> dict[str, bytes]:
    linux = {"HOME": "/home/claw"}
    mac = {"HOME": "/Users/claw"}
    user = identify(linux, "systemd")
    system = identify(linux, "systemd", system=True)
    agent = identify(mac, "launchd")
    return {
        "systemd/openclaw-gateway.service": render_unit(user, build(user, 18789, linux, ENTRY)).encode(),
        "systemd/openclaw-gateway.system.service": render_unit(system, build(system, 18789, linux, ENTRY), user="claw").encode(),
        "launchd/ai.openclaw.gateway.plist": render_plist(agent, build(agent, 18789, mac, ENTRY)),
    }


@pytest.mark.parametrize("name", sorted(examples()))
def test_contrib_example_matches_what_install_writes(name):
    assert (CONTRIB / name).read_bytes() == examples()[name]


if __name__ == "__main__":
    for name, data in examples().items():
        (CONTRIB / name).write_bytes(data)
        print(f"wrote contrib/{name}")
