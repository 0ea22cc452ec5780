"""
What a profile's service is called and where its definition lives, per manager.

Service identity follows the profile, not the state dir (operations.md §7):
C{openclaw-gateway[-<profile>].service} for systemd, C{ai.openclaw.gateway} /
C{ai.openclaw.<profile>} for launchd.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Mapping

from openclaw.paths import Paths

SYSTEMD = "systemd"
LAUNCHD = "launchd"

#: Where system-wide units live (C{--system}).
SYSTEM_UNIT_DIR = "/etc/systemd/system"
#: Where system-wide launchd jobs live (only scanned by C{--deep}).
LAUNCH_DAEMON_DIR = "/Library/LaunchDaemons"


def manager_kind(platform: str = sys.platform) -> str | None:
    """The service manager of this platform: systemd on Linux, launchd on macOS."""
    if platform.startswith("linux"):
        return SYSTEMD
    if platform == "darwin":
        return LAUNCHD
    return None


def unit_name(profile: str | None) -> str:
    return f"openclaw-gateway-{profile}.service" if profile else "openclaw-gateway.service"


def launchd_label(profile: str | None) -> str:
    return f"ai.openclaw.{profile}" if profile else "ai.openclaw.gateway"


@dataclass(frozen=True)
class ServiceIdentity:
    kind: str
    #: The unit name (systemd) or the job label (launchd).
    name: str
    #: The definition file: unit or plist.
    path: str
    profile: str | None
    paths: Paths
    #: A system-wide systemd unit (C{install --system}) rather than a user unit.
    system: bool = False

    @property
    def label(self) -> str:
        """How C{gateway status} names the manager."""
        return "systemd" if self.kind == SYSTEMD else "LaunchAgent"

    @property
    def stdoutPath(self) -> str:
        """The launchd job's stdout (seed-era location, in the state dir)."""
        return os.path.join(self.paths.stateDir, "logs", "gateway.log")

    @property
    def stderrPath(self) -> str:
        return os.path.join(self.paths.stateDir, "logs", "gateway.err.log")


def user_unit_dir(home: str) -> str:
    return os.path.join(home, ".config", "systemd", "user")


def launch_agent_dir(home: str) -> str:
    return os.path.join(home, "Library", "LaunchAgents")


def identify(
    environ: Mapping[str, str], kind: str | None = None, system: bool = False, systemDir: str = SYSTEM_UNIT_DIR
) -> ServiceIdentity:
    """
    The service of the active profile. C{kind} defaults to this platform's manager.

    @raise ValueError: on a platform without a supported service manager.
    """
    kind = kind or manager_kind()
    if kind is None:
        raise ValueError(f"no supported service manager on {sys.platform} (systemd or launchd)")
    paths = Paths.fromEnvironment(environ)
    if kind == LAUNCHD:  # user LaunchAgents only
        name = launchd_label(paths.profile)
        return ServiceIdentity(kind, name, os.path.join(launch_agent_dir(paths.home), f"{name}.plist"), paths.profile, paths)
    name = unit_name(paths.profile)
    directory = systemDir if system else user_unit_dir(paths.home)
    return ServiceIdentity(kind, name, os.path.join(directory, name), paths.profile, paths, system)
