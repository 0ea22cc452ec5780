"""
The local checks of C{openclaw doctor}: each looks at one thing (config, mode,
reload mode, auth, state dir, log dir, port, service definition) and returns
findings, some with the repair that would fix them.

Repairs come in two kinds: an C{edit} of the config document (all chosen edits
are written together, validated, with one C{.bak}), or a C{run} action that does
something else and says what it did.  A C{safe} repair is one C{--non-interactive}
may apply on its own.  Blocking file I/O: run these before the reactor starts.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from openclaw import portowner, services
from openclaw.cli.localconfig import LocalConfig
from openclaw.config.edit import format_path, get_path, known_path, set_path, unset_path
from openclaw.config.includes import INCLUDE_KEY
from openclaw.logs.family import log_family
from openclaw.logs.sink import LogSettings
from openclaw.paths import configured_port, shorten
from openclaw.services.runtime import is_gateway_process, running_gateways

RETIRED_RELOAD_MODES = ("hot", "restart")
OK, INFO, WARN, ERROR = "ok", "info", "warn", "error"


@dataclass(frozen=True)
class Repair:
    description: str
    safe: bool = False
    #: A change to the config document (applied with the others, in one write).
    edit: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    #: Anything else; returns the lines that say what it did.
    run: Callable[[], list[str]] | None = None


@dataclass(frozen=True)
class Finding:
    check: str
    level: str
    message: str
    repair: Repair | None = None

    def asJson(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.check, "level": self.level, "message": self.message}
        if self.repair is not None:
            out["fix"] = self.repair.description
        return out


@dataclass(frozen=True)
class Context:
    local: LocalConfig
    #: The config file as written (JSON5 parsed), or None when missing or unparseable.
    document: dict[str, Any] | None
    environ: Mapping[str, str]
    generateToken: bool = False
    deep: bool = False

    def shown(self, path: str) -> str:
        return shorten(path, self.environ)


def _authored(ctx: Context, dotted: str) -> Any:
    try:
        return get_path(ctx.document or {}, dotted.split("."))
    except KeyError:
        return None


# config --------------------------------------------------------------------------


def unknown_keys(document: Mapping[str, Any], parts: tuple[str | int, ...] = ()) -> Iterator[list[str | int]]:
    """The paths in C{document} the config schema has no place for (C{$include}s skipped)."""
    for key, value in document.items():
        if key == INCLUDE_KEY:
            continue
        here = [*parts, key]
        if not known_path(here):
            yield here
        elif isinstance(value, Mapping):
            yield from unknown_keys(value, tuple(here))


def _drop(paths: list[list[str | int]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def edit(document: dict[str, Any]) -> dict[str, Any]:
        for path in paths:
            document = unset_path(document, path)
        return document

    return edit


def check_config(ctx: Context) -> list[Finding]:
    local = ctx.local
    where = ctx.shown(local.paths.configPath)
    if not local.exists:
        return [Finding("config", WARN, f"No config file at {where} (run openclaw setup).")]
    if local.valid:
        return [Finding("config", OK, f"{where} is valid.")]
    findings = [Finding("config", ERROR, f"{where} is invalid:\n" + "\n".join(f"  - {i}" for i in local.issues))]
    if ctx.document is not None:
        unknown = list(unknown_keys(ctx.document))
        if unknown:
            names = ", ".join(format_path(p) for p in unknown)
            findings.append(
                Finding("config", WARN, f"Unknown config keys: {names}.", Repair(f"Remove unknown keys: {names}", edit=_drop(unknown)))
            )
    return findings


def check_mode(ctx: Context) -> list[Finding]:
    mode = ctx.local.get("gateway.mode")
    if mode == "local":
        return [Finding("gateway.mode", OK, "gateway.mode is local.")]
    if mode == "remote":
        url = ctx.local.get("gateway.remote.url") or "(gateway.remote.url unset)"
        return [Finding("gateway.mode", INFO, f"gateway.mode is remote: this install is a client of {url}.")]
    if ctx.document is None and ctx.local.exists:
        return []  # unreadable: check_config said why
    return [
        Finding(
            "gateway.mode",
            ERROR,
            "gateway.mode is unset: openclaw gateway refuses to start without it.",
            Repair('Set gateway.mode to "local"', edit=lambda d: set_path(d, ["gateway", "mode"], "local")),
        )
    ]


def check_reload(ctx: Context) -> list[Finding]:
    mode = _authored(ctx, "gateway.reload.mode")
    if mode not in RETIRED_RELOAD_MODES:
        return []
    return [
        Finding(
            "gateway.reload.mode",
            WARN,
            f'gateway.reload.mode "{mode}" is retired; newer gateways accept only "off" or "hybrid".',
            Repair(
                f'Set gateway.reload.mode to "hybrid" (was "{mode}")',
                safe=True,
                edit=lambda d: set_path(d, ["gateway", "reload", "mode"], "hybrid"),
            ),
        )
    ]


def _generate_token(document: dict[str, Any]) -> dict[str, Any]:
    return set_path(document, ["gateway", "auth", "token"], secrets.token_hex(24))


def check_auth(ctx: Context) -> list[Finding]:
    local, env = ctx.local, ctx.environ
    mode = local.get("gateway.auth.mode")
    token = local.get("gateway.auth.token") or env.get("OPENCLAW_GATEWAY_TOKEN")
    password = local.get("gateway.auth.password") or env.get("OPENCLAW_GATEWAY_PASSWORD")
    if mode == "none":
        return [Finding("auth", WARN, "gateway.auth.mode is none: every connection is unauthenticated.")]
    if mode == "trusted-proxy":
        return [Finding("auth", OK, "Gateway auth: trusted-proxy.")]
    if mode == "password" or (mode is None and password):
        if password:
            return [Finding("auth", OK, "Gateway auth: password configured.")]
        return [Finding("auth", ERROR, "gateway.auth.mode is password but no password is configured.")]
    if token:
        if ctx.generateToken:
            return [Finding("auth", INFO, "Gateway token already configured; kept it.")]
        return [Finding("auth", OK, "Gateway auth: token configured.")]
    if ctx.document is None and local.exists:
        return [Finding("auth", WARN, "No gateway token found (the config could not be read).")]
    return [
        Finding(
            "auth",
            WARN,
            "No gateway token configured: the gateway generates one at start-up, and clients on other hosts cannot know it.",
            Repair("Generate gateway.auth.token and save it in the config", edit=_generate_token),
        )
    ]


# state and logs ------------------------------------------------------------------


def _chmod(path: str, mode: int) -> Callable[[], list[str]]:
    def run() -> list[str]:
        os.chmod(path, mode)
        return []

    return run


def _loose(path: str) -> int | None:
    """The mode of C{path} when group or others may read it, else None."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None
    return mode if mode & 0o077 else None


