"""
`openclaw secrets apply` killed with SIGKILL mid-run: whatever moment it dies, every
file it changes is either wholly old or wholly new, the config is never old while
another file is new (it commits first), and no temp file or backup holds a migrated
plaintext. Two ways to pick the moments: random delays over a run's length (most
land before the writes: the write phase is short), and, where strace can trace,
a SIGKILL injected at each fsync, rename and unlink the run makes, in random order.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import time
from collections import Counter

import pytest
import pytest_twisted
from twisted.internet.error import ProcessExitedAlready

from tests.e2e.processes import OPENCLAW

OPENAI = "sk-openai-plaintext-crash-11223344556677"
LOCAL = "sk-local-plaintext-crash-99aabbccddeeff00"
OTHER = "sk-anthropic-kept-5566778899"
RUNS = 14
STRACE = shutil.which("strace")
#: The calls of the write phase a kill is injected at (each one is killed before it runs).
WRITE_CALLS = ("fsync", "rename", "unlink")


def _old_files(gw, secrets) -> dict[str, bytes]:
    agentDir = gw.stateDir / "agents" / "main" / "agent"
    config = json.dumps({
        "gateway": {"mode": "local", "auth": {"token": "crash-test-token-0123456789abcdef"}},
        "models": {"providers": {"openai": {"apiKey": OPENAI}, "local": {"baseUrl": "http://127.0.0.1:9/v1", "apiKey": LOCAL}}},
    }, indent=2)
    return {
        str(gw.configPath): config.encode(),
        str(gw.configPath) + ".bak": config.encode(),
        str(gw.stateDir / ".env"): f"OPENAI_OLD={OPENAI}\nKEEP=1\nLOCAL_KEY={LOCAL}\n".encode(),
        str(agentDir / "auth-profiles.json"): json.dumps({"version": 1, "profiles": {
            "openai:default": {"type": "api_key", "provider": "openai", "key": OPENAI},
            "anthropic:default": {"type": "api_key", "provider": "anthropic", "key": OTHER},
        }}).encode(),
        str(agentDir / "auth.json"): json.dumps({"local": {"type": "api_key", "key": LOCAL}}).encode(),
    }


def _reset(gw, old: dict[str, bytes]) -> None:
    shutil.rmtree(gw.stateDir, ignore_errors=True)
    for path, data in old.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def _contents(gw) -> dict[str, bytes]:
    found = {}
    for directory, _, names in os.walk(gw.stateDir):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as f:
                found[path] = f.read()
    return found


class Scenario:
    """One install with plaintext everywhere, its plan, and the old and new contents of each file."""

    def __init__(self, launcher) -> None:
        self.launcher = launcher
        self.gw = gw = launcher.install()
        secrets = gw.root / "secrets.json"
        secrets.write_text(json.dumps({"local": LOCAL}))
        os.chmod(secrets, 0o600)
        self.plan = gw.root / "plan.json"
        self.plan.write_text(json.dumps({
            "version": 1, "protocolVersion": 1,
            "providerUpserts": {"vault": {"source": "file", "path": str(secrets)}},
            "targets": [
                {"type": "models.providers.apiKey", "path": "models.providers.openai.apiKey",
                 "ref": {"source": "env", "provider": "default", "id": "OPENAI_API_KEY"}},
                {"type": "models.providers.apiKey", "path": "models.providers.local.apiKey",
                 "ref": {"source": "file", "provider": "vault", "id": "/local"}},
            ],
            "scrubLegacyAuthJson": True,
        }))
        self.env = {**gw.env, "OPENAI_API_KEY": OPENAI}
        self.old = _old_files(gw, secrets)
        self.new: dict[str, bytes | None] = {}

    def apply(self, *prefix: str):
        """Start an apply from the old files (C{prefix}: a wrapper such as strace)."""
        _reset(self.gw, self.old)
        argv = [*prefix, OPENCLAW, "secrets", "apply", "--from", str(self.plan)]
        return self.launcher.spawn(argv, self.env, self.gw.root, name="apply")

    async def uncut(self, *prefix: str):
        child = self.apply(*prefix)
        assert await child.exited() == 0, child.describe()
        self.new = {path: _contents(self.gw).get(path) for path in self.old}
        assert all(self.new[p] != self.old[p] for p in self.old)  # every file changes (the .bak is removed)
        return child

    def check(self, where: str) -> None:
        after = _contents(self.gw)
        state = {
            path: "old" if after.get(path) == self.old[path] else "new" if after.get(path) == self.new[path] else "torn"
            for path in self.old
        }
        assert "torn" not in state.values(), f"{where} {state}"
        if state[str(self.gw.configPath)] == "old":  # the config commits first
            assert set(state.values()) == {"old"}, f"{where} {state}"
        for path, data in after.items():
            if path not in self.old:  # temp files (and nothing else) may be left by a kill
                assert os.path.basename(path).startswith(".openclaw-"), f"{where} {path}"
                assert OPENAI.encode() not in data and LOCAL.encode() not in data, f"{where} {path}"


@pytest_twisted.ensureDeferred
async def test_sigkill_after_random_delays_leaves_every_file_old_or_new(launcher):
    scenario = Scenario(launcher)
    started = time.monotonic()
    await scenario.uncut()
    duration = time.monotonic() - started
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    killed = 0
    for delay in [0.05] + [rng.uniform(0, duration) for _ in range(RUNS - 1)]:
        child = scenario.apply()

        def kill(child=child) -> None:
            try:
                child.signal("KILL")
            except ProcessExitedAlready:
                pass

        call = launcher.reactor.callLater(delay, kill)
        code = await child.exited()
        if call.active():
            call.cancel()
        killed += code == -9
        where = f"(seed {seed}, delay {delay:.3f}s, exit {code})"
        assert code in (0, -9), f"{where}\n{child.describe()}"
        scenario.check(where)
    assert killed, f"no run was killed before it ended (seed {seed}, one run took {duration:.2f}s)"


@pytest.mark.skipif(STRACE is None, reason="strace is not installed")
@pytest_twisted.ensureDeferred
async def test_sigkill_at_each_write_call_leaves_every_file_old_or_new(launcher):
    scenario = Scenario(launcher)
    trace = scenario.gw.root / "trace.txt"
    traced = scenario.apply(STRACE, "-f", "-qq", "-o", str(trace), "-e", f"trace={','.join(WRITE_CALLS)}")
    if await traced.exited() != 0:
        pytest.skip(f"strace cannot trace here: {traced.stderr.strip()[:200]}")
    calls = Counter(m.group(1) for m in re.finditer(r"^\d+ +(\w+)\(", trace.read_text(), re.M))
    await scenario.uncut()
    points = [(name, n) for name in WRITE_CALLS for n in range(1, calls[name] + 1)]
    assert calls["rename"] >= 4 and calls["fsync"] >= 4, calls  # (staging flushes each file, then renames it)
    seed = random.randrange(1 << 30)
    random.Random(seed).shuffle(points)
    for name, n in points:
        inject = f"inject={name}:signal=KILL:when={n}"
        child = scenario.apply(STRACE, "-f", "-qq", "-o", "/dev/null", "-e", f"trace={name}", "-e", inject)
        code = await child.exited()
        where = f"(seed {seed}, killed at {name} #{n}, exit {code})"
        assert code in (-9, 128 + 9), f"{where}\n{child.describe()}"  # (strace dies as its tracee did)
        scenario.check(where)
