"""Transcripts survive SIGKILL: every append a killed process saw fire is in the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest_twisted

from openclaw.agents.sessions.stores import SessionStores
from tests.e2e.processes import PYTHON, REPO, spawn

APPENDER = Path(__file__).with_name("appender.py")


@pytest_twisted.ensureDeferred
async def test_appends_committed_before_a_sigkill_are_all_there(reactor, tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}
    child = spawn(reactor, [PYTHON, str(APPENDER), str(tmp_path / "state")], env, tmp_path)
    try:
        await child.line(r"^40 ", stream="stdout")
        child.signal("KILL")
        assert await child.exited() == -9
    finally:
        await child.kill()
    reported = dict(line.split() for line in child.lines[1])
    assert len(reported) >= 40

    stores = SessionStores(str(tmp_path / "state"), reactor)
    stores.startService()
    try:
        entries = await stores.store("main").transcript("agent:main:main")
    finally:
        await stores.stopService()
    stored = {str(e.seq): e.id for e in entries}
    assert {seq: stored.get(seq) for seq in reported} == reported
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert all(e.parentId == p.id for p, e in zip(entries, entries[1:]))
