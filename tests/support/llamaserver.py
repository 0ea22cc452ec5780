"""
llama.cpp's C{llama-server} as a test fixture: a real, local OpenAI-compatible model
server with the tiny SmolLM2-135M-Instruct model.

C{.ci/install-llama-server} builds both into the test cache once and writes
C{<cache>/llama-server.json} last; L{installed} reads only that file, and says
precisely what is missing when it cannot be used (the caller skips).

    server = await LlamaServer.start(reactor, installed(), workdir)
    ... ModelsSettings with baseUrl=server.baseUrl ...
    await server.stop()

The server binds port 0 and reports the port it got on its console, so there is
no free-port race; it is ready once C{GET /health} answers 200 (503 while the model
loads), polled on the reactor.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import treq
from twisted.internet.error import ConnectError
from twisted.internet.task import deferLater

from tests.e2e.processes import ChildFailed, ChildProcess, spawn
from tests.support.wire_schema import cache_dir

MANIFEST = "llama-server.json"
INSTALLER = ".ci/install-llama-server"
#: The model name the server answers to (C{--alias}); configs name it C{<provider>/smollm2}.
MODEL_ID = "smollm2"
#: Prompt plus reply, in tokens; the tests stay far below it.
CONTEXT_TOKENS = 2048
#: Starting takes well under a second on a quiet machine; this only bounds a broken one.
READY_TIMEOUT = 60.0
HEALTH_POLL_SECONDS = 0.05
LISTENING = r"listening on http://127\.0\.0\.1:(\d+)"


class LlamaMissing(Exception):
    """The server or its model is not installed; the message says what to run."""


@dataclass(frozen=True)
class LlamaInstall:
    server: Path
    model: Path


def installed(cache: Path | None = None) -> LlamaInstall:
    """The cached server and model, or L{LlamaMissing} naming what is not there."""
    manifest = (cache_dir() if cache is None else cache) / MANIFEST
    hint = f"run {INSTALLER} (it builds llama.cpp from source once, about 9 minutes on 2 cores)"
    try:
        paths = json.loads(manifest.read_text())
    except FileNotFoundError:
        raise LlamaMissing(f"the llama.cpp server is not installed: {manifest} does not exist; {hint}") from None
    install = LlamaInstall(Path(paths["server"]), Path(paths["model"]))
    for path in (install.server, install.model):
        if not path.is_file():
            raise LlamaMissing(f"{manifest} names {path}, which does not exist; {hint}")
    return install


def server_argv(install: LlamaInstall) -> list[str]:
    return [
        str(install.server),
        "--model", str(install.model),
        "--alias", MODEL_ID,
        "--host", "127.0.0.1",
        "--port", "0",
        "--ctx-size", str(CONTEXT_TOKENS),
        # one slot: a generation the server failed to cancel would hold up the next request
        "--parallel", "1",
        # no re-layout of the weights at load, reported to fail on some x86 CPUs
        # (this build ran either way here; skipping it is the safe choice)
        "--no-repack",
        # one thread: llama.cpp's threads spin-wait on each other, which on a busy
        # 2-core machine measured 0.8 tokens/s with two threads and 15 with one
        "--threads", "1",
        "--no-webui",
    ]


class LlamaServer:
    """A running C{llama-server} child on a loopback port."""

    def __init__(self, reactor: Any, child: ChildProcess, port: int) -> None:
        self.reactor = reactor
        self.child = child
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def baseUrl(self) -> str:
        """What an C{openai-completions} provider's C{baseUrl} is set to."""
        return f"{self.url}/v1"

    @classmethod
    async def start(cls, reactor: Any, install: LlamaInstall, cwd: Path) -> "LlamaServer":
        env = {"HOME": str(cwd), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        child = spawn(reactor, server_argv(install), env, cwd, name="llama-server")
        server = None
        try:
            match = await child.line(LISTENING, timeout=READY_TIMEOUT)
            server = cls(reactor, child, int(match.group(1)))
            await server._healthy(reactor.seconds() + READY_TIMEOUT)
            return server
        except BaseException:
            await child.kill()
            raise

    async def _healthy(self, deadline: float) -> None:
        while True:
            try:
                response = await treq.get(f"{self.url}/health", persistent=False)
                await response.content()
                if response.code == 200:
                    return
            except ConnectError:
                pass
            if self.child.ended or self.reactor.seconds() > deadline:
                raise ChildFailed(f"llama-server never answered /health with 200\n{self.child.describe()}")
            await deferLater(self.reactor, HEALTH_POLL_SECONDS, lambda: None)

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within the usual child timeout."""
        if self.child.ended:
            return
        self.child.signal("TERM")
        try:
            await self.child.exited()
        except ChildFailed:
            await self.child.kill()

