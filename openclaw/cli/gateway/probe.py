"""
C{openclaw gateway probe}: probe every gateway this CLI could mean (an explicit
C{--url}, the configured remote, and always the local loopback one), and warn
when more than one distinct gateway answers.

A gateway's identity is the C{instanceId} of its own C{system-presence} entry,
so the same gateway reached twice (say, through an SSH tunnel) counts once.
"""

from __future__ import annotations

import sys
import time
from typing import Any, MutableMapping

from openclaw.cli.connect import call, session
from openclaw.cli.errors import CliError
from openclaw.cli.options import ClientOptions, parse
from openclaw.cli.output import Style, print_json
from openclaw.cli.runner import run_cli
from openclaw.cli.target import (
    Target,
    configured_secret,
    local_secrets,
    local_url,
    make_target,
    resolve_target,
)
from openclaw.cli.gateway.status import capability

READ_CALLS = ("health", "status", "system-presence", "config.get")
MULTIPLE = "multiple reachable gateway identities detected"


class ProbeOptions(ClientOptions):
    synopsis = "Usage: openclaw gateway probe [--json] [--url <url> --token <t>|--password <p>] [--timeout <ms>]"
    defaultTimeoutMs = 3000


def targets(options: ProbeOptions) -> list[tuple[str, str, Target]]:
    """(id, label, target) in probe order; the loopback one always comes last."""
    local = options.local
    found: list[tuple[str, str, Target]] = []
    if options["url"]:
        found.append(("explicit", "URL (explicit)", resolve_target(options, probe=True)))
    remoteUrl = local.get("gateway.remote.url")
    if isinstance(remoteUrl, str) and remoteUrl:
        active = local.get("gateway.mode") == "remote"
        token, password = configured_secret(local, "gateway.remote.token"), configured_secret(local, "gateway.remote.password")
        label = "Remote (configured)" if active else "Remote (configured, inactive)"
        found.append(("configuredRemote", label, make_target(local, remoteUrl, "config gateway.remote.url", "remote", token, password)))
    token, password = local_secrets(local, remoteFallback=False)
    if not options["url"]:
        token, password = options["token"] or token, options["password"] or password
    found.append(("localLoopback", "Local loopback", make_target(local, local_url(local, options["port"]), "local loopback", "local", token, password)))
    return found


async def probe_target(reactor: Any, targetId: str, target: Target, timeoutMs: int) -> dict[str, Any]:
    started = time.monotonic()
    result: dict[str, Any] = {
        "id": targetId, "kind": targetId, "url": target.url,
        "connect": {"ok": False, "rpcOk": False, "scopeLimited": False},
    }
    connect = result["connect"]
    answers: dict[str, Any] = {}
    errors: list[str] = []
    try:
        async with session(reactor, target, timeoutMs) as client:
            connect.update(ok=True, latencyMs=round((time.monotonic() - started) * 1000))
            result["auth"] = {"role": "operator", "scopes": client.scopes, "capability": capability(client.scopes)}
            result["server"] = (client.hello or {}).get("server")
            for method in READ_CALLS:
                try:
                    answers[method] = await call(client, method, {} if method == "config.get" else None, timeoutMs)
                except CliError as e:
                    errors.append(e.message.split(": ", 1)[-1])
    except CliError as e:  # only connecting raises here
        connect["error"] = e.message.splitlines()[0]
        return result
    limited = [e for e in errors if e.startswith("missing scope")]
    connect["rpcOk"] = not errors
    connect["scopeLimited"] = bool(limited)
    if errors:
        connect["error"] = errors[0]
    result["health"] = answers.get("health")
    presence = answers.get("system-presence") or []
    result["self"] = next((p for p in presence if isinstance(p, dict) and p.get("reason") == "self"), None)
    return result


def _rpc_words(connect: dict[str, Any]) -> str:
    if connect["rpcOk"]:
        return "RPC: ok"
    return f"RPC: limited - {connect.get('error', '')}" if connect["scopeLimited"] else f"RPC: failed - {connect.get('error', '')}"


def report(results: list[tuple[str, dict[str, Any]]], timeoutMs: int, durationMs: int) -> dict[str, Any]:
    reachable = [r for _, r in results if r["connect"]["ok"]]
    identities = {(r.get("self") or {}).get("instanceId") or r["url"] for r in reachable}
    warnings = []
    if len(identities) > 1:
        warnings.append({"code": "multiple_gateways", "message": MULTIPLE, "targetIds": [r["id"] for r in reachable]})
    limited = [r for r in reachable if r["connect"]["scopeLimited"]]
    if limited:
        warnings.append({
            "code": "probe_scope_limited",
            "message": f"Read-probe diagnostics are limited by gateway scopes ({limited[0]['connect']['error']}). "
            "Connection succeeded, but the read calls are incomplete.",
            "targetIds": [r["id"] for r in limited],
        })
    primary = reachable[0] if reachable else None
    return {
        "ok": bool(reachable),
        "degraded": bool(limited) or any(not r["connect"]["rpcOk"] for r in reachable),
        "capability": (primary.get("auth") or {}).get("capability") if primary else None,
        "durationMs": durationMs,
        "timeoutMs": timeoutMs,
        "primaryTargetId": primary["id"] if primary else None,
        "warnings": warnings,
        "targets": [r for _, r in results],
    }


def render(document: dict[str, Any], labels: dict[str, str], style: Style) -> list[str]:
    lines = ["Gateway Status", f"Reachable: {style.ok('yes') if document['ok'] else style.error('no')}"]
    if document["capability"]:
        lines.append(f"Capability: {document['capability']}")
    lines.append(f"Probe budget: {document['timeoutMs']}ms")
    if document["warnings"]:
        lines += ["", style.warn("Warning:")] + [f"- {w['message']}" for w in document["warnings"]]
    lines += ["", "Targets"]
    for target in document["targets"]:
        connect = target["connect"]
        lines.append(f"{labels[target['id']]} {target['url']}")
        if connect["ok"]:
            cap = (target.get("auth") or {}).get("capability")
            lines.append(f"  Connect: ok ({connect['latencyMs']}ms) · Capability: {cap} · {_rpc_words(connect)}")
        else:
            lines.append(f"  Connect: {style.error('failed')} - {connect.get('error', '')}")
    return lines


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(ProbeOptions, argv, environ, "gateway probe")

    async def body(reactor: Any) -> int:
        started = time.monotonic()
        found = targets(options)
        results = [(label, await probe_target(reactor, targetId, target, options.timeoutMs)) for targetId, label, target in found]
        document = report(results, options.timeoutMs, round((time.monotonic() - started) * 1000))
        if options["json"]:
            print_json(document)
        else:
            labels = {targetId: label for targetId, label, _ in found}
            sys.stdout.write("\n".join(render(document, labels, Style())) + "\n")
        return 0 if document["ok"] else 1

    return run_cli(options, body)
