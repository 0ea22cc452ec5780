"""
C{openclaw sessions [--agent <id> | --all-agents] [--active <minutes>] [--limit <n|all>] [--json]}:
the sessions of the running gateway (C{sessions.list}), newest first, in
OpenClaw's table and JSON shapes.

OpenClaw's own CLI reads its session database itself; this one asks the gateway,
which owns the store, so it needs a running gateway (and works against a remote one).
"""

from __future__ import annotations

import sys
from typing import Any, MutableMapping

from twisted.python import usage

from openclaw.cli.connect import call, session
from openclaw.cli.options import ClientOptions, parse, positive_int
from openclaw.cli.output import print_json
from openclaw.cli.runner import run_cli
from openclaw.cli.table import table
from openclaw.cli.target import require_credentials, resolve_target

DEFAULT_LIMIT = 100
#: Sessions asked for per C{sessions.list} call when they are all wanted.
PAGE = 1000
#: The runtime column: every session here runs on the gateway's own agent runtime.
RUNTIME_LABEL = "OpenClaw Default"
HEADER = ("Kind", "Key", "Age", "Model", "Runtime", "Tokens (ctx %)", "Flags")


class SessionsOptions(ClientOptions):
    synopsis = "Usage: openclaw sessions [list] [--agent <id> | --all-agents] [--active <minutes>] [--limit <n|all>] [--json]"
    defaultTimeoutMs = 10000
    optFlags = [["all-agents", None, "List the sessions of every configured agent."]]
    optParameters = [
        ["agent", None, None, "The agent whose sessions to list (default: the default agent)."],
        ["active", None, None, "Only sessions updated within the past N minutes."],
        ["limit", None, None, f'At most this many sessions (default {DEFAULT_LIMIT}; "all" for every one).'],
    ]

    def parseArgs(self, *args: str) -> None:
        if args not in ((), ("list",)):
            raise usage.UsageError(f"unknown command 'sessions {args[0]}'")

    def postOptions(self) -> None:
        super().postOptions()
        if self["agent"] and self["all-agents"]:
            raise usage.UsageError("Use either --agent or --all-agents, not both.")
        self.activeMinutes = positive_int("--active", self["active"], 0) or None
        self.limit = None if self["limit"] == "all" else positive_int("--limit", self["limit"], DEFAULT_LIMIT)


async def _list(client: Any, options: SessionsOptions, agentId: str | None) -> dict[str, Any]:
    """One agent's C{sessions.list}, paged through when every session is wanted."""
    params: dict[str, Any] = {}
    if agentId:
        params["agentId"] = agentId
    if options.activeMinutes:
        params["activeMinutes"] = options.activeMinutes
    if options.limit is not None:
        return await call(client, "sessions.list", {**params, "limit": options.limit}, options.timeoutMs)
    offset, rows = 0, []
    while True:
        page = await call(client, "sessions.list", {**params, "limit": PAGE, "offset": offset}, options.timeoutMs)
        rows += page["sessions"]
        if not page.get("hasMore"):
            return {**page, "sessions": rows, "count": len(rows), "limitApplied": None}
        offset = page["nextOffset"]


