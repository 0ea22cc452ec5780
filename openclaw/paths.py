"""
Where an OpenClaw install keeps its things: profiles, state dir, config path, log file, ports.

Pure functions over an environment mapping; nothing here touches the disk.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping, MutableMapping

DEFAULT_PORT = 18789
DEV_PORT = 19001
DEV_PROFILE = "dev"

_PROFILE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$", re.IGNORECASE)


class ProfileError(Exception):
    """A global profile flag is wrong; the CLI exits 2 with this message."""


def is_placeholder(value: str) -> bool:
    """Blank, or the text an unset variable expands to in shells and unit files."""
    return value.strip() in ("", "undefined", "null")


def _set(value: str | None) -> str | None:
    if value is None or is_placeholder(value):
        return None
    return value.strip()


def home_dir(environ: Mapping[str, str]) -> str:
    """C{OPENCLAW_HOME} > C{HOME} > C{USERPROFILE} > the OS's idea of home."""
    for key in ("OPENCLAW_HOME", "HOME", "USERPROFILE"):
        value = _set(environ.get(key))
        if value:
            return os.path.expanduser(value) if key == "OPENCLAW_HOME" else value
    return os.path.expanduser("~")


def expand(path: str, environ: Mapping[str, str]) -> str:
    """Expand a leading C{~} against the OpenClaw home, not just C{$HOME}."""
    if path == "~" or path.startswith("~/"):
        return home_dir(environ) + path[1:]
    return path


def shorten(path: str, environ: Mapping[str, str]) -> str:
    """The inverse of L{expand} for display: C{/home/me/.openclaw} → C{~/.openclaw}."""
    home = home_dir(environ).rstrip("/")
    if home and (path == home or path.startswith(home + "/")):
        return "~" + path[len(home) :]
    return path


@dataclass(frozen=True)
class Paths:
    home: str
    stateDir: str
    configPath: str
    profile: str | None

    @classmethod
    def fromEnvironment(cls, environ: Mapping[str, str]) -> "Paths":
        home = home_dir(environ)
        state = _set(environ.get("OPENCLAW_STATE_DIR"))
        stateDir = expand(state, environ) if state else os.path.join(home, ".openclaw")
        config = _set(environ.get("OPENCLAW_CONFIG_PATH"))
        configPath = (
            expand(config, environ) if config else os.path.join(stateDir, "openclaw.json")
        )
        return cls(home, stateDir, configPath, profile_name(environ))


def profile_name(environ: Mapping[str, str]) -> str | None:
    """The active profile, or None for the default one."""
    profile = _set(environ.get("OPENCLAW_PROFILE"))
    if not profile or profile.lower() == "default":
        return None
    return profile.lower()


def select_profile(dev: bool, profile: str | None, environ: MutableMapping[str, str]) -> None:
    """
    Apply the global C{--dev} / C{--profile NAME} flags: point C{environ} at that
    profile (C{--dev} also sets the dev port unless C{OPENCLAW_GATEWAY_PORT} is set).

    @param profile: the flag's value, None when the flag was absent.
    @raise ProfileError: with OpenClaw's exact wording.
    """
    if profile is not None:
        if not profile:
            raise ProfileError("--profile requires a value")
        if not _PROFILE_RE.match(profile):
            raise ProfileError('Invalid --profile (use letters, numbers, "_", "-" only)')
        if dev:
            raise ProfileError("Cannot combine --dev with --profile")
        profile = profile.lower()
    if dev:
        profile = DEV_PROFILE
        environ.setdefault("OPENCLAW_GATEWAY_PORT", str(DEV_PORT))
    if profile is not None and profile != "default":
        use_profile(profile, environ)


def use_profile(profile: str, environ: MutableMapping[str, str]) -> None:
    """Point state dir and config path at C{~/.openclaw-<profile>}."""
    home = home_dir(environ)
    stateDir = os.path.join(home, f".openclaw-{profile}")
    environ["OPENCLAW_PROFILE"] = profile
    environ["OPENCLAW_STATE_DIR"] = stateDir
    environ["OPENCLAW_CONFIG_PATH"] = os.path.join(stateDir, "openclaw.json")


def env_port(environ: Mapping[str, str]) -> int | None:
    """
    C{OPENCLAW_GATEWAY_PORT} as C{N}, C{host:N} or C{[v6]:N}; None when unset or
    invalid (an invalid value is ignored, as OpenClaw does).
    """
    raw = _set(environ.get("OPENCLAW_GATEWAY_PORT"))
    if not raw:
        return None
    port = raw.rsplit(":", 1)[-1] if ":" in raw else raw
    if not port.isdigit():
        return None
    value = int(port)
    return value if 0 < value < 65536 else None


def configured_port(environ: Mapping[str, str], config: Mapping[str, Any] | None) -> tuple[int, str]:
    """C{OPENCLAW_GATEWAY_PORT} → C{gateway.port} → 18789, with the source's name."""
    envPort = env_port(environ)
    if envPort is not None:
        return envPort, "OPENCLAW_GATEWAY_PORT"
    gateway = (config or {}).get("gateway")
    configured = gateway.get("port") if isinstance(gateway, Mapping) else None
    if isinstance(configured, int):  # the config schema checked its range
        return configured, "gateway.port"
    return DEFAULT_PORT, "default"


def daemon_pidfile(stateDir: str) -> str:
    """Where C{twistd openclaw-gateway} (without C{-n}) keeps its pid."""
    return os.path.join(stateDir, "gateway.pid")


def daemon_logfile(stateDir: str) -> str:
    """Where C{twistd openclaw-gateway} (without C{-n}) writes its console log."""
    return os.path.join(stateDir, "logs", "gateway-daemon.log")


def boot_history_path(stateDir: str) -> str:
    """The gateway's boot records (see L{openclaw.boots})."""
    return os.path.join(stateDir, "gateway", "boots.json")


def log_file_name(profile: str | None, day: date) -> str:
    """C{openclaw-YYYY-MM-DD.log}, or C{openclaw-<profile>-YYYY-MM-DD.log}."""
    stamp = day.isoformat()
    if profile:
        safe = re.sub(r"[^a-z0-9-]", lambda m: f"_{ord(m.group()):x}", profile.lower())
        return f"openclaw-{safe}-{stamp}.log"
    return f"openclaw-{stamp}.log"


def default_log_dir(environ: Mapping[str, str]) -> str:
    """
    C{<stateDir>/logs}: where the rolling file log lives when C{logging.file} is unset.

    Not OpenClaw's C{/tmp/openclaw}, which every install of every user on a host
    shares, so one gateway's C{logs.tail} showed the others' lines. The state dir is
    what tells installs apart (a profile gets its own; two installs without profiles
    differ by C{OPENCLAW_STATE_DIR}), it belongs to its user, and the gateway and the
    CLI's file fallback derive it from the same environment. The file names are
    OpenClaw's (L{log_file_name}); L{openclaw.logs.file} keeps the directory private.
    """
    return os.path.join(Paths.fromEnvironment(environ).stateDir, "logs")
