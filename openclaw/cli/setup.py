"""
C{openclaw setup}: make sure the config file, the agent workspace (with its default files) and the session
directory exist (C{openclaw --dev setup} does it for the dev profile).  An existing
config keeps everything it says; only missing keys are added.
"""

from __future__ import annotations

import os
import sys
from typing import Any, MutableMapping

from twisted.python import usage

from openclaw.agents.workspace import write_defaults
from openclaw.cli.config_cmd import describe_invalid
from openclaw.config.edit import get_path, read_document, set_path, write_document
from openclaw.config.environ import config_environ
from openclaw.config.load import ConfigError
from openclaw.paths import Paths, expand, shorten

DEFAULT_AGENT_ID = "main"


class SetupOptions(usage.Options):
    synopsis = "Usage: openclaw setup [--workspace <dir>] [--mode local|remote] [--remote-url <url>] [--remote-token <token>]"
    optParameters = [
        ["workspace", None, None, "Agent workspace directory (default: agents.defaults.workspace, then ~/.openclaw/workspace[-<profile>])."],
        ["mode", None, None, "Gateway mode to write when the config has none: local (default) or remote."],
        ["remote-url", None, None, "With --mode remote: the gateway URL (ws:// or wss://)."],
        ["remote-token", None, None, "With --mode remote: the token to present to that gateway."],
    ]

    def postOptions(self) -> None:
        if self["mode"] not in (None, "local", "remote"):
            raise usage.UsageError('Invalid --mode (use "local" or "remote")')
        if self["mode"] == "remote" and not self["remote-url"]:
            raise usage.UsageError("--mode remote requires --remote-url")
        if (self["remote-url"] or self["remote-token"]) and self["mode"] != "remote":
            raise usage.UsageError("--remote-url and --remote-token need --mode remote")


def default_workspace(paths: Paths, environ: MutableMapping[str, str]) -> str:
    """C{OPENCLAW_WORKSPACE_DIR}, else C{~/.openclaw/workspace} (C{workspace-<profile>} for a profile)."""
    configured = environ.get("OPENCLAW_WORKSPACE_DIR", "").strip()
    if configured:
        return os.path.abspath(expand(configured, environ))
    suffix = f"-{paths.profile}" if paths.profile else ""
    return os.path.join(paths.home, ".openclaw", f"workspace{suffix}")


def _ensure(document: dict[str, Any], dotted: list[str], value: Any) -> dict[str, Any]:
    try:
        get_path(document, dotted)
        return document
    except KeyError:
        return set_path(document, dotted, value)


def _ensure_dir(path: str) -> None:
    os.makedirs(path, mode=0o700, exist_ok=True)


def _profile_flag(paths: Paths) -> str:
    if paths.profile == "dev":
        return "openclaw --dev"
    return f"openclaw --profile {paths.profile}" if paths.profile else "openclaw"


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = SetupOptions()
    try:
        options.parseOptions(argv)
    except usage.UsageError as e:
        sys.stderr.write(f"openclaw setup: {e}\n{options}")
        return 1
    paths = Paths.fromEnvironment(environ)
    env = config_environ(dict(environ), paths.stateDir, os.getcwd())
    try:
        document, text = read_document(paths.configPath)
        workspace = options["workspace"] or _configured_workspace(document) or default_workspace(paths, environ)
        workspace = os.path.abspath(expand(workspace, environ))
        changed = _ensure(document, ["gateway", "mode"], options["mode"] or "local")
        if options["mode"] == "remote":
            changed = _ensure(changed, ["gateway", "remote", "url"], options["remote-url"])
            if options["remote-token"]:
                changed = _ensure(changed, ["gateway", "remote", "token"], options["remote-token"])
        changed = _ensure(changed, ["agents", "defaults", "workspace"], workspace)
        if changed != document or text is None:
            write_document(paths.configPath, changed, env)
            print(f"Wrote {shorten(paths.configPath, environ)}")
        else:
            print(f"Config OK: {shorten(paths.configPath, environ)}")
    except ConfigError as e:
        sys.stderr.write(f"{describe_invalid(e)}\n")
        return 1
    sessions = os.path.join(paths.stateDir, "agents", DEFAULT_AGENT_ID, "sessions")
    for label, directory in (("Workspace", workspace), ("Sessions", sessions)):
        try:
            _ensure_dir(directory)
        except OSError as e:
            sys.stderr.write(f"{label} failed: {shorten(directory, environ)}: {e.strerror}\n")
            return 1
        print(f"{label} OK: {shorten(directory, environ)}")
    try:
        for written in write_defaults(workspace):
            print(f"Created {shorten(written, environ)}")
    except OSError as e:
        sys.stderr.write(f"Workspace files failed: {shorten(workspace, environ)}: {e.strerror}\n")
        return 1
    print()
    print("Setup complete: config, workspace, and session directories are ready.")
    print(f"Start the gateway: {_profile_flag(paths)} gateway")
    return 0


def _configured_workspace(document: dict[str, Any]) -> str | None:
    try:
        value = get_path(document, ["agents", "defaults", "workspace"])
    except KeyError:
        return None
    return value if isinstance(value, str) and value.strip() else None
