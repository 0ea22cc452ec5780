"""C{openclaw gateway}: the very same service as C{twistd openclaw-gateway}, in the foreground."""

from __future__ import annotations

import sys
from typing import Mapping

from twisted.python import usage


def main(argv: list[str], environ: Mapping[str, str]) -> int:
    from openclaw.gateway.service import Options, makeService
    from openclaw.gateway.settings import StartupError

    options = Options(dict(environ))
    try:
        options.parseOptions(argv)
    except usage.UsageError as e:
        sys.stderr.write(f"openclaw gateway: {e}\n{options}")
        return 1

    from twisted.internet import reactor
    from twisted.logger import globalLogBeginner

    service = makeService(options, reactor, ownsProcess=True, console=True)
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
