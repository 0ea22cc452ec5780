"""
C{openclaw models list|status}:

- C{models list [--all] [--provider <id>] [--agent <id>] [--plain] [--json]}: the
  models the running gateway offers (C{models.list}); with no gateway listening
  locally, the same rows built from the local config.
- C{models status [--agent <id>] [--check] [--plain] [--json]} (also plain
  C{openclaw models}): the model choice the local config makes for an agent
  (default, fallbacks, aliases, allowed models) and where each provider's key
  comes from, never the key itself. C{--check} exits 1 when a provider in use has
  no usable key.
"""

from __future__ import annotations

import sys
from typing import Any, Mapping, MutableMapping

from twisted.internet.threads import deferToThread
from twisted.python import usage

from openclaw.agents.catalog import UnknownAgent, agent_entry, model_row, model_rows
from openclaw.agents.models import BUILTIN_PROVIDERS, ModelConfigError
from openclaw.cli.connect import rpc
from openclaw.cli.errors import CliError
from openclaw.cli.localconfig import LocalConfig, read_local_config
from openclaw.cli.options import ClientOptions, CommandOptions, parse
from openclaw.cli.output import print_json
from openclaw.cli.runner import run_cli, subcommand
from openclaw.config.load import ConfigError, load_source
from openclaw.settings import GatewaySettings, StartupError, build

USAGE = """Usage: openclaw models <command> [options]

Commands:
  list      The models the gateway offers [--all] [--provider <id>] [--agent <id>] [--plain] [--json]
  status    The local config's model choice and key sources [--agent <id>] [--check] [--plain] [--json]
            (the default command)
"""

#: Column widths of the C{models list} table, as OpenClaw's CLI pads them.
MODEL_PAD, INPUT_PAD, CTX_PAD, LOCAL_PAD, AUTH_PAD = 42, 10, 11, 5, 5
GATEWAY_DOWN = "Gateway is not running. Showing the models of the local config."


# models list ------------------------------------------------------------------------


class ListOptions(ClientOptions):
    synopsis = "Usage: openclaw models list [--all] [--provider <id>] [--agent <id>] [--plain] [--json]"
    defaultTimeoutMs = 10000
    optFlags = [
        ["all", None, "Every model the gateway knows, not only the configured ones."],
        ["plain", None, "One model ref per line."],
    ]
    optParameters = [
        ["provider", None, None, "Only the models of this provider."],
        ["agent", None, None, "The agent whose models to list (default: the default agent)."],
    ]

    def postOptions(self) -> None:
        super().postOptions()
        provider = self["provider"]
        if provider is not None and (not provider.strip() or any(c.isspace() for c in provider.strip())):
            raise usage.UsageError(f'Invalid provider filter "{provider}". Use a provider id, not a display label.')
        self.view = "all" if self["all"] or provider else "default"


def cli_row(model: dict[str, Any]) -> dict[str, Any]:
    """A C{models.list} row as OpenClaw's C{models list} shows it (unknown fields are null)."""
    alias = [f"alias:{model['alias']}"] if model.get("alias") else []
    return {
        "key": f"{model['provider']}/{model['id']}",
        "name": model.get("name"),
        "input": "+".join(model.get("input") or []) or "-",
        "contextWindow": model.get("contextWindow"),
        "local": model.get("local"),
        "available": model.get("available"),
        "tags": list(dict.fromkeys([*(model.get("tags") or []), *alias])),
    }


def _context(tokens: int | None) -> str:
    if not tokens:
        return "-"
    return f"{round(tokens / 1000)}k" if tokens >= 1000 else str(tokens)


def _flag(value: bool | None) -> str:
    return "-" if value is None else "yes" if value else "no"


def table_lines(rows: list[dict[str, Any]]) -> list[str]:
    header = " ".join(["Model".ljust(MODEL_PAD), "Input".ljust(INPUT_PAD), "Ctx".ljust(CTX_PAD),
                       "Local".ljust(LOCAL_PAD), "Auth".ljust(AUTH_PAD), "Tags"])
    lines = [header]
    for row in rows:
        key = row["key"] if len(row["key"]) <= MODEL_PAD else row["key"][: MODEL_PAD - 1] + "…"
        lines.append(" ".join([
            key.ljust(MODEL_PAD), row["input"].ljust(INPUT_PAD), _context(row["contextWindow"]).ljust(CTX_PAD),
            _flag(row["local"]).ljust(LOCAL_PAD), _flag(row["available"]).ljust(AUTH_PAD), ",".join(row["tags"]),
        ]))
    return lines


def local_settings(local: LocalConfig) -> GatewaySettings:
    """The settings a gateway would build from the local config (exec secret providers are not run). Blocking."""
    try:
        source = load_source(local.paths.configPath, local.environ)
        return build({"allow-unconfigured": True}, local.environ, local.paths, source, persist=False, runExec=False)
    except ConfigError as e:
        raise CliError("Config invalid: " + "; ".join(e.issues)) from None
    except StartupError as e:
        raise CliError(e.message) from None


def local_models(local: LocalConfig, agentId: str | None, view: str) -> dict[str, Any]:
    """The C{models.list} answer built from the local config, as the gateway builds it. Blocking."""
    settings = local_settings(local)
    try:
        return {"models": model_rows(settings, agentId, view)}
    except UnknownAgent as e:
        raise CliError(f'unknown agent id "{e.agentId}"') from None
    except ModelConfigError as e:
        raise CliError(f"models unavailable: {e}") from None


