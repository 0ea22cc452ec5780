"""C{openclaw gateway [run|status|probe|...]}: the subcommand table; no subcommand means C{run}."""

from __future__ import annotations

from importlib import import_module
from typing import MutableMapping

#: subcommand → the module whose C{main(argv, environ) -> int} runs it (imported on use);
#: C{"module:function"} names another function of that signature.
SUBCOMMANDS: dict[str, str] = {
    "run": "openclaw.cli.gateway.run",
    "status": "openclaw.cli.gateway.status",
    "probe": "openclaw.cli.gateway.probe",
    "call": "openclaw.cli.gateway.call",
    "install": "openclaw.cli.gateway.service:install",
    "uninstall": "openclaw.cli.gateway.service:uninstall",
    "start": "openclaw.cli.gateway.service:start",
    "stop": "openclaw.cli.gateway.service:stop",
    "restart": "openclaw.cli.gateway.service:restart",
}


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    name = argv[0] if argv and argv[0] in SUBCOMMANDS else "run"
    if argv[:1] == [name]:
        argv = argv[1:]
    module, _, function = SUBCOMMANDS[name].partition(":")
    return getattr(import_module(module), function or "main")(argv, environ)
