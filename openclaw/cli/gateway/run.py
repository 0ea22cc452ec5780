"""C{openclaw gateway}: the very same service as C{twistd openclaw-gateway}, in the foreground."""

from __future__ import annotations

import sys
from typing import Mapping

from twisted.python import usage

from openclaw import VERSION
from openclaw.cli.gateway import subcommand_lines
from openclaw.gateway.service import Options

USAGE = "\n".join([
    "Usage: openclaw gateway [run] [options]",
    "       openclaw gateway <subcommand> [options]   (openclaw gateway <subcommand> --help)",
    "",
    "Runs the gateway in the foreground: the same service as twistd openclaw-gateway.",
    "",
    *subcommand_lines(),
    "",
])


class RunOptions(Options):
    """The gateway's options as C{openclaw gateway} presents them: our usage, our version."""

    def getSynopsis(self) -> str:
        return USAGE  # kept whole: Twisted would strip the blank line before "Options:"

    def opt_version(self) -> None:
        """Print the version and exit."""
        print(VERSION)
        sys.exit(0)

    opt_V = opt_version


def main(argv: list[str], environ: Mapping[str, str]) -> int:
    from openclaw.gateway.process import ProcessOwner
    from openclaw.gateway.service import makeService
    from openclaw.settings import StartupError

    options = RunOptions(dict(environ))
    try:
        options.parseOptions(argv)
    except usage.UsageError as e:
        sys.stderr.write(f"openclaw gateway: {e}\n{options}")
        return 1

    from twisted.internet import reactor
    from twisted.logger import globalLogBeginner

    from openclaw.gateway import heap

    heap.keep_startup_heap()  # this process is the gateway's
    try:
        service = makeService(options, reactor, console=True)
    except StartupError as e:
        sys.stderr.write(e.message + "\n")
        return e.exitCode
    ProcessOwner(service, reactor).installSignalHandlers()
    # Our log sink adds its observers itself; stop Twisted from buffering events.
    globalLogBeginner.beginLoggingTo([], discardBuffer=True, redirectStandardIO=False)
    try:
        service.privilegedStartService()
    except StartupError as e:
        return e.exitCode
    service.startService()
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)
    reactor.run(installSignalHandlers=True)
    return 0
