"""
C{openclaw secrets reload}: ask the running gateway to resolve its SecretRefs again.
C{openclaw secrets audit}: a local, read-only scan for plaintext secrets and refs
that do not resolve (config, auth-profile stores, dotenv files).
C{configure} and C{apply} (the secrets plan) live in C{secrets_configure.py} and
C{secrets_apply.py}. None of them ever prints a secret value.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Mapping, MutableMapping

from dotenv import dotenv_values
from twisted.python import usage

from openclaw.cli.connect import rpc
from openclaw.cli.errors import CliError
from openclaw.cli.localconfig import read_local_config
from openclaw.cli.options import ClientOptions, parse
from openclaw.cli.output import fail, print_json
from openclaw.cli.runner import run_cli, subcommand
from openclaw.cli.secrets_apply import apply_main
from openclaw.cli.secrets_configure import configure_main
from openclaw.config.authprofiles import (
    AuthProfileError,
    agent_ids,
    credentials,
    legacy_path,
    profile_provider,
    read_json_object,
    read_store,
    store_path,
)
from openclaw.config.includes import IncludeError, IncludeTree, include_roots, read_text
from openclaw.config.secrets import (
    SecretRef,
    SecretResolutionError,
    active_refs,
    as_ref,
    inactive_reason,
    resolve_ref,
    sensitive_paths,
)
from openclaw.config.substitute import has_reference
from openclaw.paths import is_placeholder

USAGE = """Usage: openclaw secrets <command> [options]

Commands:
  reload     Re-resolve the running gateway's SecretRefs and swap them in at once
  audit      Find plaintext secrets and unresolvable SecretRefs (prints no values)
  configure  Interactive planner: providers, plaintext fields to SecretRefs, preflight, apply
  apply      Apply a saved secrets plan (--from plan.json [--dry-run] [--allow-exec])

