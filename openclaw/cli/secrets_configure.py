"""
C{openclaw secrets configure}: the interactive planner. On a terminal it walks the
operator through provider setup, maps each plaintext credential it finds (config
and auth-profile stores) to a SecretRef, builds a secrets plan, runs its preflight
(a dry run of L{openclaw.config.secretsapply}) and then saves it (C{--plan-out}),
applies it (C{--apply}, confirmed unless C{--yes}), or asks whether to apply.

The plan holds refs only: the planner never asks for, stores or prints a secret
value; the operator puts the value where the ref points (an environment variable,
the provider's file, the exec backend) before applying.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from typing import IO, Any, Mapping, MutableMapping

from twisted.python import usage

from openclaw.atomicfile import write_atomically
from openclaw.cli.errors import CliError
from openclaw.cli.output import fail, print_json
from openclaw.cli.secrets_apply import describe, run_apply
from openclaw.config.authprofiles import CREDENTIAL_FIELDS, AuthProfileError, agent_ids, read_store, store_path
from openclaw.config.edit import read_document
from openclaw.config.load import ConfigError, lookup
from openclaw.config.secrets import SOURCES, credential_values, ref_problem
from openclaw.config.secretsplan import AUTH_PROFILES, PlanError, SecretsPlan, parse_plan, type_for_path, valid_agent_id
from openclaw.config.substitute import has_reference
from openclaw.paths import Paths, is_placeholder

NO_TTY = (
    "openclaw secrets configure is interactive and needs a terminal (TTY). "
    "Without one, write a plan file and run: openclaw secrets apply --from <plan.json>"
)


class ConfigureOptions(usage.Options):
    synopsis = (
        "Usage: openclaw secrets configure [--plan-out <file>] [--apply] [--yes] "
        "[--providers-only | --skip-provider-setup] [--agent <id>] [--allow-exec] [--json]"
    )
    optParameters = [
        ["plan-out", None, None, "Save the plan to this file (owner-only)."],
        ["agent", None, None, "Only this agent's auth-profile store."],
    ]
    optFlags = [
        ["apply", None, "Apply the plan after its preflight."],
        ["yes", None, "With --apply: do not ask for confirmation."],
        ["providers-only", None, "Only set up secrets providers."],
        ["skip-provider-setup", None, "Do not set up providers; only map plaintext fields to refs."],
        ["allow-exec", None, "Allow exec refs and providers (checks and apply)."],
        ["json", None, "Print the result as JSON (prompts go to stderr)."],
    ]

    def postOptions(self) -> None:
        if self["providers-only"] and self["skip-provider-setup"]:
            raise usage.UsageError("--providers-only and --skip-provider-setup cannot be used together")
        if self["agent"] is not None and not valid_agent_id(self["agent"]):
            raise usage.UsageError(f"--agent: invalid agent id {self['agent']!r} (expected [a-z0-9][a-z0-9_-]{{0,63}})")


class Cancelled(Exception):
    """The input ended mid-dialogue."""


class Prompter:
    """Questions on C{out}, answers from C{answers}, one line each."""

    def __init__(self, answers: IO[str], out: IO[str]) -> None:
        self.answers, self.out = answers, out

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def ask(self, question: str, default: str | None = None, choices: tuple[str, ...] = ()) -> str:
        shown = question + (f" ({'/'.join(choices)})" if choices else "") + (f" [{default}]" if default else "") + ": "
        while True:
            self.out.write(shown)
            self.out.flush()
            line = self.answers.readline()
            if not line:
                raise Cancelled()
            answer = line.strip() or (default or "")
            if answer and (not choices or answer in choices):
                return answer
            self.say(f"  Please answer {' or '.join(choices)}." if choices else "  An answer is needed.")

    def confirm(self, question: str, default: bool) -> bool:
        answer = self.ask(question, "y" if default else "n", ("y", "n"))
        return answer == "y"


@dataclass(frozen=True)
class Plaintext:
    """A plaintext credential the planner offers to move: where it is (never its value)."""

    path: str
    typeName: str
    agentId: str | None = None
    providerId: str | None = None
    accountId: str | None = None

    @property
    def label(self) -> str:
        return f"{self.path} (agent {self.agentId} auth profiles)" if self.agentId else self.path


def plaintext_fields(config: Mapping[str, Any], paths: Paths, agent: str | None) -> list[Plaintext]:
    """Every plaintext value on a plan target type: the config as written, then auth-profile stores."""
    found = []
    for path, value in credential_values(config):
        kind = type_for_path(path.split("."))
        if kind is not None and _plaintext(value):
            segments = path.split(".")
            ids = {name: segments[index] for name, index in kind.ids.items()}
            found.append(Plaintext(path, kind.name, **ids))
    for agentId in [agent] if agent else agent_ids(paths.stateDir):
        try:
            store = read_store(store_path(paths.stateDir, agentId))
        except AuthProfileError as e:
            raise CliError(str(e)) from None
        for profileId, profile in store["profiles"].items():
            fields = CREDENTIAL_FIELDS.get(profile.get("type")) if isinstance(profile, dict) else None
            if fields and _plaintext(profile.get(fields[0])):
                kind = type_for_path(["profiles", profileId, fields[0]], AUTH_PROFILES)
                assert kind is not None
                found.append(Plaintext(f"profiles.{profileId}.{fields[0]}", kind.name, agentId=agentId))
    return found


def _plaintext(value: Any) -> bool:
    return isinstance(value, str) and not is_placeholder(value) and not has_reference(value)


def suggested_id(field: Plaintext, source: str) -> str:
    """A ref id for C{field}: an env var name, a JSON pointer or an exec key derived from its path."""
    segments = field.path.split(".")
    if field.agentId:
        segments = ["agents", field.agentId, *segments]
    if source == "env":
        if field.typeName == "models.providers.apiKey":
            segments = [field.providerId or "", "api", "key"]
        name = re.sub(r"[^A-Z0-9]+", "_", "_".join(segments).upper()).strip("_")
        return name if name[:1].isalpha() else f"OPENCLAW_{name}"
    if source == "file":
        return "/" + "/".join(s.replace("~", "~0").replace("/", "~1") for s in segments)
    return "/".join(re.sub(r"[^A-Za-z0-9._:#-]+", "-", s) for s in segments)


class Planner:
    """The dialogue; its result is a plan document (validated by L{parse_plan})."""

    def __init__(self, prompter: Prompter, config: Mapping[str, Any], paths: Paths, options: Mapping[str, Any]) -> None:
        self.p, self.config, self.paths, self.options = prompter, config, paths, options
        self.upserts: dict[str, dict[str, Any]] = {}
        self.targets: list[dict[str, Any]] = []

    def run(self) -> SecretsPlan:
        if not self.options["skip-provider-setup"]:
            self.providers()
        if not self.options["providers-only"]:
            self.fields()
        document = {"version": 1, "protocolVersion": 1, "targets": self.targets}
        if self.upserts:
            document["providerUpserts"] = self.upserts
        return parse_plan(document)

    def _providers(self) -> dict[str, Mapping[str, Any]]:
        configured = dict(lookup(self.config, "secrets.providers") or {})
        return {**configured, **self.upserts}

    def providers(self) -> None:
        p = self.p
        p.say("Step 1: secrets providers")
        envDefault = (lookup(self.config, "secrets.defaults") or {}).get("env", "default")
        listed = [f"{envDefault} (env, built in)"] + [
            f"{alias} ({entry.get('source', '?')})" for alias, entry in self._providers().items() if isinstance(entry, Mapping)
        ]
        p.say("  Configured: " + ", ".join(listed))
        while p.confirm("Add or replace a provider?", False):
            alias = p.ask("  Provider alias")
            problem = ref_problem("env", alias, "X")
            if problem is not None:
                p.say(f"  Invalid alias: {problem}")
                continue
            source = p.ask("  Source", "file", SOURCES)
            entry: dict[str, Any] = {"source": source}
            if source == "env":
                allow = p.ask("  Allowlist (comma-separated variable names, - for none)", "-")
                if allow != "-":
                    entry["allowlist"] = [name.strip() for name in allow.split(",") if name.strip()]
            elif source == "file":
                entry["path"] = p.ask("  File path", os.path.join(self.paths.stateDir, "secrets.json"))
                mode = p.ask("  Mode", "json", ("json", "singleValue"))
                if mode != "json":
                    entry["mode"] = mode
            else:
                entry["command"] = p.ask("  Command (absolute path)")
                args = p.ask("  Arguments (space-separated, - for none)", "-")
                if args != "-":
                    entry["args"] = args.split()
            self.upserts[alias] = entry
            p.say(f"  Provider {alias} ({source}) added to the plan.")

    def fields(self) -> None:
        p = self.p
        p.say("Step 2: plaintext credentials")
        found = plaintext_fields(self.config, self.paths, self.options.get("agent"))
        if not found:
            p.say("  No plaintext credentials found.")
            return
        for field in found:
            p.say(f"  {field.label} holds a plaintext value.")
            if not p.confirm("  Move it to a SecretRef?", True):
                continue
            self.targets.append(self._target(field))

    def _target(self, field: Plaintext) -> dict[str, Any]:
        p = self.p
        while True:
            source = p.ask("    Source", "env", SOURCES)
            alias = p.ask("    Provider alias", self._default_alias(source))
            id_ = p.ask("    Id", suggested_id(field, source))
            problem = ref_problem(source, alias, id_)
            if problem is None:
                break
            p.say(f"    Invalid ref: {problem}")
        target: dict[str, Any] = {"type": field.typeName, "path": field.path, "ref": {"source": source, "provider": alias, "id": id_}}
        for name in ("providerId", "accountId", "agentId"):
            if getattr(field, name) is not None:
                target[name] = getattr(field, name)
        return target

    def _default_alias(self, source: str) -> str:
        named = (lookup(self.config, "secrets.defaults") or {}).get(source)
        if named:
            return named
        same = [alias for alias, entry in self._providers().items() if isinstance(entry, Mapping) and entry.get("source") == source]
        return same[0] if same else "default"


def configure_main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = ConfigureOptions()
    try:
        options.parseOptions(argv)
    except usage.UsageError as e:
        return fail(CliError(f"{e}\nTry: openclaw secrets configure --help"), "--json" in argv)
    asJson = bool(options["json"])
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return fail(CliError(NO_TTY), asJson)
    try:
        return _configure(options, environ, Prompter(sys.stdin, sys.stderr if asJson else sys.stdout))
    except Cancelled:
        return fail(CliError("Secrets configure cancelled: the input ended."), asJson)
    except KeyboardInterrupt:
        return fail(CliError("Secrets configure cancelled."), asJson)
    except CliError as e:
        return fail(e, asJson)


def _configure(options: ConfigureOptions, environ: Mapping[str, str], p: Prompter) -> int:
    paths = Paths.fromEnvironment(environ)
    try:
        config, _ = read_document(paths.configPath)
    except ConfigError as e:
        raise CliError("\n".join(e.issues)) from None
    try:
        plan = Planner(p, config, paths, options).run()
    except PlanError as e:
        raise CliError(f"The plan is not valid: {e}") from None
    allowExec = bool(options["allow-exec"])
    p.say("Step 3: preflight")
    outcome: dict[str, Any] = {"ok": True, "plan": plan.document(), "planOut": None, "applied": False}
    try:
        preflight = run_apply(plan, environ, allowExec, dryRun=True)
    except CliError as e:
        preflight = None
        p.say(f"  {e.message}")
        outcome.update(ok=False, preflightError=e.message)
    else:
        for line in describe(plan, preflight):
            p.say(f"  {line}")
        outcome["preflight"] = preflight.report(plan)
    if options["plan-out"]:
        write_atomically(options["plan-out"], _plan_text(plan))
        outcome["planOut"] = options["plan-out"]
        p.say(f"Plan saved to {options['plan-out']} (refs only, no secret values).")
    if preflight is not None and (plan.targets or plan.providerUpserts) and _wants_apply(options, p):
        result = run_apply(plan, environ, allowExec, dryRun=False)
        for line in describe(plan, result):
            p.say(line)
        outcome.update(applied=True, apply=result.report(plan))
    if options["json"]:
        print_json(outcome)
    return 0 if outcome["ok"] else 1


def _wants_apply(options: ConfigureOptions, p: Prompter) -> bool:
    if options["apply"]:
        return bool(options["yes"]) or p.confirm("Apply this plan now?", False)
    if options["plan-out"]:
        return False
    return p.confirm("Apply this plan now?", False)


def _plan_text(plan: SecretsPlan) -> str:
    return json.dumps(plan.document(), indent=2) + "\n"


__all__ = ["NO_TTY", "ConfigureOptions", "Planner", "Prompter", "configure_main", "plaintext_fields", "suggested_id"]
