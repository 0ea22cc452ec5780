"""C{openclaw health}: the gateway's C{health} snapshot, rendered."""

from __future__ import annotations

import sys
from typing import Any, MutableMapping

from openclaw.cli.connect import rpc
from openclaw.cli.errors import CliError
from openclaw.cli.options import ClientOptions, parse
from openclaw.cli.output import Style, print_json
from openclaw.cli.runner import run_cli
from openclaw.cli.target import resolve_target


class HealthOptions(ClientOptions):
    synopsis = "Usage: openclaw health [--json] [--verbose] [--timeout <ms>]"
    defaultTimeoutMs = 10000
    optFlags = [
        ["verbose", None, "Force a live probe and print connection details."],
        ["debug", None, "Same as --verbose."],
    ]


def render(health: dict[str, Any], style: Style) -> list[str]:
    """The human lines of a C{health} payload, in OpenClaw's order."""
    lines = [_event_loop(health.get("eventLoop") or {}, style)]
    reload = (health.get("configReload") or {}).get("hotReloadStatus")
    if reload:
        lines.append(f"Config hot reload: {reload}")
    lines.append(f"Gateway probe duration: {health.get('durationMs', 0)}ms")
    labels = health.get("channelLabels") or {}
    channels = health.get("channels") or {}
    for channelId in health.get("channelOrder") or list(channels):
        lines.append(f"{labels.get(channelId, channelId)}: {_channel_state(channels.get(channelId) or {}, style)}")
    agents = health.get("agents") or []
    if agents:
        names = [a["agentId"] + (" (default)" if a.get("isDefault") else "") for a in agents]
        lines.append("Agents: " + ", ".join(names))
        beats = [
            f"{(a.get('heartbeat') or {}).get('every') if (a.get('heartbeat') or {}).get('enabled') else 'disabled'} ({a['agentId']})"
            for a in agents
        ]
        lines.append("Heartbeat interval: " + ", ".join(beats))
        for a in agents:
            sessions = a.get("sessions") or {}
            lines.append(f"Session store ({a['agentId']}): {sessions.get('path', '?')} ({sessions.get('count', 0)} entries)")
            for recent in sessions.get("recent") or []:
                lines.append(f"  - {recent.get('key', recent)}")
    return lines


def _event_loop(loop: dict[str, Any], style: Style) -> str:
    state = style.warn("degraded") if loop.get("degraded") else style.ok("ok")
    reasons = loop.get("reasons") or []
    if reasons:
        state += f" ({', '.join(reasons)})"
    return (
        f"Gateway event loop: {state} max={_num(loop.get('delayMaxMs'))}ms p99={_num(loop.get('delayP99Ms'))}ms "
        f"util={_num(loop.get('utilization'))} cpu={_num(loop.get('cpuCoreRatio'))}"
    )


def _num(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return "0"
    return str(round(value)) if float(value).is_integer() or abs(value) >= 10 else f"{value:.3g}"


def _channel_state(channel: dict[str, Any], style: Style) -> str:
    """One channel's accounts as C{account: running, connected} (or the error)."""
    accounts = channel.get("accounts") or {"default": channel}
    parts = []
    for accountId, account in accounts.items():
        words = [w for w in ("configured", "linked", "running", "connected") if account.get(w)]
        if account.get("lastError"):
            words.append(style.error(f"error: {account['lastError']}"))
        parts.append(f"{accountId}: {', '.join(words) or 'not configured'}")
    return "; ".join(parts)


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(HealthOptions, argv, environ, "health")
    verbose = options["verbose"] or options["debug"]

    async def body(reactor: Any) -> int:
        health = await rpc(reactor, options, "health", "health", {"probe": True} if verbose else None)
        if options["json"]:
            print_json({**health, "ok": True} if isinstance(health, dict) else health)
            return 0
        if not isinstance(health, dict):
            raise CliError("health failed: the gateway sent no snapshot", "gateway_error")
        style = Style()
        out = render(health, style)
        if verbose:
            target = resolve_target(options)
            out += [
                "Gateway connection:",
                f"  Gateway target: {target.url}",
                f"  Source: {target.source}",
                f"  Config: {options.local.paths.configPath}",
                f"  Bind: {options.local.get('gateway.bind', 'loopback')}",
            ]
        sys.stdout.write("\n".join(out) + "\n")
        return 0 if health.get("ok", True) else 1

    return run_cli(options, body)