def check_state(ctx: Context) -> list[Finding]:
    paths = ctx.local.paths
    where = ctx.shown(paths.stateDir)
    if not os.path.isdir(paths.stateDir):
        return [Finding("state", INFO, f"State dir {where} does not exist yet (created on first start).")]
    findings = []
    loose = _loose(paths.stateDir)
    if loose is not None:
        findings.append(
            Finding("state", WARN, f"State dir {where} is open to other users (mode {loose:o}).",
                    Repair(f"chmod 700 {where}", safe=True, run=_chmod(paths.stateDir, 0o700)))
        )
    else:
        findings.append(Finding("state", OK, f"State dir {where} is private."))
    loose = _loose(paths.configPath)
    if loose is not None:
        shown = ctx.shown(paths.configPath)
        findings.append(
            Finding("state", WARN, f"Config file {shown} is readable by other users (mode {loose:o}).",
                    Repair(f"chmod 600 {shown}", safe=True, run=_chmod(paths.configPath, 0o600)))
        )
    return findings


def _make_dir(path: str) -> Callable[[], list[str]]:
    def run() -> list[str]:
        os.makedirs(path, mode=0o700, exist_ok=True)
        return []

    return run


def check_logs(ctx: Context) -> list[Finding]:
    settings = LogSettings.fromConfig(ctx.local.config, environ=ctx.environ)
    family = log_family(settings.profile, settings.file, directory=settings.directory, environ=ctx.environ)
    directory = family.directory
    if not os.path.isdir(directory):
        return [Finding("logs", WARN, f"Log dir {directory} does not exist.",
                        Repair(f"Create {directory}", safe=True, run=_make_dir(directory)))]
    if not os.access(directory, os.W_OK | os.X_OK):
        return [Finding("logs", ERROR, f"Log dir {directory} is not writable: the gateway cannot write its file log.")]
    return [Finding("logs", OK, f"File log: {family.newest()}")]


