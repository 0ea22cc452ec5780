"""
C{openclaw devices list|approve|reject|remove}: device pairing from the command line,
over C{device.pair.*} (scope C{operator.pairing}; approving operator scopes also
needs those scopes, admin ones need C{operator.admin}).
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, MutableMapping


from openclaw.cli.connect import OPERATOR_SCOPES, rpc
from openclaw.cli.errors import CliError
from openclaw.cli.options import ClientOptions, parse
from openclaw.cli.output import Style, print_json
from openclaw.cli.runner import run_cli, subcommand
from openclaw.cli.table import table
from openclaw.protocol import scopes as S

USAGE = """Usage: openclaw devices <command> [options]

Commands:
  list                    List pending and paired devices
  approve [requestId]     Approve a pending pairing request (--latest: show the newest)
  reject <requestId>      Reject a pending pairing request
  remove <deviceId>       Remove a paired device
"""

class DevicesOptions(ClientOptions):
    defaultTimeoutMs = 10000
    value = ""

    def parseArgs(self, value: str = "") -> None:
        self.value = value.strip()


class ApproveOptions(DevicesOptions):
    synopsis = "Usage: openclaw devices approve [requestId] [--latest] [--json]"
    optFlags = [["latest", None, "Show the newest pending request instead of approving."]]


def format_ago(ms: float) -> str:
    """C{just now}, C{5m ago}, C{3h ago}, C{2d ago} (OpenClaw's rounding)."""
    minutes = round(round(ms / 1000) / 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes}m ago"
    hours = round(minutes / 60)
    return f"{hours}h ago" if hours < 48 else f"{round(hours / 24)}d ago"


def _access(roles: list[str], scopes: list[str]) -> str:
    return f"roles: {', '.join(roles) or 'none'}; scopes: {', '.join(scopes) or 'none'}"


def _requested(request: dict[str, Any]) -> tuple[list[str], list[str]]:
    roles = sorted(set(request.get("roles") or []) | ({request["role"]} if request.get("role") else set()))
    return roles, sorted(set(request.get("scopes") or []))


def _approved(device: dict[str, Any] | None) -> tuple[list[str], list[str]] | None:
    if device is None:
        return None
    live = {t["role"] for t in device.get("tokens") or [] if not t.get("revokedAtMs")}
    roles = sorted(r for r in device.get("roles") or [] if r in live or not device.get("tokens"))
    return roles, sorted(set(device.get("scopes") or []))


def approval_kind(request: dict[str, Any], paired: dict[str, Any] | None) -> str:
    approved = _approved(paired)
    if approved is None:
        return "new pairing"
    roles, scopes = _requested(request)
    if not set(roles) <= set(approved[0]):
        return "role upgrade"
    if not set(scopes) <= set(approved[1]):
        return "scope upgrade"
    return "re-approval"


def render_list(listing: dict[str, Any], style: Style, nowMs: float) -> list[str]:
    pending, paired = listing.get("pending") or [], listing.get("paired") or []
    byId = {d["deviceId"]: d for d in paired}
    lines: list[str] = []
    if pending:
        lines.append(f"{style.bold('Pending')} {style.muted(f'({len(pending)})')}")
        rows = []
        for req in pending:
            device = byId.get(req["deviceId"])
            if device is not None and device.get("publicKey") != req.get("publicKey"):
                device = None
            approved = _approved(device)
            status = approval_kind(req, device) + (", repair" if req.get("isRepair") else "")
            rows.append([
                req["requestId"],
                (req.get("displayName") or req["deviceId"]) + (f" · {req['remoteIp']}" if req.get("remoteIp") else ""),
                _access(*_requested(req)),
                _access(*approved) if approved else "none",
                format_ago(nowMs - req["ts"]) if isinstance(req.get("ts"), (int, float)) else "",
                status,
            ])
        lines += table(["Request", "Device", "Requested", "Approved", "Age", "Status"], rows)
    if paired:
        lines.append(f"{style.bold('Paired')} {style.muted(f'({len(paired)})')}")
        rows = []
        for device in paired:
            tokens = sorted(
                t["role"] + (" (revoked)" if t.get("revokedAtMs") else "") for t in device.get("tokens") or []
            )
            rows.append([
                device.get("displayName") or device.get("clientId") or device["deviceId"],
                device["deviceId"],
                ", ".join(device.get("roles") or []),
                ", ".join(device.get("scopes") or []),
                ", ".join(tokens) or "none",
                device.get("remoteIp") or "",
            ])
        lines += table(["Device", "Device ID", "Roles", "Scopes", "Tokens", "IP"], rows)
        lines.append(style.muted("Full device IDs"))
        lines += [f"  {row[1]}  {row[0]}" for row in rows]
    if not pending and not paired:
        lines.append(style.muted("No device pairing entries."))
    return lines


def approval_scopes(request: dict[str, Any]) -> list[str]:
    """
    What to connect with to approve C{request} (the caller must hold every scope it
    grants): pairing plus the operator scopes it asks for, or admin when it asks for
    admin or for a scope this CLI does not hold on its own connections (L{OPERATOR_SCOPES},
    all a paired CLI device is approved for).
    """
    roles, _ = _requested(request)
    wanted = [s for s in request.get("scopes") or [] if s.startswith("operator.")] if "operator" in roles else []
    if any(s == S.ADMIN or s not in OPERATOR_SCOPES for s in wanted) or (roles and roles != ["operator"]):
        return [S.ADMIN]
    return list(dict.fromkeys([S.PAIRING, *wanted]))


def _list(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(DevicesOptions, argv, environ, "devices list")

    async def body(reactor) -> int:
        listing = await rpc(reactor, options, "devices", "device.pair.list", {}, [S.PAIRING])
        if options["json"]:
            print_json({"pending": listing.get("pending") or [], "paired": listing.get("paired") or []})
        else:
            sys.stdout.write("\n".join(render_list(listing, Style(environ=environ), time.time() * 1000)) + "\n")
        return 0

    return run_cli(options, body)


def _approve(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(ApproveOptions, argv, environ, "devices approve")
    requestId = options.value
    style = Style(environ=environ)

    async def body(reactor) -> int:
        listing = await rpc(reactor, options, "devices", "device.pair.list", {}, [S.PAIRING])
        pending = listing.get("pending") or []
        if not requestId or options["latest"]:
            return _show_latest(pending, listing.get("paired") or [], options, style)
        request = next((p for p in pending if p["requestId"] == requestId), None)
        if request is None:
            raise CliError(
                f"No pending device request matches {requestId}. "
                "Run openclaw devices list and retry with the current request ID."
            )
        result = await rpc(reactor, options, "devices", "device.pair.approve", {"requestId": requestId}, approval_scopes(request))
        if options["json"]:
            print_json(result)
        else:
            deviceId = (result.get("device") or {}).get("deviceId") or "ok"
            sys.stdout.write(f"{style.ok('Approved')} {style.accent(deviceId)} {style.muted(f'({requestId})')}\n")
        return 0

    return run_cli(options, body)


def _show_latest(pending: list[dict], paired: list[dict], options: ApproveOptions, style: Style) -> int:
    """Without a request id nothing is approved: the newest request is shown instead."""
    if not pending:
        raise CliError("No pending device pairing requests to approve")
    req = max(pending, key=lambda p: p.get("ts") or 0)
    device = next((d for d in paired if d["deviceId"] == req["deviceId"]), None)
    command = f"openclaw devices approve {req['requestId']}"
    approved = _approved(device)
    if options["json"]:
        roles, scopes = _requested(req)
        print_json({
            "selected": req,
            "approvalState": {
                "kind": approval_kind(req, device).replace(" ", "-"),
                "requested": {"roles": roles, "scopes": scopes},
                "approved": {"roles": approved[0], "scopes": approved[1]} if approved else None,
            },
            "approveCommand": command,
        })
        return 1
    lines = [
        f"{style.warn('Selected pending device request')} {style.accent(req['requestId'])}",
        f"  Device: {req.get('displayName') or req['deviceId']}",
        f"  Requested: {_access(*_requested(req))}",
    ]
    if approved:
        lines.append(f"  Approved: {_access(*approved)}")
    if req.get("remoteIp"):
        lines.append(f"  IP:     {req['remoteIp']}")
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stderr.write(f"Approve this exact request with: {command}\n")
    return 1


def _one_argument(name: str, what: str, method: str, param: str, done: str) -> Callable[[list[str], MutableMapping[str, str]], int]:
    """A subcommand that sends one id to one method and names the device it touched."""

    def run(argv: list[str], environ: MutableMapping[str, str]) -> int:
        options = parse(DevicesOptions, argv, environ, f"devices {name}")
        value = options.value
        style = Style(environ=environ)

        async def body(reactor) -> int:
            if not value:
                raise CliError(f"{what} is required. Run openclaw devices list to choose one.")
            result = await rpc(reactor, options, "devices", method, {param: value}, [S.PAIRING])
            if options["json"]:
                print_json(result)
            else:
                sys.stdout.write(f"{style.warn(done)} {style.accent(result.get('deviceId') or 'ok')}\n")
            return 0

        return run_cli(options, body)

    return run


#: subcommand → its C{main(argv, environ) -> int}.
SUBCOMMANDS: dict[str, Callable[[list[str], MutableMapping[str, str]], int]] = {
    "list": _list,
    "approve": _approve,
    "reject": _one_argument("reject", "requestId", "device.pair.reject", "requestId", "Rejected"),
    "remove": _one_argument("remove", "deviceId", "device.pair.remove", "deviceId", "Removed"),
}


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    return subcommand("devices", SUBCOMMANDS, USAGE, argv, environ)