def json_row(row: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """A gateway row with the token and model fields OpenClaw's C{sessions --json} rows carry."""
    total = row.get("totalTokens")
    return {
        **row,
        "totalTokens": total,
        "totalTokensFresh": total is not None,
        "contextTokens": row.get("contextTokens") or defaults.get("contextTokens"),
        "modelProvider": row.get("modelProvider") or defaults.get("modelProvider"),
        "model": row.get("model") or defaults.get("model"),
    }


def listing(pages: list[tuple[str | None, dict[str, Any]]], options: SessionsOptions, allAgents: bool) -> dict[str, Any]:
    """The C{--json} document: one store's, or (C{allAgents}) every store's sessions, newest first."""
    rows = [json_row(row, page.get("defaults") or {}) for _, page in pages for row in page["sessions"]]
    rows.sort(key=lambda r: r.get("updatedAt") or 0, reverse=True)
    total = sum(page["totalCount"] for _, page in pages)
    if options.limit is not None:
        rows = rows[: options.limit]
    document: dict[str, Any] = {"path": None if allAgents else pages[0][1]["path"]}
    if allAgents:
        document.update(stores=[{"agentId": agentId, "path": page["path"]} for agentId, page in pages], allAgents=True)
    document.update(
        count=len(rows), totalCount=total, limitApplied=options.limit, hasMore=len(rows) < total,
        activeMinutes=options.activeMinutes, sessions=rows,
    )
    return document


def time_ago(ms: int) -> str:
    """C{just now}, C{5m ago}, C{3h ago}, C{2d ago}."""
    minutes = round(round(ms / 1000) / 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes}m ago"
    hours = round(minutes / 60)
    return f"{hours}h ago" if hours < 48 else f"{round(hours / 24)}d ago"


def token_count(value: int) -> str:
    """C{950}, C{1.2k}, C{128k}, C{1.5m}."""
    if value < 1000:
        return str(round(value))
    if value < 1_000_000:
        thousands = f"{value / 1000:.{0 if value >= 10_000 else 1}f}"
        if float(thousands) < 1000:
            return f"{thousands}k"
    return f"{value / 1_000_000:.1f}m"


def tokens_cell(row: dict[str, Any]) -> str:
    context = row.get("contextTokens")
    contextLabel = token_count(context) if context else "?"
    total = row.get("totalTokens")
    if total is None:
        return f"unknown/{contextLabel} (?%)"
    percent = min(999, round(total / context * 100)) if context else "?"
    return f"{token_count(total)}/{contextLabel} ({percent}%)"


def flags_cell(row: dict[str, Any]) -> str:
    flags = ["aborted" if row.get("abortedLastRun") else None, f"id:{row['sessionId']}" if row.get("sessionId") else None]
    return " ".join(f for f in flags if f)


def render(document: dict[str, Any], now: int) -> list[str]:
    """The human lines: store(s), count, filter, then the table (with an Agent column for several stores)."""
    stores = document.get("stores")
    lines = [f"Session stores: {len(stores)} ({', '.join(s['agentId'] for s in stores)})" if stores
             else f"Session store: {document['path']}"]
    listed, total, limit = document["count"], document["totalCount"], document["limitApplied"]
    lines.append(f"Sessions listed: {listed} of {total} (limit {limit})" if document["hasMore"] and limit
                 else f"Sessions listed: {listed}")
    if document["activeMinutes"]:
        lines.append(f"Filtered to last {document['activeMinutes']} minute(s)")
    if not document["sessions"]:
        return lines + ["No sessions found."]
    rows = []
    for row in document["sessions"]:
        updated = row.get("updatedAt")
        cells = [
            row.get("kind") or "unknown", row["key"], time_ago(max(0, now - updated)) if updated else "unknown",
            row.get("model") or "unknown", RUNTIME_LABEL, tokens_cell(row), flags_cell(row),
        ]
        rows.append([row.get("agentId", "")] + cells if stores else cells)
    header = ("Agent", *HEADER) if stores else HEADER
    return lines + table(header, rows)


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(SessionsOptions, argv, environ, "sessions")

    async def body(reactor: Any) -> int:
        target = resolve_target(options)
        require_credentials(target, options.local, "sessions")
        async with session(reactor, target, options.timeoutMs) as client:
            if options["all-agents"]:
                agents = await call(client, "agents.list", {}, options.timeoutMs)
                agentIds = [a["id"] for a in agents["agents"]]
            else:
                agentIds = [options["agent"]]
            pages = [(agentId, await _list(client, options, agentId)) for agentId in agentIds]
        document = listing(pages, options, bool(options["all-agents"]))
        if options["json"]:
            print_json(document)
        else:
            now = max(page.get("ts") or 0 for _, page in pages)
            sys.stdout.write("\n".join(render(document, now)) + "\n")
        return 0

    return run_cli(options, body)