# port and services ---------------------------------------------------------------


def check_port(ctx: Context) -> list[Finding]:
    port, source = configured_port(ctx.environ, ctx.local.config)
    addresses = portowner.listening_addresses(port)
    if not addresses:
        return [Finding("port", INFO, f"Port {port} ({source}) is free: no gateway is running.")]
    ours = {p.pid for p in running_gateways(ctx.local.paths)}
    owners = portowner.listeners(port)
    if not owners:
        return [Finding("port", WARN, f"Port {port} is in use ({', '.join(addresses)}) by a process this user cannot inspect.")]
    lines = []
    for owner in owners:
        if owner.pid in ours:
            lines.append(Finding("port", OK, f"Port {port}: this install's gateway (pid {owner.pid})."))
        elif is_gateway_process(owner.pid):
            lines.append(Finding("port", WARN, f"Port {port} is held by another gateway (pid {owner.pid}: {owner.command})."))
        else:
            lines.append(Finding("port", ERROR, f"Port {port} is held by pid {owner.pid} ({owner.command}): the gateway cannot bind it."))
    return lines


def check_service(ctx: Context) -> list[Finding]:
    try:
        drifted = services.drift(ctx.environ)
        others = services.extra(ctx.environ) if ctx.deep else []
    except (OSError, ValueError) as e:
        return [Finding("service", INFO, f"Service check skipped: {e}")]
    findings = [Finding("service", WARN, item["message"]) for item in drifted]
    if drifted:
        first = findings[0]
        findings[0] = Finding(first.check, first.level, first.message,
                              Repair("Rewrite/remove the drifted service definitions", run=lambda: services.repair(ctx.environ)))
    else:
        findings.append(Finding("service", OK, "Service definition matches this install (or none is installed)."))
    if others:
        lines = [f"  - {o['name']} ({o['path']}){': ' + o['reason'] if o.get('reason') else ''}\n    {o['hint']}" for o in others]
        findings.append(Finding("service", WARN, "Other gateway-like services detected (best effort):\n" + "\n".join(lines)))
    return findings


def check_channels(ctx: Context) -> list[Finding]:
    """Chat channel accounts the config enables but that cannot run (no gateway needed)."""
    from openclaw.channels.kinds import setup_hint
    from openclaw.channels.settings import ChannelsSettings

    findings = []
    for account in ChannelsSettings.fromConfig(ctx.local.config, ctx.environ).accounts:
        name = f"{account.channelId} {account.accountId}"
        if account.enabled and account.problem:
            findings.append(Finding("channels", WARN, f"{name}: {account.problem}\n  fix: {setup_hint(account.channelId)}"))
        for problem in getattr(getattr(account.config, "policy", None), "problems", ()):
            findings.append(Finding("channels", WARN, f"{name}: {problem}\n  fix: edit channels.{account.channelId}"))
    return findings


CHECKS = (
    check_config, check_mode, check_reload, check_auth, check_state, check_logs, check_port, check_service, check_channels,
)


def run_checks(ctx: Context) -> list[Finding]:
    return [finding for check in CHECKS for finding in check(ctx)]
