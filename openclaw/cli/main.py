"""
The C{openclaw} command: global flags (C{--dev}, C{--profile}, C{--log-level},
C{--no-color}, C{-V}) before a command, then the command itself.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from importlib import import_module
from typing import Sequence

from openclaw import VERSION
from openclaw.paths import ProfileError, select_profile

USAGE = """Usage: openclaw [--dev | --profile <name>] [--log-level <level>] [--no-color] <command> [options]

Commands:
  gateway       Run the gateway in the foreground (alias: gateway run); gateway status|probe|call,
                gateway install|uninstall|start|stop|restart
  status        Local diagnosis and the gateway overview
  health        The gateway's health snapshot
  config        Read or edit the config file: config get|set|unset <path> [value]
  devices       Device pairing: devices list|approve|reject|remove
  setup         Create the config, agent workspace and session directories
  logs          Show the gateway's file log (over RPC; --follow keeps polling)
  channels      Channel accounts: channels status [--probe]
  pairing       Chat DM pairing: pairing list [channel], pairing approve <channel> <code>
  message       Send a chat message: message send --channel <id> --target <chat> --message <text>
  doctor        Check config, auth, port, state and service; --fix repairs what it can
  secrets       SecretRefs: secrets reload (running gateway); audit, configure, apply (local)
  dashboard     Print (and on a desktop, open) the Control UI URL with the token
  agent         Run an agent turn on the gateway: agent --message <text>, the reply streamed
  sessions      List the agent's sessions (from the running gateway)
  models        Models: models list (what the gateway offers), models status (the config's choice)

Global options:
  --dev               Use the dev profile (~/.openclaw-dev, port 19001)
  --profile <name>    Use a named profile (~/.openclaw-<name>)
  --log-level <lvl>   silent, fatal, error, warn, info, debug or trace
  --no-color          Disable colour (also NO_COLOR=1)
  -V, --version       Print the version
"""


#: command → the module whose C{main(argv, environ) -> int} runs it (imported on use).
COMMANDS: dict[str, str] = {
    "devices": "openclaw.cli.devices",
    "gateway": "openclaw.cli.gateway",
    "health": "openclaw.cli.health",
    "status": "openclaw.cli.status",
    "config": "openclaw.cli.config_cmd",
    "setup": "openclaw.cli.setup",
    "logs": "openclaw.cli.logs",
    "channels": "openclaw.cli.channels",
    "pairing": "openclaw.cli.pairing",
    "message": "openclaw.cli.message",
    "doctor": "openclaw.cli.doctor",
    "secrets": "openclaw.cli.secrets",
    "dashboard": "openclaw.cli.dashboard",
    "agent": "openclaw.cli.agent",
    "sessions": "openclaw.cli.sessions",
    "models": "openclaw.cli.models",
}


@dataclass
class _Globals:
    dev: bool = False
    profile: str | None = None


def _take_globals(argv: list[str]) -> tuple[_Globals, list[str]]:
    """Consume the global flags standing before the command, in any order."""
    found = _Globals()
    args = list(argv)
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        name, eq, inline = flag.partition("=")
        if flag in ("-V", "--version"):
            print(VERSION)
            raise SystemExit(0)
        if flag in ("-h", "--help"):
            return found, ["--help"]
        if flag == "--dev":
            found.dev = True
        elif flag == "--no-color":
            os.environ["NO_COLOR"] = "1"
        elif name in ("--profile", "--log-level"):
            value = inline if eq else (args.pop(0) if args and not args[0].startswith("-") else "")
            if name == "--profile":
                found.profile = value
            elif not value:
                raise SystemExit("--log-level requires a value")
            else:
                os.environ["OPENCLAW_LOG_LEVEL"] = value
        else:
            args.insert(0, flag)
            break
    return found, args


def main(argv: Sequence[str] | None = None) -> None:
    found, args = _take_globals(list(sys.argv[1:] if argv is None else argv))
    try:
        select_profile(found.dev, found.profile, os.environ)
    except ProfileError as e:
        sys.stderr.write(f"{e}\n")
        raise SystemExit(2)
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        raise SystemExit(0 if args else 1)
    module = COMMANDS.get(args[0])
    if module is None:
        sys.stderr.write(f"error: unknown command '{args[0]}'\n\n{USAGE}")
        raise SystemExit(1)
    raise SystemExit(import_module(module).main(args[1:], os.environ))
