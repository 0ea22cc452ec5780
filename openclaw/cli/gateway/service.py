"""
C{openclaw gateway install|uninstall|start|stop|restart}: the service lifecycle
(operations.md §7). The work is L{openclaw.services.lifecycle}, run in a thread;
this module parses flags and prints the outcome (or its JSON).
"""

from __future__ import annotations

import sys
from typing import Any, Callable, MutableMapping

from twisted.internet.task import deferLater
from twisted.internet.threads import deferToThread
from twisted.python import usage

from openclaw import procs
from openclaw.cli.errors import CliError
from openclaw.cli.options import CommandOptions, parse
from openclaw.cli.output import Style, print_json
from openclaw.cli.runner import run_cli
from openclaw.services import lifecycle
from openclaw.services.identity import ServiceIdentity, identify
from openclaw.services.lifecycle import Outcome, ServiceError
from openclaw.services.manager import ServiceManager

#: How long C{stop} waits for a signalled gateway to exit before it says so and returns.
STOP_WAIT_SECONDS = 30.0
_POLL = 0.1


class InstallOptions(CommandOptions):
    optFlags = [
        ["force", None, "Rewrite an existing unit/plist."],
        ["system", None, "Linux: a system-wide unit in /etc/systemd/system (run with sudo)."],
    ]
    optParameters = [["port", None, None, "Port for the service's gateway (default: the configured port)."]]

    def postOptions(self) -> None:
        if self["port"] is not None:
            raw = str(self["port"]).strip()
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise usage.UsageError(f"Invalid --port: {self['port']}")
            self["port"] = int(raw)


class StopOptions(CommandOptions):
    optFlags = [["disable", None, "Also keep the service from starting at login/boot."]]


def _report(options: usage.Options, outcome: Outcome) -> None:
    if options["json"]:
        print_json(outcome.asJson())
        return
    style = Style()
    sys.stdout.write(style.ok(outcome.message) + "\n")
    for warning in outcome.warnings:
        sys.stderr.write(style.warn(f"Warning: {warning}") + "\n")
    for hint in outcome.hints:
        sys.stdout.write(style.muted(hint) + "\n")


async def _wait_for_exit(reactor: Any, pid: int, seconds: float) -> bool:
    """Whether C{pid} (not our child) exited within C{seconds}; polls, as nothing else tells."""
    waited = 0.0
    while procs.alive(pid):
        if waited >= seconds:
            return False
        await deferLater(reactor, _POLL, lambda: None)
        waited += _POLL
    return True


def _command(
    argv: list[str],
    environ: MutableMapping[str, str],
    name: str,
    optionsClass: type[CommandOptions],
    work: Callable[[ServiceIdentity, ServiceManager, CommandOptions, MutableMapping[str, str]], Outcome],
) -> int:
    named = type(optionsClass.__name__, (optionsClass,), {"synopsis": f"Usage: openclaw gateway {name} [options]"})
    options = parse(named, argv, environ, f"gateway {name}")

    async def body(reactor: Any) -> int:
        system = bool(options.get("system"))
        try:
            env = lifecycle.system_environ(environ) if system else environ
            identity = identify(env, system=system)
        except ValueError as e:
            raise CliError(f"Gateway service: {e}")
        except ServiceError as e:
            raise CliError(e.message)
        manager = ServiceManager(identity.kind)
        try:
            outcome = await deferToThread(work, identity, manager, options, env)
        except ServiceError as e:
            raise CliError("\n".join([e.message, *e.hints]), hints=e.hints)
        except OSError as e:
            raise CliError(f"Gateway service: {e}")
        if outcome.action == "stop" and outcome.process is not None:
            if await _wait_for_exit(reactor, outcome.process.pid, STOP_WAIT_SECONDS):
                outcome.message = f"Stopped the gateway ({outcome.process.kind}, pid {outcome.process.pid})."
                outcome.result = "stopped"
            else:
                outcome.warnings.append(
                    f"pid {outcome.process.pid} is still shutting down after {STOP_WAIT_SECONDS:.0f}s (draining work)."
                )
        _report(options, outcome)
        return 0

    return run_cli(options, body)


def install(argv: list[str], environ: MutableMapping[str, str]) -> int:
    return _command(argv, environ, "install", InstallOptions,
                    lambda i, m, o, env: lifecycle.install(i, m, env, port=o["port"], force=bool(o["force"])))


def uninstall(argv: list[str], environ: MutableMapping[str, str]) -> int:
    return _command(argv, environ, "uninstall", CommandOptions, lambda i, m, o, env: lifecycle.uninstall(i, m))


def start(argv: list[str], environ: MutableMapping[str, str]) -> int:
    return _command(argv, environ, "start", CommandOptions, lambda i, m, o, env: lifecycle.start(i, m))


def stop(argv: list[str], environ: MutableMapping[str, str]) -> int:
    return _command(argv, environ, "stop", StopOptions, lambda i, m, o, env: lifecycle.stop(i, m, disable=bool(o["disable"])))


def restart(argv: list[str], environ: MutableMapping[str, str]) -> int:
    return _command(argv, environ, "restart", CommandOptions, lambda i, m, o, env: lifecycle.restart(i, m))
