"""
C{openclaw doctor}: audit this install (config, gateway.mode, retired reload
modes, auth token, state-dir permissions, log dir, port ownership, service
definition drift; with C{--deep}, other gateway-like services), ask the running
gateway for its health, and repair what can be repaired.

Which repairs run: all with C{--fix}/C{--repair}/C{--yes}; only the safe ones with
C{--non-interactive}; on a terminal, the ones the operator accepts; otherwise
none (the report says how many are waiting).  Config repairs are written in one
validated, atomic write that keeps C{openclaw.json.bak}.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, MutableMapping
from urllib.parse import urlsplit

from openclaw.cli.connect import rpc
from openclaw.cli.errors import CliError
from openclaw.cli.options import ClientOptions, parse
from openclaw.cli.output import Style, print_json
from openclaw.cli.runner import run_cli
from openclaw.cli.target import resolve_target
from openclaw.cli.doctor_checks import ERROR, INFO, OK, WARN, Context, Finding, Repair, run_checks
from openclaw.config.edit import read_document, write_document
from openclaw.config.load import ConfigError
from openclaw.portowner import listening_addresses

_MARKS = {OK: ("OK", "ok"), INFO: ("INFO", "muted"), WARN: ("WARN", "warn"), ERROR: ("FAIL", "error")}


class DoctorOptions(ClientOptions):
    synopsis = (
        "Usage: openclaw doctor [--fix|--repair] [--yes] [--non-interactive] [--generate-gateway-token] "
        "[--deep] [--json] [--url <url>] [--port <n>] [--token <token>] [--password <password>] [--timeout <ms>]"
    )
    defaultTimeoutMs = 10000
    optFlags = [
        ["fix", None, "Apply every recommended repair."],
        ["repair", None, "Same as --fix."],
        ["yes", None, "Accept every repair without asking (same as --fix)."],
        ["non-interactive", None, "Never ask; apply only safe repairs (config migrations, permissions, log dir)."],
        ["generate-gateway-token", None, "Generate gateway.auth.token and save it when none is configured."],
        ["deep", None, "Also scan for other gateway-like services (systemd units, LaunchAgents)."],
    ]


def _document(local) -> dict[str, Any] | None:
    try:
        document, _ = read_document(local.paths.configPath)
    except ConfigError:
        return None
    return document


async def _probe(reactor: Any, options: DoctorOptions) -> Finding | None:
    """
    The gateway's own answer: reachable with our credentials, and healthy?  None
    for a local gateway that is not running (the port check said so already).
    """
    target = resolve_target(options)
    port = urlsplit(target.url).port
    if target.isLoopback and port and not listening_addresses(port):
        return None
    started = reactor.seconds()
    try:
        health = await rpc(reactor, options, "doctor", "health")
    except CliError as e:
        first = e.message.splitlines()[0]
        if e.errorType == "gateway_credentials_required":
            return Finding("gateway", WARN, f"Cannot ask the gateway at {target.url}: no token or password configured.")
        if e.errorType == "gateway_transport_error":
            return Finding("gateway", INFO if target.isLoopback else WARN, f"Gateway not reachable at {target.url}: {first}")
        return Finding("gateway", ERROR, f"Gateway at {target.url}: {first}")
    elapsed = int((reactor.seconds() - started) * 1000)
    channels = await rpc(reactor, options, "doctor", "channels.status", {})
    issues = [issue for summary in channels.get("channels", {}).values() for issue in summary.get("statusIssues", [])]
    if issues:
        lines = [f"  - {i['channel']} {i['accountId']} ({i['kind']}): {i['message']}\n    fix: {i['fix']}" for i in issues]
        return Finding("gateway", WARN, f"Gateway reachable at {target.url}; chat channels need attention:\n" + "\n".join(lines))
    if health.get("ok"):
        return Finding("gateway", OK, f"Gateway reachable at {target.url} (health ok, {elapsed} ms).")
    return Finding("gateway", WARN, f"Gateway at {target.url} reports unhealthy.")


def _wanted(findings: list[Finding], options: DoctorOptions, ask: Callable[[Repair], bool] | None) -> list[Repair]:
    chosen = []
    everything = options["fix"] or options["repair"] or options["yes"]
    for finding in findings:
        repair = finding.repair
        if repair is None:
            continue
        if everything or (options["generate-gateway-token"] and finding.check == "auth"):
            chosen.append(repair)
        elif options["non-interactive"]:
            if repair.safe:
                chosen.append(repair)
        elif ask is not None and ask(repair):
            chosen.append(repair)
    return chosen


def _ask(repair: Repair) -> bool:
    choices = "[Y/n]" if repair.safe else "[y/N]"
    try:
        answer = input(f"{repair.description}? {choices} ").strip().lower()
    except EOFError:
        return False
    return repair.safe if not answer else answer in ("y", "yes")


def _apply(chosen: list[Repair], options: DoctorOptions, document: dict[str, Any] | None) -> dict[str, Any]:
    """Run the chosen repairs; config edits go to disk together (validated, with a .bak)."""
    local = options.local
    outcome: dict[str, Any] = {"changes": [], "failed": [], "backup": None}
    edits = [r for r in chosen if r.edit is not None]
    if edits:
        changed = dict(document or {})
        for repair in edits:
            changed = repair.edit(changed)
        try:
            existed = local.exists
            write_document(local.paths.configPath, changed, local.environ)
            outcome["changes"].extend(r.description for r in edits)
            if existed:
                outcome["backup"] = local.paths.configPath + ".bak"
        except (ConfigError, OSError) as e:
            issues = e.issues if isinstance(e, ConfigError) else [str(e)]
            outcome["failed"].append("Config repairs not written; the result would be invalid: " + "; ".join(issues))
    for repair in chosen:
        if repair.run is None:
            continue
        try:
            done = repair.run()
            outcome["changes"].append(repair.description + (f" ({'; '.join(done)})" if done else ""))
        except Exception as e:  # a service manager or file system refusing: report, go on
            outcome["failed"].append(f"{repair.description}: {e}")
    return outcome


def _print_findings(findings: list[Finding], options: DoctorOptions, style: Style) -> None:
    print(style.bold("OpenClaw doctor"))
    print(f"Config: {options.local.paths.configPath}")
    print()
    for finding in findings:
        label, paint = _MARKS[finding.level]
        head, *rest = finding.message.splitlines()
        print(f"{getattr(style, paint)(label.ljust(4))}  {finding.check}: {head}")
        for line in rest:
            print(f"      {line}")
        if finding.repair is not None:
            print(f"      fix: {finding.repair.description}")
    sys.stdout.flush()


def _print_outcome(outcome: dict[str, Any], pending: int, style: Style) -> None:
    if outcome["changes"] or outcome["failed"]:
        print()
        print("Changes:")
        for change in outcome["changes"]:
            print(f"- {change}")
        for failure in outcome["failed"]:
            print(f"- {style.error('failed')}: {failure}")
        if outcome["backup"]:
            print(f"Backup: {outcome['backup']}")
    if pending:
        print()
        print(f"Run openclaw doctor --fix to apply {pending} repair{'s' if pending != 1 else ''}.")


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(DoctorOptions, argv, environ, "doctor")
    local = options.local
    document = _document(local)
    ctx = Context(local, document, local.environ, bool(options["generate-gateway-token"]), bool(options["deep"]))
    findings = run_checks(ctx)
    probed: list[Finding] = []

    async def body(reactor: Any) -> int:
        finding = await _probe(reactor, options)
        if finding is not None:
            probed.append(finding)
        return 0

    run_cli(options, body)
    findings += probed
    style = Style()
    if not options["json"]:
        _print_findings(findings, options, style)
    interactive = sys.stdin.isatty() and not options["json"]
    chosen = _wanted(findings, options, _ask if interactive else None)
    outcome = _apply(chosen, options, document)
    pending = sum(1 for f in findings if f.repair is not None) - len(chosen)
    if options["json"]:
        print_json({
            "ok": not outcome["failed"] and not any(f.level == ERROR and f.repair not in chosen for f in findings),
            "configPath": options.local.paths.configPath,
            "findings": [f.asJson() for f in findings],
            "changes": outcome["changes"],
            "failed": outcome["failed"],
            "backup": outcome["backup"],
            "pendingRepairs": pending,
        })
    else:
        _print_outcome(outcome, pending, style)
    return 1 if outcome["failed"] else 0
