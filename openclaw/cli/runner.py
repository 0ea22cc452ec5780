"""
Running a command: a subcommand table, and an async command body on the reactor
to its exit code (a L{CliError} printed on the way out).
"""

from __future__ import annotations

import sys
from typing import Any, Awaitable, Callable, Mapping, MutableMapping

from twisted.internet.defer import ensureDeferred
from twisted.python import usage
from twisted.python.failure import Failure

from openclaw.cli.errors import CliError
from openclaw.cli.output import fail

#: A command's entry point: C{main(argv, environ) -> exit code}.
Command = Callable[[list[str], MutableMapping[str, str]], int]


def subcommand(group: str, table: Mapping[str, Command], usageText: str, argv: list[str], environ: MutableMapping[str, str]) -> int:
    """Run C{openclaw <group> <name> ...} from C{table}; help or an unknown name prints the usage."""
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(usageText)
        return 0 if argv else 1
    command = table.get(argv[0])
    if command is None:
        sys.stderr.write(f"error: unknown command '{group} {argv[0]}'\n\n{usageText}")
        return 1
    return command(argv[1:], environ)


def run_cli(options: usage.Options, body: Callable[[Any], Awaitable[int | None]]) -> int:
    """
    Run C{body(reactor)} to completion on the reactor and return its exit code
    (None means 0); a L{CliError} is printed (see L{fail}).
    """
    from twisted.internet import reactor

    outcome: dict[str, Any] = {}

    def done(result: Any) -> None:
        outcome["result"] = result
        if reactor.running:
            reactor.stop()

    ensureDeferred(body(reactor)).addBoth(done)
    if "result" not in outcome:
        reactor.run()
    if "result" not in outcome:  # the reactor stopped first: SIGINT/SIGTERM (say, ending logs --follow)
        return 130
    result = outcome["result"]
    if isinstance(result, Failure):
        if isinstance(result.value, CliError):
            return fail(result.value, bool(options.get("json")))
        if isinstance(result.value, KeyboardInterrupt):
            return 130
        result.raiseException()
    return result or 0
