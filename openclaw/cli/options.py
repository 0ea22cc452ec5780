"""
The options every command shares (C{--json}, options after arguments) and the
gateway-client options of the RPC commands (C{spec/cli.md} §0), parsed with
OpenClaw's usage-error wording.
"""

from __future__ import annotations

import getopt
from typing import MutableMapping, TypeVar

from twisted.python import usage

from openclaw.cli.errors import CliError
from openclaw.cli.localconfig import LocalConfig, read_local_config
from openclaw.cli.output import fail


class CommandOptions(usage.Options):
    """What every command's options share: C{--json}, and the environment."""

    optFlags = [["json", None, "Print one JSON document on stdout."]]

    def __init__(self, environ: MutableMapping[str, str]) -> None:
        super().__init__()
        self.environ = environ

    def opt_version(self) -> None:  # -V belongs to the global flags only
        raise usage.UsageError("unknown option --version")

    def parseOptions(self, options: list[str] | None = None) -> None:
        """Options may also follow the arguments (C{devices remove <id> --json}), as in OpenClaw."""
        if options is not None:
            try:
                found, args = getopt.gnu_getopt(options, self.shortOpt, self.longOpt)
            except getopt.GetoptError as e:
                raise usage.UsageError(str(e))
            flat: list[str] = []
            for name, value in found:
                if name.startswith("--"):
                    flat.append(f"{name}={value}" if f"{name[2:]}=" in self.longOpt else name)
                else:  # a short option keeps its value (C{-m text})
                    flat += [name, value] if f"{name[1]}:" in self.shortOpt else [name]
            options = [*flat, "--", *args]
        super().parseOptions(options)


class ClientOptions(CommandOptions):
    """The gateway-client options of an RPC command; subclass per command."""

    #: C{--timeout} when not given, in milliseconds.
    defaultTimeoutMs = 30000

    optParameters = [
        ["url", None, None, "Gateway WebSocket URL (needs --token or --password)."],
        ["port", None, None, "Local loopback gateway port (not with --url)."],
        ["token", None, None, "Gateway token."],
        ["password", None, None, "Gateway password."],
        ["timeout", None, None, "Timeout in milliseconds."],
    ]

    def __init__(self, environ: MutableMapping[str, str]) -> None:
        super().__init__(environ)
        self._local: LocalConfig | None = None

    def postOptions(self) -> None:
        self.timeoutMs = positive_int("--timeout", self["timeout"], self.defaultTimeoutMs)
        if self["port"] is not None:
            self["port"] = positive_int("--port", self["port"], 0)
            if self["url"]:
                raise usage.UsageError("Use either --url or --port, not both.")

    @property
    def local(self) -> LocalConfig:
        if self._local is None:
            self._local = read_local_config(self.environ)
        return self._local


def positive_int(flag: str, raw: str | None, default: int) -> int:
    if raw is None:
        return default
    text = str(raw).strip()
    if not text.isdigit() or int(text) <= 0:
        raise usage.UsageError(f"Invalid {flag}: {raw} (expected a positive integer)")
    return int(text)


O = TypeVar("O", bound=usage.Options)


def parse(cls: type[O], argv: list[str], environ: MutableMapping[str, str], command: str) -> O:
    """
    Parse C{argv}; a usage error (or a L{CliError} from C{postOptions}) is
    printed by L{fail} (as the envelope when C{--json} was given) and exits.
    """
    options = cls(environ)
    try:
        options.parseOptions(argv)
    except usage.UsageError as e:
        raise SystemExit(fail(CliError(f"{e}\nTry: openclaw {command} --help"), "--json" in argv))
    except CliError as e:  # a postOptions refusal with its own wording
        raise SystemExit(fail(e, "--json" in argv))
    return options
