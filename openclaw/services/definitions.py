"""Reading and writing definition files (units, plists), whatever the manager."""

from __future__ import annotations

from openclaw.atomicfile import write_atomically
from openclaw.services.definition import ServiceDefinition
from openclaw.services.identity import SYSTEMD
from openclaw.services.launchd import parse_plist
from openclaw.services.systemd import parse_unit


def read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def parse(kind: str, data: bytes) -> ServiceDefinition:
    """@raise ValueError: unreadable definition."""
    if kind == SYSTEMD:
        return parse_unit(data.decode("utf-8", "replace"))
    return parse_plist(data)


def write_definition(path: str, data: bytes) -> None:
    """Replace C{path} with C{data}, mode 0644 (a definition holds no secrets)."""
    write_atomically(path, data, mode=0o644)
