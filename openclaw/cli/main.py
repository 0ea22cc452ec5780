"""
The C{openclaw} command: global flags (C{--dev}, C{--profile}, C{--log-level},
C{--no-color}, C{-V}) before a command, then the command itself.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Sequence

from openclaw import VERSION
from openclaw.paths import ProfileError, apply_global_flags

USAGE = """Usage: openclaw [--dev | --profile <name>] [--log-level <level>] [--no-color] <command> [options]

Commands:
  gateway       Run the gateway in the foreground (alias: gateway run)

Global options:
  --dev               Use the dev profile (~/.openclaw-dev, port 19001)
  --profile <name>    Use a named profile (~/.openclaw-<name>)
  --log-level <lvl>   silent, fatal, error, warn, info, debug or trace
  --no-color          Disable colour (also NO_COLOR=1)
  -V, --version       Print the version
"""


def _gateway(argv: list[str]) -> int:
    from openclaw.cli.gateway_run import run

    if argv[:1] == ["run"]:
        argv = argv[1:]
    return run(argv, os.environ)


COMMANDS: dict[str, Callable[[list[str]], int]] = {"gateway": _gateway}


def _global_options(argv: list[str]) -> list[str]:
    """Consume C{--log-level}, C{--no-color} and C{-V} wherever they stand before the command."""
    rest = []
    args = iter(argv)
    for arg in args:
        if arg in ("-V", "--version") and not rest:
            print(VERSION)
            raise SystemExit(0)
        if arg == "--no-color" and not rest:
            os.environ["NO_COLOR"] = "1"
        elif arg == "--log-level" and not rest:
            level = next(args, None)
            if level is None:
                raise SystemExit("--log-level requires a value")
            os.environ["OPENCLAW_LOG_LEVEL"] = level
        elif arg.startswith("--log-level=") and not rest:
            os.environ["OPENCLAW_LOG_LEVEL"] = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    return rest


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        args = apply_global_flags(args, os.environ)
    except ProfileError as e:
        sys.stderr.write(f"{e}\n")
        raise SystemExit(2)
    args = _global_options(args)
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write(USAGE)
        raise SystemExit(0 if args else 1)
    command = COMMANDS.get(args[0])
    if command is None:
        sys.stderr.write(f"error: unknown command '{args[0]}'\n\n{USAGE}")
        raise SystemExit(1)
    raise SystemExit(command(args[1:]))
