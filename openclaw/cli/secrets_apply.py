"""
C{openclaw secrets apply --from plan.json [--dry-run] [--allow-exec] [--json]}:
check a secrets plan in full, then write it in one transaction (see
L{openclaw.config.secretsapply}). Local: no gateway connection; the running gateway
takes the change through its config reload or C{openclaw secrets reload}.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Mapping, MutableMapping

from twisted.python import usage

from openclaw.cli.errors import CliError
from openclaw.cli.output import fail, print_json
from openclaw.config.load import ConfigSource
from openclaw.config.secretsapply import Activation, ApplyError, ApplyResult, apply_plan
from openclaw.config.secretsplan import PlanError, SecretsPlan, read_plan
from openclaw.paths import Paths

NEXT_STEPS = (
    "Next: openclaw secrets audit --check, then openclaw secrets reload "
    "(a running gateway also picks the config change up through its reload)."
)


class ApplyOptions(usage.Options):
    synopsis = "Usage: openclaw secrets apply --from <plan.json> [--dry-run] [--allow-exec] [--json]"
    optParameters = [["from", None, None, "The plan file (JSON, a regular file of at most 16 MiB)."]]
    optFlags = [
        ["dry-run", None, "Check everything, write nothing."],
        ["allow-exec", None, "Allow exec refs and providers (a dry run without it skips their checks)."],
        ["json", None, "Print the result as JSON."],
    ]

    def postOptions(self) -> None:
        if not self["from"]:
            raise usage.UsageError("--from <plan.json> is required")


def activation(paths: Paths) -> Activation:
    """The runtime activation check: the gateway's settings build, as C{openclaw config set} runs it."""
    from openclaw.settings import offline_check

    def check(source: ConfigSource, environ: Mapping[str, str]) -> Any:
        return offline_check(environ, paths)(source)

    return check


def run_apply(plan: SecretsPlan, environ: Mapping[str, str], allowExec: bool, dryRun: bool) -> ApplyResult:
    """Apply C{plan} to the install C{environ} names; a refusal is a L{CliError}."""
    paths = Paths.fromEnvironment(environ)
    try:
        return apply_plan(plan, paths, environ, os.getcwd(), activation(paths), allowExec=allowExec, dryRun=dryRun)
    except PlanError as e:
        raise CliError(str(e)) from None
    except ApplyError as e:
        raise CliError(f"Secrets apply failed: {e}") from None


def describe(plan: SecretsPlan, result: ApplyResult) -> list[str]:
    """The human summary of an apply or a dry run."""
    head = "Secrets apply dry run: the plan is valid." if result.dryRun else "Secrets applied."
    lines = [
        f"{head} targets={len(plan.targets)}, providerUpserts={len(plan.providerUpserts)}, "
        f"providerDeletes={len(plan.providerDeletes)}.",
        f"Preflight: {result.refsChecked} ref(s) resolved"
        + (f", {result.skippedExecRefs} exec ref(s) skipped (pass --allow-exec to check them)." if result.skippedExecRefs else "."),
    ]
    if result.changes:
        lines.append("Would change:" if result.dryRun else "Changed:")
        lines += [f"  {c.path} ({c.kind}{', removed' if c.new is None else ''})" for c in result.changes]
    else:
        lines.append("Nothing to change.")
    lines.append("Nothing was written." if result.dryRun else NEXT_STEPS)
    return lines


def apply_main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = ApplyOptions()
    try:
        options.parseOptions(argv)
    except usage.UsageError as e:
        return fail(CliError(f"{e}\nTry: openclaw secrets apply --help"), "--json" in argv)
    asJson = bool(options["json"])
    try:
        plan = read_plan(options["from"])
    except PlanError as e:
        return fail(CliError(str(e)), asJson)
    try:
        result = run_apply(plan, environ, bool(options["allow-exec"]), bool(options["dry-run"]))
    except CliError as e:
        return fail(e, asJson)
    for warning in result.warnings:
        sys.stderr.write(f"Warning: {warning}\n")
    if asJson:
        print_json(result.report(plan))
    else:
        sys.stdout.write("\n".join(describe(plan, result)) + "\n")
    return 0


__all__ = ["ApplyOptions", "activation", "apply_main", "describe", "run_apply"]
