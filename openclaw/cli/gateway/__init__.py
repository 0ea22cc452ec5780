"""C{openclaw gateway [run|status|probe|...]}: the subcommand table; no subcommand means C{run}."""

from __future__ import annotations

from importlib import import_module
from typing import MutableMapping

#: subcommand → (the module whose C{main(argv, environ) -> int} runs it, imported on use,
#: or C{"module:function"} for another function of that signature; what it does).
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "run": ("openclaw.cli.gateway.run", "Run the gateway in the foreground (the default)"),
    "status": ("openclaw.cli.gateway.status", "Service, configs, bind and port, an RPC probe, the port's listener"),
    "probe": ("openclaw.cli.gateway.probe", "Probe every gateway this CLI could mean; warn about several"),
    "call": ("openclaw.cli.gateway.call", "Call one gateway method and print its answer as JSON"),
    "install": ("openclaw.cli.gateway.service:install", "Install and start the gateway as a systemd/launchd service"),
    "uninstall": ("openclaw.cli.gateway.service:uninstall", "Stop and remove the service"),
    "start": ("openclaw.cli.gateway.service:start", "Start the installed service"),
    "stop": ("openclaw.cli.gateway.service:stop", "Stop the service, or a foreground/twistd gateway of this state dir"),
    "restart": ("openclaw.cli.gateway.service:restart", "Restart the service, or a running gateway in-process"),
}


def subcommand_lines() -> list[str]:
    """The C{Subcommands:} block of C{openclaw gateway --help}."""
    width = max(map(len, SUBCOMMANDS))
    return ["Subcommands:", *(f"  {name.ljust(width)}  {summary}" for name, (_, summary) in SUBCOMMANDS.items())]


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    name = argv[0] if argv and argv[0] in SUBCOMMANDS else "run"
    if argv[:1] == [name]:
        argv = argv[1:]
    module, _, function = SUBCOMMANDS[name][0].partition(":")
    return getattr(import_module(module), function or "main")(argv, environ)
