"""
C{openclaw gateway status}: the installed service, the configs, the resolved
bind/port, a probe of the gateway, and who listens on its port.

The probe is the seed's RPC probe: the handshake plus the C{status} RPC, so
C{Runtime: running} with C{RPC probe: failed} means the process is up but this
CLI's target or credentials are wrong. The capability line says what the
granted scopes allow.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from typing import Any, Mapping, MutableMapping

from twisted.internet.threads import deferToThread

from openclaw import bindhost, portowner, services
from openclaw.cli.connect import call, session
from openclaw.cli.errors import CliError
from openclaw.cli.localconfig import LocalConfig, log_file
from openclaw.cli.options import ClientOptions, parse
from openclaw.cli.output import Style, print_json
from openclaw.cli.runner import run_cli
from openclaw.cli.target import Target, local_url, resolve_target
from openclaw.paths import configured_port, shorten

TROUBLESHOOTING = "https://docs.openclaw.ai/troubleshooting"


class StatusOptions(ClientOptions):
    synopsis = "Usage: openclaw gateway status [--json] [--deep] [--require-rpc] [--no-probe] [--url <url>] [--token <t>] [--password <p>] [--timeout <ms>]"
    defaultTimeoutMs = 10000
    optFlags = [
        ["deep", None, "Also scan system units and other gateway-like services."],
        ["require-rpc", None, "Exit 1 when the RPC probe fails."],
        ["no-probe", None, "Skip the gateway probe."],
    ]

    def postOptions(self) -> None:
        super().postOptions()
        if self["require-rpc"] and self["no-probe"]:
            raise CliError(
                "Gateway status failed: --require-rpc needs probing enabled. Remove --no-probe or drop --require-rpc."
            )


def capability(scopes: list[str]) -> str:
    """What a connection's granted scopes allow, in OpenClaw's words."""
    if "operator.admin" in scopes:
        return "admin-capable"
    if "operator.write" in scopes:
        return "write-capable"
    if "operator.read" in scopes:
        return "read-only"
    if "operator.pairing" in scopes:
        return "pairing-pending"
    return "connect-only"


async def probe(reactor: Any, target: Target, timeoutMs: int) -> dict[str, Any]:
    """Handshake + C{status}; never raises: the outcome is the C{rpc} object."""
    started = time.monotonic()
    result: dict[str, Any] = {"ok": False, "kind": "status", "url": target.url}
    try:
        async with session(reactor, target, timeoutMs) as client:
            result["capability"] = capability(client.scopes)
            result["version"] = ((client.hello or {}).get("server") or {}).get("version")
            try:
                await call(client, "status", None, timeoutMs)
                result["ok"] = True
            except CliError as e:
                result["error"] = e.message
    except CliError as e:  # only connecting raises here
        result.update(error=e.message.splitlines()[0], timedOut=e.extra.get("kind") == "timeout")
        return result
    result["latencyMs"] = round((time.monotonic() - started) * 1000)
    return result


def _config_line(label: str, path: str, exists: bool, valid: bool, environ: Mapping[str, str]) -> str:
    suffix = "" if exists and valid else " (missing)" if not exists else " (invalid)"
    return f"Config ({label}): {shorten(path, environ)}{suffix}"


def _runtime_line(runtime: dict[str, Any]) -> str:
    status = runtime.get("status") or "unknown"
    details = [
        f"{name} {runtime[key]}"
        for name, key in (("pid", "pid"), ("state", "state"), ("sub", "subState"), ("last exit", "lastExitStatus"))
        if runtime.get(key) is not None
    ]
    return f"Runtime: {status}" + (f" ({', '.join(details)})" if details else "")


def _service_lines(service: dict[str, Any], environ: Mapping[str, str]) -> list[str]:
    state = service.get("loadState") or "unknown"
    lines = [f"Service: {service.get('label', 'unknown')} ({state})"]
    command = service.get("command") or {}
    if command.get("programArguments"):
        lines.append("Command: " + " ".join(command["programArguments"]))
    if command.get("sourcePath"):
        lines.append(f"Service file: {shorten(command['sourcePath'], environ)}")
    env = command.get("environment") or {}
    if env:  # secrets already masked (see ServiceDefinition.asJson)
        lines.append("Service env: " + " ".join(f"{k}={v}" for k, v in sorted(env.items())))
    if service.get("needsDaemonReload"):
        lines.append("Systemd reload: pending (run systemctl --user daemon-reload)")
    if service.get("error"):
        lines.append(f"Service error: {service['error']}")
    return lines


def gather(options: StatusOptions, local: LocalConfig) -> dict[str, Any]:
    """Everything but the probe (blocking: files, /proc, the service manager)."""
    environ = local.environ
    service = services.inspect(environ, deep=options["deep"])
    command = service.get("command") or {}
    serviceEnv = command.get("environment") or {}
    args = command.get("programArguments") or []
    if options["port"] is not None:
        port, portSource = options["port"], "cli"
    elif "--port" in args[:-1]:
        port, portSource = int(args[args.index("--port") + 1]), "service args"
    else:
        port, portSource = configured_port(environ, local.config)[0], "env/config"
    bindMode = local.get("gateway.bind") or "loopback"
    try:
        bindHost = bindhost.hosts_for(bindMode, local.get("gateway.customBindHost"))[0]
    except ValueError:
        bindHost = "?"
    daemonConfig = serviceEnv.get("OPENCLAW_CONFIG_PATH") or local.paths.configPath
    listeners = portowner.listeners(port)
    logFile = log_file(local)
    return {
        "service": service,
        "config": {
            "cli": {"path": local.paths.configPath, "exists": local.exists, "valid": local.valid, "issues": list(local.issues)},
            "daemon": {"path": daemonConfig, "exists": os.path.exists(daemonConfig)},
            **({"mismatch": True} if daemonConfig != local.paths.configPath else {}),
        },
        "gateway": {
            "bindMode": bindMode,
            "bindHost": bindHost,
            "port": port,
            "portSource": portSource,
            "probeUrl": local_url(local, port),
        },
        "port": {
            "port": port,
            "status": "busy" if listeners else "free",
            "listeners": [{"pid": l.pid, "commandLine": l.command} for l in listeners],
            "addresses": portowner.listening_addresses(port),
        },
        "extraServices": services.extra(environ) if options["deep"] else [],
        "logFile": logFile,
    }


def render(report: dict[str, Any], local: LocalConfig, style: Style, deep: bool) -> list[str]:
    gateway, port, service = report["gateway"], report["port"], report["service"]
    lines = _service_lines(service, local.environ)
    lines.append(f"File logs: {report['logFile']}")
    lines.append("")
    cli, daemon = report["config"]["cli"], report["config"]["daemon"]
    lines.append(_config_line("cli", cli["path"], cli["exists"], cli["valid"], local.environ))
    lines.append(_config_line("service", daemon["path"], daemon["exists"], True, local.environ))
    if report["config"].get("mismatch"):
        lines.append(style.warn("Warning: the service uses another config than this CLI."))
    for issue in cli["issues"]:
        lines.append(style.warn(f"  {issue}"))
    lines.append("")
    lines.append(
        f"Gateway: bind={gateway['bindMode']} ({gateway['bindHost']}), port={gateway['port']} ({gateway['portSource']})"
    )
    lines.append(f"Probe target: {gateway['probeUrl']}")
    lines.append(f"Dashboard: {gateway['probeUrl'].replace('ws', 'http', 1)}/")
    if gateway["bindMode"] == "loopback":
        lines.append("Probe note: Loopback-only gateway; only local clients can connect.")
    lines.append("")
    lines.append(_runtime_line(service.get("runtime") or {}))
    rpc = report.get("rpc")
    if rpc is not None:
        if rpc["ok"]:
            lines.append(f"RPC probe: {style.ok('ok')}")
        else:
            lines.append(f"RPC probe: {style.error('failed')}")
            lines.append(f"  {rpc.get('error', '')}")
        if rpc.get("capability"):
            lines.append(f"Capability: {rpc['capability']}")
        if not rpc["ok"]:
            lines.append(f"Last gateway error: {rpc.get('error', '')}")
    lines.append("")
    if port["addresses"]:
        lines.append("Listening: " + ", ".join(port["addresses"]))
    elif (service.get("runtime") or {}).get("status") == "running":
        lines.append(style.warn(f"Port {port['port']} has no listener yet."))
    for extra in report["extraServices"] if deep else []:
        if not lines[-1].startswith(("Other", "-")):
            lines.append("Other gateway-like services detected (best effort)")
        lines.append(f"- {extra['name']} ({extra['kind']}, {extra['scope']}): {extra['path']}")
        if extra.get("reason"):
            lines.append(f"  {extra['reason']}")
        if extra.get("hint"):
            lines.append(f"  Cleanup: {extra['hint']}")
    lines.append("Troubles: run openclaw status")
    lines.append(f"Troubleshooting: {TROUBLESHOOTING}")
    return lines


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(StatusOptions, argv, environ, "gateway status")

    async def body(reactor: Any) -> int:
        local = options.local
        report = await deferToThread(gather, options, local)
        if not options["no-probe"]:
            target = resolve_target(options, probe=True)
            if target.source == "local loopback":  # the service's own port wins over the config's
                target = replace(target, url=report["gateway"]["probeUrl"])
            report["rpc"] = await probe(reactor, target, options.timeoutMs)
        failed = options["require-rpc"] and not report["rpc"]["ok"]
        if options["json"]:
            print_json(report)
        else:
            sys.stdout.write("\n".join(render(report, local, Style(), options["deep"])) + "\n")
            if failed or (report.get("rpc") and not report["rpc"]["ok"]):
                sys.stderr.write(f"Probe target: {report['rpc']['url']}\n")
        return 1 if failed else 0

    return run_cli(options, body)
