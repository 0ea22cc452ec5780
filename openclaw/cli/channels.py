"""
C{openclaw channels status [--probe] [--channel <name>] [--json]}: the gateway's
C{channels.status}, one line per account.  When the gateway cannot be reached it
prints what the local config declares instead (no live state) and still exits 0.
"""

from __future__ import annotations

import sys
from typing import Any, MutableMapping

from openclaw.channels.accounts import configured_accounts
from openclaw.cli.connect import rpc
from openclaw.cli.errors import CliError
from openclaw.cli.options import ClientOptions, parse
from openclaw.cli.output import print_json
from openclaw.cli.runner import run_cli, subcommand

USAGE = "Usage: openclaw channels status [--probe] [--channel <name>] [--json] [--timeout <ms>]"
NO_CHANNELS = "- no configured chat channels"
#: Failures after which the config-only summary is shown instead of an error.
_UNREACHABLE = ("gateway_transport_error", "gateway_credentials_required")


class StatusOptions(ClientOptions):
    synopsis = USAGE + " [--url <url>] [--port <n>] [--token <token>] [--password <password>]"
    defaultTimeoutMs = 60000
    optFlags = [["probe", None, "Run each account's live probe (and audit) on the gateway."]]
    optParameters = [["channel", None, None, "Only this channel (its id, e.g. irc or telegram)."]]


def _probe_state(probe: Any) -> str | None:
    if not isinstance(probe, dict):
        return None
    if probe.get("ok"):
        return "works"
    error = probe.get("error")
    return f"probe failed: {error}" if error else "probe failed"


def _audit_state(audit: Any) -> str | None:
    if not isinstance(audit, dict):
        return None
    return "audit ok" if audit.get("ok") else "audit failed"


def account_line(label: str, account: dict[str, Any]) -> str:
    """C{- IRC default: enabled, configured, running, connected, works}."""
    states = []
    for key, yes, no in (
        ("enabled", "enabled", "disabled"),
        ("configured", "configured", "not configured"),
        ("running", "running", "stopped"),
        ("connected", "connected", "disconnected"),
    ):
        if isinstance(account.get(key), bool):
            states.append(yes if account[key] else no)
    for extra in (_probe_state(account.get("probe")), _audit_state(account.get("audit"))):
        if extra:
            states.append(extra)
    if account.get("lastError"):
        states.append(f"error: {account['lastError']}")
    return f"- {label} {account.get('accountId', 'default')}: {', '.join(states) or 'unknown'}"


def render(result: dict[str, Any]) -> list[str]:
    lines = ["Gateway reachable."]
    labels = result.get("channelLabels") or {}
    accounts = result.get("channelAccounts") or {}
    for channelId in result.get("channelOrder") or []:
        for account in accounts.get(channelId) or []:
            lines.append(account_line(labels.get(channelId, channelId), account))
    if len(lines) == 1:
        lines.append(NO_CHANNELS)
    for channelId in result.get("channelOrder") or []:
        for issue in (result.get("channels") or {}).get(channelId, {}).get("statusIssues") or []:
            lines.append(f"Problem: {labels.get(channelId, channelId)} {issue['accountId']} ({issue['kind']}): {issue['message']}")
            lines.append(f"  fix: {issue['fix']}")
    for warning in result.get("warnings") or []:
        lines.append(f"Warning: {warning}")
    return lines


def config_only(options: StatusOptions, reason: str) -> dict[str, Any]:
    """The summary of what the local config declares, for an unreachable gateway."""
    local = options.local
    accounts = [
        {"channel": a.channelId, "accountId": a.accountId, "enabled": a.enabled}
        for a in configured_accounts(local.config)
        if options["channel"] in (None, a.channelId)
    ]
    return {
        "gatewayReachable": False,
        "error": reason,
        "configPath": local.paths.configPath,
        "mode": local.get("gateway.mode"),
        "accounts": accounts,
    }


def render_config_only(summary: dict[str, Any]) -> list[str]:
    lines = [
        "Gateway not reachable; showing config-only status.",
        f"Config: {summary['configPath']}",
        f"Mode: {summary['mode'] or 'unset'}",
        "",
    ]
    for account in summary["accounts"]:
        state = "enabled" if account["enabled"] else "disabled"
        lines.append(f"- {account['channel']} {account['accountId']}: {state} (config only, no live state)")
    if not summary["accounts"]:
        lines.append(NO_CHANNELS)
    return lines


def _status(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(StatusOptions, argv, environ, "channels status")

    async def body(reactor: Any) -> int:
        params: dict[str, Any] = {"probe": bool(options["probe"]), "timeoutMs": options.timeoutMs}
        if options["channel"]:
            params["channel"] = options["channel"]
        try:
            result = await rpc(reactor, options, "channels status", "channels.status", params)
        except CliError as e:
            if e.errorType not in _UNREACHABLE:
                raise
            sys.stderr.write(e.message + "\n")
            summary = config_only(options, e.message)
            if options["json"]:
                print_json(summary)
            else:
                print("\n".join(render_config_only(summary)))
            return 0
        if options["json"]:
            print_json(result)
        else:
            print("\n".join(render(result)))
        return 0

    return run_cli(options, body)


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    return subcommand("channels", {"status": _status}, USAGE + "\n", argv, environ)