def _list(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(ListOptions, argv, environ, "models list")

    async def body(reactor: Any) -> int:
        params: dict[str, Any] = {"view": options.view}
        if options["agent"]:
            params["agentId"] = options["agent"]
        try:
            answer = await rpc(reactor, options, "models list", "models.list", params)
        except CliError as e:
            if e.errorType != "gateway_transport_error" or e.extra.get("kind") != "refused":
                raise
            sys.stderr.write(GATEWAY_DOWN + "\n")
            answer = await deferToThread(local_models, options.local, options["agent"], options.view)
        provider = (options["provider"] or "").strip().lower()
        rows = [cli_row(m) for m in answer["models"] if not provider or m["provider"] == provider]
        if options["json"]:
            print_json({"count": len(rows), "models": rows})
        elif options["plain"]:
            sys.stdout.write("".join(row["key"] + "\n" for row in rows))
        else:
            sys.stdout.write("\n".join(table_lines(rows) if rows else ["No models found."]) + "\n")
        return 0

    return run_cli(options, body)


# models status ----------------------------------------------------------------------


class StatusOptions(CommandOptions):
    synopsis = "Usage: openclaw models status [--agent <id>] [--check] [--plain] [--json]"
    optFlags = [
        ["check", None, "Exit 1 when a provider in use has no usable key."],
        ["plain", None, "Plain output: the default model ref only."],
    ]
    optParameters = [["agent", None, None, "The agent whose model choice to show (default: the default agent)."]]


def key_source(settings: GatewaySettings, provider: str) -> dict[str, str]:
    """Where a provider's key comes from: C{{kind, detail}}; never the key."""
    configured = ((settings.config.get("models") or {}).get("providers") or {}).get(provider) or {}
    providerSettings = settings.models.providers.get(provider)
    builtin = BUILTIN_PROVIDERS.get(provider)
    if providerSettings is None:
        return {"kind": "unknown-provider", "detail": "not configured"}
    raw = configured.get("apiKey")
    if isinstance(raw, Mapping):
        kind = "secretref" if providerSettings.apiKey else "unresolved-secretref"
        return {"kind": kind, "detail": f"{raw.get('source')}:{raw.get('provider')}:{raw.get('id')}"}
    if raw is not None:
        return {"kind": "config", "detail": f"models.providers.{provider}.apiKey"}
    if providerSettings.apiKey and builtin is not None:
        return {"kind": "env", "detail": builtin.envKey}
    if builtin is not None and not builtin.selfHosted:
        return {"kind": "missing", "detail": builtin.envKey}
    return {"kind": "none", "detail": "no key needed"}


def model_status(settings: GatewaySettings, agentId: str | None) -> dict[str, Any]:
    """The C{models status --json} document for C{agentId} (the default agent when None)."""
    try:
        entry = agent_entry(settings, agentId)
        choice = settings.agents.modelChoice(entry.id) or settings.models.default
        plan = settings.models.plan(choice)
    except UnknownAgent as e:
        raise CliError(f'unknown agent id "{e.agentId}"') from None
    except ModelConfigError as e:
        raise CliError(f"models unavailable: {e}") from None
    defaults = (settings.config.get("agents") or {}).get("defaults") or {}
    inUse = list(dict.fromkeys(ref.provider for ref in plan))
    providers = list(dict.fromkeys([*inUse, *((settings.config.get("models") or {}).get("providers") or {})]))
    unusable = [ref for ref in plan if not model_row(settings.models, ref, plan)["available"]]
    return {
        "configPath": settings.paths.configPath,
        "agentId": entry.id,
        "defaultModel": choice.primary,
        "resolvedDefault": str(plan[0]),
        "fallbacks": [str(ref) for ref in plan[1:]],
        "aliases": {alias: str(settings.models.resolve(target)) for alias, target in settings.models.aliases.items()},
        "allowed": list(defaults.get("models") or {}),
        "auth": {
            "providers": [{"provider": p, "effective": key_source(settings, p)} for p in providers],
            "missingProvidersInUse": list(dict.fromkeys(ref.provider for ref in unusable)),
        },
    }


def _listed(label: str, items: list[str], width: int = 14) -> str:
    return f"{f'{label} ({len(items)})'.ljust(width)}: {', '.join(items) or '-'}"


def status_lines(status: dict[str, Any]) -> list[str]:
    aliases = [f"{alias} -> {target}" for alias, target in status["aliases"].items()]
    lines = [
        f"{'Config'.ljust(14)}: {status['configPath']}",
        f"{'Agent'.ljust(14)}: {status['agentId']}",
        f"{'Default'.ljust(14)}: {status['resolvedDefault']}",
        _listed("Fallbacks", status["fallbacks"]),
        _listed("Aliases", aliases),
        _listed("Allowed models", status["allowed"], 0),
        "",
        "Auth overview",
    ]
    for provider in status["auth"]["providers"]:
        effective = provider["effective"]
        lines.append(f"- {provider['provider']} effective={effective['kind']}:{effective['detail']}")
    missing = status["auth"]["missingProvidersInUse"]
    if missing:
        lines.append(f"Missing auth for providers in use: {', '.join(missing)}")
    return lines


def _status(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(StatusOptions, argv, environ, "models status")

    async def body(reactor: Any) -> int:
        settings = await deferToThread(local_settings, read_local_config(options.environ))
        status = model_status(settings, options["agent"])
        if options["json"]:
            print_json(status)
        elif options["plain"]:
            print(status["resolvedDefault"])
        else:
            sys.stdout.write("\n".join(status_lines(status)) + "\n")
        return 1 if options["check"] and status["auth"]["missingProvidersInUse"] else 0

    return run_cli(options, body)


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        return _status(argv, environ)  # plain `openclaw models [--json]` is the status
    return subcommand("models", {"list": _list, "status": _status}, USAGE, argv, environ)
