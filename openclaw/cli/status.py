"""
C{openclaw status}: local diagnosis plus the gateway overview. Everything that
can be known without the gateway is shown even when it is down.
"""

from __future__ import annotations

import platform
import sys
import time
from typing import Any, MutableMapping

from twisted.internet.threads import deferToThread

from openclaw import services
from openclaw.cli.connect import call, session
from openclaw.cli.errors import CliError
from openclaw.cli.localconfig import LocalConfig, log_file
from openclaw.cli.options import ClientOptions, parse
from openclaw.cli.output import Style, print_json
from openclaw.cli.runner import run_cli
from openclaw.cli.target import require_credentials, resolve_target
from openclaw.cli.health import render as render_health
from openclaw.cli.table import table

FAQ = "https://docs.openclaw.ai/faq"
TROUBLESHOOTING = "https://docs.openclaw.ai/troubleshooting"


class StatusOptions(ClientOptions):
    synopsis = "Usage: openclaw status [--json] [--all] [--deep] [--timeout <ms>]"
    defaultTimeoutMs = 10000
    optFlags = [
        ["all", None, "Full diagnosis, ready to paste."],
        ["deep", None, "Also run live health and channel probes."],
        ["verbose", None, "Same as --all."],
    ]


async def query(reactor: Any, options: StatusOptions) -> dict[str, Any]:
    """The gateway part: reachability, then C{status}, C{channels.status} (and C{health} when deep)."""
    target = resolve_target(options)
    gateway: dict[str, Any] = {
        "mode": target.mode, "url": target.url, "urlSource": target.source, "auth": target.auth, "reachable": False,
    }
    answers: dict[str, Any] = {"gateway": gateway}
    deep = bool(options["deep"])
    calls = [("status", {"includeChannelSummary": False}), ("channels.status", {"probe": deep, "timeoutMs": options.timeoutMs})]
    if deep:
        calls.append(("health", {"probe": True}))
    started = time.monotonic()
    try:
        require_credentials(target, options.local, "status")
        async with session(reactor, target, options.timeoutMs) as client:
            gateway.update(reachable=True, connectLatencyMs=round((time.monotonic() - started) * 1000))
            gateway["server"] = (client.hello or {}).get("server")
            for method, params in calls:
                try:
                    answers[method] = await call(client, method, params, options.timeoutMs)
                except CliError as e:
                    answers.setdefault("errors", {})[method] = e.message
    except CliError as e:  # only connecting raises here
        gateway["error"] = e.message.splitlines()[0]
    return answers


def _service_value(service: dict[str, Any]) -> str:
    runtime = service.get("runtime") or {}
    status = runtime.get("status") or "unknown"
    if runtime.get("pid"):
        status += f" (pid {runtime['pid']})"
    return f"{service.get('label', 'unknown')} {service.get('loadState', 'unknown')} · {status}"


def _agents(local: LocalConfig, status: dict[str, Any] | None) -> list[str]:
    if status:
        return [a["agentId"] for a in (status.get("heartbeat") or {}).get("agents") or []]
    listed = local.get("agents.list") or []
    return [a.get("id") for a in listed if isinstance(a, dict) and a.get("id")] or ["main"]


def overview(report: dict[str, Any], local: LocalConfig, everything: bool) -> list[tuple[str, str]]:
    gateway, status = report["gateway"], report.get("status")
    if gateway["reachable"]:
        reach = f"reachable {gateway['connectLatencyMs']}ms · auth {gateway['auth']}"
    else:
        reach = f"unreachable ({gateway.get('error', 'unknown error')})"
    dashboard = gateway["url"].replace("ws", "http", 1) + "/" if gateway["mode"] == "local" else "-"
    agents = _agents(local, status)
    sessions = (status or {}).get("sessions") or {}
    beats = [a for a in ((status or {}).get("heartbeat") or {}).get("agents") or [] if a.get("enabled")]
    rows = [
        ("OS", f"{platform.system().lower()} {platform.release()} ({platform.machine()}) · python {platform.python_version()}"),
        ("Dashboard", dashboard),
        ("Gateway", f"{gateway['mode']} · {gateway['url']} ({gateway['urlSource']}) · {reach}"),
        ("Gateway service", _service_value(report["service"])),
        ("Agents", f"{len(agents)} · sessions {sessions.get('count', 0) if status else 'unknown'}"),
        ("Heartbeat", ", ".join(f"{a['every']} ({a['agentId']})" for a in beats) or "disabled"),
        ("Sessions", f"{sessions.get('count', 0)} stored" if status else "unknown (gateway unreachable)"),
    ]
    if everything:
        version = (gateway.get("server") or {}).get("version") or (status or {}).get("runtimeVersion")
        rows += [
            ("Config", local.paths.configPath + ("" if local.valid else " (invalid)") + ("" if local.exists else " (missing)")),
            ("State dir", local.paths.stateDir),
            ("Log file", report["logFile"]),
            ("Gateway version", version or "unknown"),
            ("Gateway PID", str((status or {}).get("pid") or "unknown")),
        ]
    return rows


def channel_lines(channels: dict[str, Any] | None) -> list[str]:
    if channels is None:
        return ["Unknown (gateway unreachable); run openclaw channels status for the config-only summary"]
    order = channels.get("channelOrder") or []
    if not order:
        return ["No channels configured"]
    labels = channels.get("channelLabels") or {}
    rows = []
    for channelId in order:
        for account in (channels.get("channelAccounts") or {}).get(channelId) or [{}]:
            state = ", ".join(w for w in ("configured", "running", "connected") if account.get(w)) or "stopped"
            if account.get("lastError"):
                state += f" · error: {account['lastError']}"
            rows.append((labels.get(channelId, channelId), str(account.get("accountId", "default")), state))
    return table(("Channel", "Account", "State"), rows)


def render(report: dict[str, Any], local: LocalConfig, options: StatusOptions, style: Style) -> list[str]:
    everything = options["all"] or options["verbose"]
    lines = [style.bold("OpenClaw status"), "", "Overview", *table(("Item", "Value"), overview(report, local, everything))]
    if "channels.status" in report or not report["gateway"]["reachable"]:
        lines += ["", "Channels", *channel_lines(report.get("channels.status"))]
    if report.get("health"):
        lines += ["", "Health", *render_health(report["health"], style)]
    for method, message in (report.get("errors") or {}).items():
        lines.append(style.warn(f"{method}: {message}"))
    lines += ["", f"FAQ: {FAQ}", f"Troubleshooting: {TROUBLESHOOTING}", "Next steps:"]
    if not report["gateway"]["reachable"]:
        lines += ["  Diagnose and repair:   openclaw doctor", "  Fix reachability first: openclaw gateway probe"]
    lines += ["  Need to share?      openclaw status --all", "  Need to debug live? openclaw logs --follow"]
    return lines


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(StatusOptions, argv, environ, "status")

    async def body(reactor: Any) -> int:
        local = options.local
        service = deferToThread(services.inspect, local.environ)
        report = await query(reactor, options)
        report["service"] = await service
        report["logFile"] = log_file(local)
        report["config"] = {"path": local.paths.configPath, "exists": local.exists, "valid": local.valid}
        if options["json"]:
            print_json(report)
        else:
            sys.stdout.write("\n".join(render(report, local, options, Style())) + "\n")
        return 0

    return run_cli(options, body)
