"""Reading and writing definition files (units, plists), whatever the manager."""

from __future__ import annotations

import os
import tempfile

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


def write_atomically(path: str, data: bytes) -> None:
    """Replace C{path} with C{data} (mode 0644; the file holds no secrets)."""
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".openclaw-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