Operator loop: audit --check, configure --plan-out plan.json, apply --from plan.json --dry-run,
apply --from plan.json, audit --check, reload.
"""

MAX_LISTED = 20
STATUS_HINT = "Hint: openclaw gateway status --deep"


class ReloadOptions(ClientOptions):
    synopsis = "Usage: openclaw secrets reload [--json] [--url <ws-url>] [--port <n>] [--token <t>] [--password <p>] [--timeout <ms>]"
    optFlags = [["expect-final", None, "Wait for the final answer (secrets.reload has only that one)."]]


def reload_main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(ReloadOptions, argv, environ, "secrets reload")

    async def body(reactor: Any) -> int:
        try:
            result = await rpc(reactor, options, "secrets reload", "secrets.reload", {})
        except CliError as e:
            if e.errorType != "gateway_error":  # not answered: the connection error as it is
                raise
            detail = e.message.removeprefix("secrets.reload failed: ")  # the gateway's own words stay
            raise CliError(f"Failed to reload secrets: {detail}\n{STATUS_HINT}", e.errorType, **e.extra)
        if options["json"]:
            print_json(result)
            return 0
        warnings = result.get("warningCount", 0) if isinstance(result, dict) else 0
        sys.stdout.write("Secrets reloaded.\n" if not warnings else f"Secrets reloaded with {warnings} warning(s).\n")
        return 0

    return run_cli(options, body)


# audit -------------------------------------------------------------------------


class AuditOptions(usage.Options):
    synopsis = "Usage: openclaw secrets audit [--check] [--allow-exec] [--json]"
    optFlags = [
        ["check", None, "Exit 1 when there are findings."],
        ["allow-exec", None, "Also run exec providers to check their refs (skipped otherwise)."],
        ["json", None, "Print the report as JSON."],
    ]


def _finding(code: str, file: str, jsonPath: str, message: str) -> dict[str, str]:
    return {"code": code, "file": file, "jsonPath": jsonPath, "message": message}


def _raw_config(path: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """The config as written (includes spliced in, C{${VAR}} left as written)."""
    if not os.path.exists(path):
        return {}
    try:
        raw = IncludeTree(path, include_roots(path, environ)).load(read_text(path))
    except IncludeError as e:
        raise CliError(f"Secrets audit failed: {e}", "config_error")
    return raw if isinstance(raw, dict) else {}


def _plaintext(raw: dict[str, Any], file: str) -> list[dict[str, str]]:
    found = []
    for path, value in sensitive_paths(raw):
        if isinstance(value, str) and not is_placeholder(value) and not has_reference(value):
            found.append(_finding("PLAINTEXT_FOUND", file, path, "plaintext secret value; use a SecretRef"))
    return found


def _dotenv_plaintext(directories: list[str], envRefIds: set[str]) -> list[dict[str, str]]:
    """Secret-named dotenv entries, except the variables env refs read (that is where those secrets live)."""
    found = []
    for directory in dict.fromkeys(directories):
        path = os.path.join(directory, ".env")
        values = dotenv_values(path, interpolate=False) if os.path.isfile(path) else {}
        for key, value in values.items():
            if value and key not in envRefIds and next(sensitive_paths({key: value}), None) is not None:
                found.append(_finding("PLAINTEXT_FOUND", path, key, "plaintext secret value in a dotenv file"))
    return found


def _auth_profiles(stateDir: str) -> tuple[list[dict[str, str]], list[tuple[str, str, SecretRef]], set[str]]:
    """
    Plaintext in auth-profile stores and legacy C{auth.json} files; the stores' refs
    (file, jsonPath, ref); the providers some profile holds a credential for.
    """
    found: list[dict[str, str]] = []
    refs: list[tuple[str, str, SecretRef]] = []
    providers: set[str] = set()
    for agentId in agent_ids(stateDir):
        path = store_path(stateDir, agentId)
        try:
            store = read_store(path)
            legacy = read_json_object(legacy_path(stateDir, agentId))
        except AuthProfileError as e:
            raise CliError(f"Secrets audit failed: {e}", "config_error")
        for profileId, name, value in credentials(store):
            jsonPath = f"profiles.{profileId}.{name}"
            providers.add(profile_provider(store["profiles"][profileId]) or "")
            ref = as_ref(value)
            if ref is not None:
                refs.append((path, jsonPath, ref))
            elif name in ("key", "token") and isinstance(value, str) and not is_placeholder(value):
                found.append(_finding("PLAINTEXT_FOUND", path, jsonPath, "plaintext secret value in an auth profile; use keyRef/tokenRef"))
        for provider, entry in (legacy or {}).items():
            if isinstance(entry, dict) and any(isinstance(entry.get(k), str) and entry[k] for k in ("key", "token", "access")):
                found.append(_finding("LEGACY_RESIDUE", legacy_path(stateDir, agentId), provider, "legacy auth.json credential; move it to an auth profile or a SecretRef"))
    return found, refs, providers


def audit(environ: Mapping[str, str], allowExec: bool) -> dict[str, Any]:
    """The audit report (never holds a secret value)."""
    local = read_local_config(environ)
    configPath = local.paths.configPath
    config = dict(local.config)
    active, inactive = active_refs(config, local.environ)
    profileFindings, profileRefs, profileProviders = _auth_profiles(local.paths.stateDir)
    envRefIds = {ref.id for ref in [*active.values(), *(r for _, _, r in profileRefs)] if ref.source == "env"}
    findings = _plaintext(_raw_config(configPath, local.environ), configPath)
    findings += _dotenv_plaintext([local.paths.stateDir, os.path.dirname(configPath)], envRefIds)
    findings += profileFindings
    checked = skipped = 0
    for file, path, ref in [(configPath, p, r) for p, r in active.items()] + profileRefs:
        if ref.source == "exec" and not allowExec:
            skipped += 1
            continue
        checked += 1
        try:
            resolve_ref(config, ref, local.environ)
        except SecretResolutionError as e:
            findings.append(_finding("REF_UNRESOLVED", file, path, f"{ref.label}: {e}"))
    for path in inactive:
        reason = inactive_reason(config, path, local.environ) or ""
        if reason.endswith("is set"):
            findings.append(_finding("REF_SHADOWED", configPath, path, f"the ref is shadowed: {reason}"))
    for path in active:  # a provider's auth profile comes before its configured key at run time
        parts = path.split(".")
        if parts[:2] == ["models", "providers"] and parts[3:] == ["apiKey"] and parts[2].lower() in profileProviders:
            message = f"the ref is shadowed: an auth profile of provider {parts[2]} holds a credential, and runs use it first"
            findings.append(_finding("REF_SHADOWED", configPath, path, message))
    count = {
        code: sum(f["code"] == code for f in findings)
        for code in ("PLAINTEXT_FOUND", "REF_UNRESOLVED", "REF_SHADOWED", "LEGACY_RESIDUE")
    }
    status = "unresolved" if count["REF_UNRESOLVED"] else "findings" if findings else "clean"
    return {
        "status": status,
        "resolution": {"refsChecked": checked, "skippedExecRefs": skipped, "resolvabilityComplete": skipped == 0},
        "summary": {
            "plaintextCount": count["PLAINTEXT_FOUND"],
            "unresolvedRefCount": count["REF_UNRESOLVED"],
            "shadowedRefCount": count["REF_SHADOWED"],
            "legacyResidueCount": count["LEGACY_RESIDUE"],
        },
        "findings": findings,
    }


def audit_main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = AuditOptions()
    try:
        options.parseOptions(argv)
    except usage.UsageError as e:
        return fail(CliError(f"{e}\nTry: openclaw secrets audit --help"), "--json" in argv)
    try:
        report = audit(environ, bool(options["allow-exec"]))
    except CliError as e:
        return fail(e, bool(options["json"]))
    if options["json"]:
        print_json(report)
    else:
        s = report["summary"]
        lines = [
            f"Secrets audit: {report['status']}. plaintext={s['plaintextCount']}, "
            f"unresolved={s['unresolvedRefCount']}, shadowed={s['shadowedRefCount']}, legacy={s['legacyResidueCount']}."
        ]
        lines += [f"- [{f['code']}] {f['file']}:{f['jsonPath']} {f['message']}" for f in report["findings"][:MAX_LISTED]]
        if report["resolution"]["skippedExecRefs"]:
            lines.append(f"Skipped {report['resolution']['skippedExecRefs']} exec ref(s); pass --allow-exec to check them.")
        sys.stdout.write("\n".join(lines) + "\n")
    if report["status"] == "unresolved":
        return 2
    return 1 if options["check"] and report["findings"] else 0


SUBCOMMANDS = {"reload": reload_main, "audit": audit_main, "configure": configure_main, "apply": apply_main}


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    return subcommand("secrets", SUBCOMMANDS, USAGE, argv, environ)
