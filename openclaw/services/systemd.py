"""
The systemd unit: rendered from a L{ServiceDefinition}, and read back.

Values follow systemd's syntax: arguments with blanks or quotes are double-quoted
with backslash escapes, C{%} is written C{%%} (specifiers) and, in C{ExecStart},
C{$} is written C{$$} (variable expansion).
"""

from __future__ import annotations

import re
import shlex

from openclaw.services.definition import ServiceDefinition
from openclaw.services.identity import ServiceIdentity

#: Drain budget and final writes fit in here (operations.md §4).
TIMEOUT_STOP_SEC = 330
_PLAIN = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


def _quote(value: str) -> str:
    if _PLAIN.match(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _exec_word(value: str) -> str:
    return _quote(value).replace("%", "%%").replace("$", "$$")


def _env_word(key: str, value: str) -> str:
    return _quote(f"{key}={value}").replace("%", "%%")


def render_unit(identity: ServiceIdentity, definition: ServiceDefinition, user: str | None = None) -> str:
    """The unit text; C{user} is the account a system unit (C{--system}) runs as."""
    description = "OpenClaw Gateway" + (f" (profile {identity.profile})" if identity.profile else "")
    lines = [
        "[Unit]",
        f"Description={description}",
        "After=network-online.target",
        "Wants=network-online.target",
        "StartLimitBurst=10",
        "StartLimitIntervalSec=300",
        "",
        "[Service]",
        "ExecStart=" + " ".join(_exec_word(a) for a in definition.programArguments),
        "Restart=always",
        "RestartSec=5",
        "RestartPreventExitStatus=78",
        f"TimeoutStopSec={TIMEOUT_STOP_SEC}",
        "TimeoutStartSec=30",
        "SuccessExitStatus=0 143",
        "OOMPolicy=continue",
        "KillMode=mixed",
    ]
    if user is not None:
        lines.append(f"User={user}")
    if definition.workingDirectory:
        lines.append(f"WorkingDirectory={_quote(definition.workingDirectory).replace('%', '%%')}")
    lines += [f"Environment={_env_word(k, v)}" for k, v in definition.environment.items()]
    lines += [
        "",
        "[Install]",
        f"WantedBy={'multi-user.target' if identity.system else 'default.target'}",
        "",
    ]
    return "\n".join(lines)


def _entries(text: str) -> list[tuple[str, str, str]]:
    """(section, key, value) for every assignment, continuation lines joined."""
    out: list[tuple[str, str, str]] = []
    section = ""
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, eq, value = line.partition("=")
        if eq:
            out.append((section, key.strip(), value.strip()))
    return out


def _split(value: str) -> list[str]:
    try:
        return shlex.split(value)
    except ValueError:
        return value.split()


def parse_unit(text: str) -> ServiceDefinition:
    """ExecStart, Environment and WorkingDirectory of a unit (ours or anyone's)."""
    args: list[str] = []
    env: dict[str, str] = {}
    workdir = None
    for section, key, value in _entries(text):
        if section != "Service":
            continue
        if key == "ExecStart" and value:
            args = _split(value.replace("%%", "%").replace("$$", "$"))
            if args:
                args[0] = args[0].lstrip("-@+!:")
        elif key == "Environment":
            for word in _split(value.replace("%%", "%")):
                name, eq, val = word.partition("=")
                if eq:
                    env[name] = val
        elif key == "WorkingDirectory":
            workdir = (_split(value.replace("%%", "%")) or [None])[0]
    return ServiceDefinition(tuple(args), env, workdir)
