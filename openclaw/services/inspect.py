"""
What C{gateway status} and C{doctor} learn about services: L{inspect} (this
profile's service and running gateway), L{extra} (other gateway-like units and
plists), L{drift} (a definition that no longer matches this install) and L{repair}.

All blocking (file reads, manager calls): call them from a thread when a reactor runs.
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping

from openclaw.paths import Paths
from openclaw.services.definition import ServiceDefinition, is_gateway_command
from openclaw.services.definitions import parse, read_bytes, write_definition
from openclaw.services.identity import (
    LAUNCH_DAEMON_DIR, LAUNCHD, SYSTEM_UNIT_DIR, SYSTEMD, ServiceIdentity,
    identify, launch_agent_dir, user_unit_dir,
)
from openclaw.services.manager import ManagerError, ServiceManager
from openclaw.services.render import expected, render
from openclaw.services.runtime import running_gateways

_LOADED_TEXT = {SYSTEMD: ("enabled", "disabled"), LAUNCHD: ("loaded", "not loaded")}
_GATEWAY_LIKE = re.compile(r"openclaw|clawdbot|moltbot", re.IGNORECASE)
_LEGACY = re.compile(r"clawdbot|moltbot", re.IGNORECASE)


def _definition(identity: ServiceIdentity) -> tuple[ServiceDefinition | None, str | None]:
    data = read_bytes(identity.path)
    if data is None:
        return None, None
    try:
        return parse(identity.kind, data), None
    except ValueError as e:
        return None, f"{identity.path}: {e}"


def inspect(
    environ: Mapping[str, str], deep: bool = False, kind: str | None = None, manager: ServiceManager | None = None
) -> dict[str, Any]:
    """
    The C{service} object of C{gateway status --json} for the active profile::

        {"label": "systemd" | "LaunchAgent",
         "name": "openclaw-gateway.service",      # unit name or launchd label
         "installed": bool,                        # the definition file exists
         "loaded": bool,                           # systemd: enabled; launchd: loaded
         "loadState": "enabled" | "disabled" | "loaded" | "not loaded" | "not installed" | "unknown",
         "loadedText": "enabled" | "loaded", "notLoadedText": "disabled" | "not loaded",
         "needsDaemonReload": bool,                # "Systemd reload: pending"
         "command": {"programArguments": [...], "environment": {...},
                     "sourcePath": path, "workingDirectory": str | None} | None,
         "runtime": {"status": "running" | "stopped" | "unknown", "pid": int | None,
                     "state": str | None, "subState": str | None,
                     "lastExitStatus": int | None,
                     "kind": "service" | "twistd-daemon" | "foreground" | None},
         "processes": [{"pid", "kind", "source", "command"}],  # gateways of this state dir
                                                                # outside the manager
         "error": str | None}                      # unreadable definition or manager failure

    C{deep} also looks at the system-wide unit of the same name when there is no
    user unit. C{kind} (systemd/launchd) and C{manager} default to this platform's.
    """
    identity = identify(environ, kind)
    if deep and identity.kind == SYSTEMD and not os.path.exists(identity.path):
        system = identify(environ, kind, system=True)
        if os.path.exists(system.path):
            identity = system
    manager = manager or ServiceManager(identity.kind)
    definition, error = _definition(identity)
    isInstalled = os.path.exists(identity.path)
    loadedText, notLoadedText = _LOADED_TEXT[identity.kind]
    processes = running_gateways(identity.paths)
    out: dict[str, Any] = {
        "label": identity.label,
        "name": identity.name,
        "installed": isInstalled,
        "loaded": False,
        "loadState": "not installed",
        "loadedText": loadedText,
        "notLoadedText": notLoadedText,
        "needsDaemonReload": False,
        "command": definition.asJson(identity.path) if definition else None,
        "runtime": {"status": "stopped", "pid": None, "state": None, "subState": None, "lastExitStatus": None, "kind": None},
        "processes": [p.asJson() for p in processes],
        "error": error,
    }
    if isInstalled:
        state = manager.state(identity)
        out.update(loaded=state.loaded, loadState=state.loadState, needsDaemonReload=state.needsReload)
        out["error"] = out["error"] or state.error
        out["runtime"] = {
            "status": state.status, "pid": state.pid, "state": state.state, "subState": state.subState,
            "lastExitStatus": state.lastExitStatus, "kind": "service" if state.status == "running" else None,
        }
    if out["runtime"]["status"] != "running" and processes:
        first = processes[0]
        out["runtime"].update(status="running", pid=first.pid, state="running", kind=first.kind)
    return out


# other installs ----------------------------------------------------------------


def _profile_of(kind: str, name: str) -> str | None:
    """The profile a unit/label of ours belongs to (None = default), or C{"?"} if not ours."""
    if kind == SYSTEMD:
        match = re.fullmatch(r"openclaw-gateway(?:-(.+))?\.service", name)
    else:
        match = re.fullmatch(r"ai\.openclaw\.(.+)", name)
        if match and match.group(1) == "gateway":
            return None
    if not match:
        return "?"
    return match.group(1)


def _scan_dirs(home: str) -> list[tuple[str, str, str]]:
    """(kind, scope, directory) of every place a gateway definition may be."""
    return [
        (SYSTEMD, "user", user_unit_dir(home)),
        (SYSTEMD, "system", SYSTEM_UNIT_DIR),
        (LAUNCHD, "user", launch_agent_dir(home)),
        (LAUNCHD, "system", LAUNCH_DAEMON_DIR),
    ]


def _cleanup_hint(kind: str, scope: str, name: str, path: str) -> str:
    if kind == SYSTEMD:
        ctl = "systemctl --user" if scope == "user" else "sudo systemctl"
        rm = "rm" if scope == "user" else "sudo rm"
        return f"{ctl} disable --now {name} && {rm} {path} && {ctl} daemon-reload"
    domain = f"gui/{os.getuid()}" if scope == "user" else "system"
    return f"launchctl bootout {domain}/{name} && rm {path}"


def _stale_reason(kind: str, name: str, definition: ServiceDefinition | None, home: str) -> str | None:
    if definition is None:
        return "unreadable definition"
    if _LEGACY.search(name):
        return "legacy install (clawdbot/moltbot)"
    args = definition.programArguments
    if args and os.path.isabs(args[0]) and not os.path.exists(args[0]):
        return f"its program {args[0]} no longer exists"
    profile = _profile_of(kind, name)
    if profile not in (None, "?"):
        config = _profile_config(profile, definition, home)
        if not os.path.exists(config):
            return f"profile {profile} has no config ({config})"
    return None


def _profile_config(profile: str, definition: ServiceDefinition, home: str) -> str:
    env = {"HOME": home, **definition.environment}
    if "OPENCLAW_STATE_DIR" not in definition.environment:
        env["OPENCLAW_STATE_DIR"] = os.path.join(home, f".openclaw-{profile}")
    return Paths.fromEnvironment(env).configPath


def _scan(home: str) -> list[dict[str, Any]]:
    found = []
    for kind, scope, directory in _scan_dirs(home):
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        suffix = ".service" if kind == SYSTEMD else ".plist"
        for filename in names:
            if not filename.endswith(suffix):
                continue
            path = os.path.join(directory, filename)
            data = read_bytes(path) or b""
            try:
                definition: ServiceDefinition | None = parse(kind, data)
            except ValueError:
                definition = None
            ours = definition is not None and is_gateway_command(definition.programArguments)
            if not (_GATEWAY_LIKE.search(filename) or ours):
                continue
            name = filename if kind == SYSTEMD else filename[: -len(suffix)]
            found.append({"kind": kind, "scope": scope, "name": name, "path": path, "definition": definition})
    return found


def extra(environ: Mapping[str, str]) -> list[dict[str, Any]]:
    """
    Gateway-like units and plists other than the active profile's own (for
    C{--deep}): C{[{"kind": "systemd"|"launchd", "scope": "user"|"system", "name",
    "path", "profile": str|None|"?", "stale": bool, "reason": str|None,
    "hint": cleanup command}]}. C{profile} is C{"?"} for a definition not named
    like ours; C{stale} says it serves no existing install.
    """
    paths = Paths.fromEnvironment(environ)
    own = {identify(environ, k, system=s).path for k in (SYSTEMD, LAUNCHD) for s in (False, True)}
    out = []
    for item in _scan(paths.home):
        if item["path"] in own:
            continue
        reason = _stale_reason(item["kind"], item["name"], item["definition"], paths.home)
        out.append({
            "kind": item["kind"], "scope": item["scope"], "name": item["name"], "path": item["path"],
            "profile": _profile_of(item["kind"], item["name"]),
            "stale": reason is not None, "reason": reason,
            "hint": _cleanup_hint(item["kind"], item["scope"], item["name"], item["path"]),
        })
    return out


# drift -------------------------------------------------------------------------


def drift(environ: Mapping[str, str], kind: str | None = None) -> list[dict[str, Any]]:
    """
    How installed definitions disagree with this install, for C{doctor}::

        [{"code": "port" | "entry-point" | "missing-profile",
          "message": str, "name": unit/label, "path": definition file,
          "expected": ..., "found": ...}]

    C{port}: the active profile's unit starts on another port than the config says;
    C{entry-point}: it does not run this install's C{openclaw gateway}; C{missing-profile}:
    a unit of ours (user scope) whose profile has no config any more.
    """
    identity = identify(environ, kind)
    out: list[dict[str, Any]] = []
    definition, _ = _definition(identity)
    if definition is not None:
        want, _ = expected(identity, environ)
        if definition.port() != want.port():
            out.append(_item("port", identity, want.port(), definition.port(),
                             f"{identity.name} starts the gateway on port {definition.port()}, the config says {want.port()}"))
        if definition.programArguments[:2] != want.programArguments[:2]:
            out.append(_item("entry-point", identity, list(want.programArguments), list(definition.programArguments),
                             f"{identity.name} runs {' '.join(definition.programArguments) or 'nothing'}, "
                             f"not this install's {' '.join(want.programArguments[:2])}"))
    for item in extra(environ):
        if item["kind"] == identity.kind and item["scope"] == "user" and item["profile"] not in (None, "?") \
                and item["reason"] and item["reason"].startswith("profile "):
            out.append({"code": "missing-profile", "message": f"{item['name']}: {item['reason']}",
                        "name": item["name"], "path": item["path"], "expected": None, "found": item["profile"]})
    return out


def _item(code: str, identity: ServiceIdentity, want: Any, found: Any, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "name": identity.name, "path": identity.path, "expected": want, "found": found}


def repair(environ: Mapping[str, str], kind: str | None = None, manager: ServiceManager | None = None) -> list[str]:
    """
    Fix what L{drift} reports (C{doctor --fix}): rewrite the active profile's
    definition (reload; restart it if it was running) and remove units of
    profiles that are gone. Returns one line per action taken.

    @raise ManagerError: the service manager refused a step.
    """
    identity = identify(environ, kind)
    manager = manager or ServiceManager(identity.kind)
    actions = []
    found = drift(environ, kind)
    if any(d["code"] in ("port", "entry-point") for d in found):
        definition, _ = expected(identity, environ)
        write_definition(identity.path, render(identity, definition))
        actions.append(f"rewrote {identity.path}")
        manager.reload(identity)
        if manager.state(identity).status == "running":
            manager.restart(identity)
            actions.append(f"restarted {identity.name}")
    for item in found:
        if item["code"] != "missing-profile":
            continue
        other = ServiceIdentity(identity.kind, item["name"], item["path"], item["found"], identity.paths)
        manager.deactivate(other)
        os.unlink(item["path"])
        manager.reload(other)
        actions.append(f"removed {item['path']} (profile {item['found']} is gone)")
    return actions


__all__ = ["inspect", "extra", "drift", "repair", "ManagerError"]
