"""
The agent's workspace and the system prompt built from it.

A workspace is a directory of plain Markdown files the user edits to shape the
agent: C{AGENTS.md} (how to work), C{SOUL.md} (voice and limits), C{USER.md}
(who the user is), C{TOOLS.md} (notes on local tools), C{IDENTITY.md} (name,
emoji), C{HEARTBEAT.md} (what a heartbeat checks) and C{MEMORY.md} (lasting
notes). They go into the system prompt in that order, each cut to
C{agents.defaults.bootstrapMaxChars} and all together to
C{agents.defaults.bootstrapTotalMaxChars}; a cut file keeps its head and tail
with a marker between.

A workspace that does not exist yet is created with short default files (by
C{openclaw setup}, or by the agent's first run); an existing one is never
changed. The default prompt, files and tool descriptions included, stays under
L{DEFAULT_PROMPT_TOKEN_BUDGET} tokens so that models with an 8k context work.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool

from openclaw.agents.providers.base import Tool
from openclaw.agents.settings import AgentEntry, AgentsSettings, whole_number

BOOTSTRAP_FILES = ("AGENTS.md", "SOUL.md", "USER.md", "TOOLS.md", "IDENTITY.md", "HEARTBEAT.md", "MEMORY.md")
DEFAULT_PROMPT_TOKEN_BUDGET = 3000

DEFAULT_FILES: Mapping[str, str] = {
    "AGENTS.md": (
        "# How to work\n\n"
        "- Answer directly; keep replies short unless asked for detail.\n"
        "- Use tools when they save guessing: read files before changing them, check command output.\n"
        "- Ask before doing anything that cannot be undone or that leaves this machine.\n"
        "- Write lasting facts and decisions to MEMORY.md so later sessions know them.\n"
    ),
    "SOUL.md": (
        "# Character\n\n"
        "Helpful, honest and calm. Say when you are unsure. Private things stay private.\n"
    ),
    "USER.md": (
        "# The user\n\n"
        "(Nothing known yet. Add name, time zone and preferences here.)\n"
    ),
    "TOOLS.md": (
        "# Local tool notes\n\n"
        "(Notes about this machine: useful commands, paths, devices.)\n"
    ),
    "IDENTITY.md": (
        "# Identity\n\n"
        "Name: Claw\nEmoji: 🦞\n"
    ),
    "MEMORY.md": (
        "# Memory\n\n"
        "(Lasting notes. Keep this file short.)\n"
    ),
}

_TOKEN = re.compile(r"\w+|[^\w\s]")


def estimate_tokens(text: str) -> int:
    """
    A conservative token estimate: the larger of one token per four characters
    and one per word or punctuation mark (BPE tokenizers usually need fewer).
    """
    return max(len(text) // 4 + 1, len(_TOKEN.findall(text)))


@dataclass(frozen=True)
class BootstrapLimits:
    maxChars: int = 20_000
    totalMaxChars: int = 60_000

    @classmethod
    def fromConfig(cls, config: Mapping[str, Any]) -> "BootstrapLimits":
        agents = config.get("agents") if isinstance(config.get("agents"), Mapping) else {}
        defaults = agents.get("defaults") if isinstance(agents.get("defaults"), Mapping) else {}
        return cls(
            maxChars=whole_number(
                defaults.get("bootstrapMaxChars"), "agents.defaults.bootstrapMaxChars", cls.maxChars, 100),
            totalMaxChars=whole_number(
                defaults.get("bootstrapTotalMaxChars"), "agents.defaults.bootstrapTotalMaxChars", cls.totalMaxChars, 100),
        )


@dataclass(frozen=True)
class BootstrapFile:
    name: str
    text: str
    truncated: bool = False


def workspace_path(agents: AgentsSettings, agentId: str) -> str:
    """The agent's workspace: its own setting, the default for the default agent, else C{workspace-<id>} beside it."""
    entry = agents.agent(agentId)
    if entry is not None and entry.workspace:
        return entry.workspace
    if agentId == agents.defaultAgentId:
        return agents.defaults.workspace
    return os.path.join(os.path.dirname(agents.defaults.workspace), f"workspace-{agentId}")


