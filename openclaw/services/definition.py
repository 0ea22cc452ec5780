"""
What a service runs: our own entry point (C{openclaw gateway --port N}), its
environment and working directory. Rendered into units and plists, and parsed back
out of them by C{status} and C{doctor}.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from typing import Mapping

from openclaw.logs.redact import redact
from openclaw.paths import Paths
from openclaw.services.identity import SYSTEMD, ServiceIdentity

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
#: C{openclaw gateway <sub>} commands that talk to a gateway rather than being one.
NOT_SERVING = ("status", "install", "uninstall", "start", "stop", "restart", "probe", "call", "health", "discover")


class EntryPointError(Exception):
    """The C{openclaw} command this install runs as cannot be found."""


@dataclass(frozen=True)
class ServiceDefinition:
    programArguments: tuple[str, ...]
    environment: dict[str, str] = field(default_factory=dict)
    workingDirectory: str | None = None

    def port(self) -> int | None:
        """The port the service starts on: C{--port N}, else C{OPENCLAW_GATEWAY_PORT}."""
        args = list(self.programArguments)
        for i, arg in enumerate(args):
            if arg == "--port" and i + 1 < len(args) and args[i + 1].isdigit():
                return int(args[i + 1])
            if arg.startswith("--port=") and arg[7:].isdigit():
                return int(arg[7:])
        raw = self.environment.get("OPENCLAW_GATEWAY_PORT", "")
        raw = raw.rsplit(":", 1)[-1]
        return int(raw) if raw.isdigit() else None

    def asJson(self, sourcePath: str | None) -> dict:
        """
        The C{command} object of C{gateway status --json}, for display: secrets a
        hand-edited definition may hold (C{--token x}, C{..._TOKEN=x}) are masked.
        """
        return {
            "programArguments": shlex.split(redact(shlex.join(self.programArguments))),
            "environment": {k: redact(f"{k}={v}").partition("=")[2] for k, v in self.environment.items()},
            "sourcePath": sourcePath,
            "workingDirectory": self.workingDirectory,
        }


def entry_point(environ: Mapping[str, str]) -> str:
    """
    The absolute path of the C{openclaw} command: the one installed beside this
    Python (a virtualenv's C{bin/}), else the first on C{PATH}.
    """
    beside = os.path.join(os.path.dirname(os.path.abspath(sys.executable)), "openclaw")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("openclaw", path=environ.get("PATH"))
    if found is None:
        raise EntryPointError(
            "cannot find the openclaw command (looked beside "
            f"{sys.executable} and on PATH); install the package first"
        )
    return os.path.abspath(found)


def is_gateway_command(args: tuple[str, ...] | list[str]) -> bool:
    """C{… openclaw [globals] gateway [run] …} or C{… twistd … openclaw-gateway …}: one of ours."""
    if not args:
        return False
    program = os.path.basename(args[0])
    if program == "openclaw":
        if "gateway" not in args[1:]:
            return False
        after = list(args[args.index("gateway") + 1:])
        return not after or after[0] not in NOT_SERVING
    if program.startswith("twistd"):
        return "openclaw-gateway" in args[1:]
    return False


def build(identity: ServiceIdentity, port: int, environ: Mapping[str, str], entry: str | None = None) -> ServiceDefinition:
    """
    The definition C{install} writes for C{identity}: our entry point on C{port}, the
    profile, the port, and the state/config paths whenever they are not the
    defaults. No secret is ever written: the gateway reads those from its config or
    its state dir's C{.env}.
    """
    program = entry or entry_point(environ)
    paths = identity.paths
    env: dict[str, str] = {
        "HOME": paths.home,
        "PATH": f"{os.path.dirname(program)}:{SYSTEM_PATH}",
    }
    if identity.profile:
        env["OPENCLAW_PROFILE"] = identity.profile
    defaults = Paths.fromEnvironment({"HOME": paths.home})
    if environ.get("OPENCLAW_HOME"):
        env["OPENCLAW_HOME"] = paths.home
    if paths.stateDir != defaults.stateDir:
        env["OPENCLAW_STATE_DIR"] = paths.stateDir
    if "OPENCLAW_STATE_DIR" in env or paths.configPath != os.path.join(paths.stateDir, "openclaw.json"):
        env["OPENCLAW_CONFIG_PATH"] = paths.configPath
    env["OPENCLAW_GATEWAY_PORT"] = str(port)
    if identity.kind == SYSTEMD:
        env["OPENCLAW_SYSTEMD_UNIT"] = identity.name
    else:
        env["OPENCLAW_LAUNCHD_LABEL"] = identity.name
    env["OPENCLAW_SERVICE_MARKER"] = "openclaw"
    env["OPENCLAW_SERVICE_KIND"] = "gateway"
    return ServiceDefinition((program, "gateway", "--port", str(port)), env, None)