def write_defaults(path: str) -> list[str]:
    """Create C{path} if needed and write each default file it lacks (never overwriting); returns those written."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    written = []
    for name, text in DEFAULT_FILES.items():
        target = os.path.join(path, name)
        try:
            with open(target, "x", encoding="utf-8") as f:
                f.write(text)
        except FileExistsError:
            continue
        written.append(target)
    return written


def cut(text: str, limit: int) -> tuple[str, bool]:
    """C{text} within C{limit} characters: its head and tail around a marker when too long."""
    if len(text) <= limit:
        return text, False
    marker = f"\n[… {len(text) - limit} characters cut …]\n"
    room = max(limit - len(marker), 0)
    head = room * 7 // 9
    return text[:head] + marker + text[len(text) - (room - head):], True


def read_bootstrap(path: str, limits: BootstrapLimits) -> list[BootstrapFile]:
    """The workspace's bootstrap files in prompt order (missing and empty ones left out), cut to the limits."""
    files: list[BootstrapFile] = []
    left = limits.totalMaxChars
    for name in BOOTSTRAP_FILES:
        try:
            with open(os.path.join(path, name), encoding="utf-8", errors="replace") as f:
                text = f.read().strip()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
        if not text or left <= 0:
            continue
        text, truncated = cut(text, min(limits.maxChars, left))
        left -= len(text)
        files.append(BootstrapFile(name, text, truncated))
    return files


def system_prompt(
    agent: AgentEntry | None, workspace: str, files: Sequence[BootstrapFile], tools: Sequence[Tool], extra: str = "",
) -> str:
    """The system prompt: who the agent is, its tools, its workspace files, then the caller's extra text."""
    identity = dict(agent.identity or {}) if agent else {}
    name = identity.get("name") or (agent.name if agent else None)
    emoji = f" {identity['emoji']}" if identity.get("emoji") else ""
    who = f"{name}{emoji}, a" if name else "a"
    parts = [f"You are {who} personal assistant run by an OpenClaw gateway."]
    if tools:
        lines = "\n".join(f"- {t.name}: {t.description}" for t in tools)
        parts.append(f"## Tools\nCall a tool when it helps; its result comes back to you.\n{lines}")
    parts.append(f"## Workspace\nYour workspace is {workspace}; file paths are relative to it.")
    for f in files:
        parts.append(f"## {f.name}\n{f.text}")
    if extra:
        parts.append(extra)
    return "\n\n".join(parts)


def prompt_tokens(prompt: str, tools: Sequence[Tool]) -> int:
    """What the system prompt and the tool schemas a request carries cost, estimated."""
    schemas = json.dumps([{"name": t.name, "description": t.description, "parameters": t.parameters} for t in tools])
    return estimate_tokens(prompt) + estimate_tokens(schemas)


class Workspace:
    """One agent's workspace as a run sees it: the directory, the limits, the thread to read it on."""

    def __init__(self, agent: AgentEntry | None, path: str, limits: BootstrapLimits, reactor: Any) -> None:
        self.agent = agent
        self.path = path
        self._limits = limits
        self._reactor = reactor

    def _prepared(self) -> list[BootstrapFile]:
        if not os.path.isdir(self.path):  # a new agent's workspace; an existing one is the user's
            write_defaults(self.path)
        return read_bootstrap(self.path, self._limits)

    def systemPrompt(self, tools: Sequence[Tool], extra: str = "") -> "Deferred[str]":
        """The prompt for a run (the workspace created first if missing), read on a thread."""
        d = deferToThreadPool(self._reactor, self._reactor.getThreadPool(), self._prepared)
        return d.addCallback(lambda files: system_prompt(self.agent, self.path, files, tools, extra))
