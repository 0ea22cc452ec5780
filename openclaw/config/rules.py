"""
Config checks that JSON Schema cannot express well, worded as OpenClaw words them.

They read the raw config defensively: a value of the wrong type is the
schema's to report, so it is skipped here.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from openclaw.paths import is_placeholder


BOTH_SECRETS_WITHOUT_MODE = (
    "Invalid config: gateway.auth.token and gateway.auth.password are both configured, "
    "but gateway.auth.mode is unset. Set gateway.auth.mode to token or password."
)


def check_rules(raw: Any) -> list[str]:
    gateway = _section(raw, "gateway")
    return _auth_issues(_section(gateway, "auth")) + _bind_issues(gateway)


def _auth_issues(auth: dict[str, Any]) -> list[str]:
    issues = []
    for key in ("token", "password"):
        value = auth.get(key)
        if isinstance(value, str) and is_placeholder(value):
            issues.append(f'gateway.auth.{key}: must not be empty, "undefined" or "null"')
    if "mode" not in auth and _configured(auth.get("token")) and _configured(auth.get("password")):
        issues.append(f"gateway.auth.mode: {BOTH_SECRETS_WITHOUT_MODE}")
    return issues


def _bind_issues(gateway: dict[str, Any]) -> list[str]:
    if gateway.get("bind") != "custom":
        return []
    host = gateway.get("customBindHost")
    host = host.strip() if isinstance(host, str) else ""
    if not host:
        return ["gateway.customBindHost: gateway.bind=custom requires gateway.customBindHost"]
    if not _is_ipv4(host):
        return [
            "gateway.customBindHost: gateway.bind=custom requires a valid IPv4 "
            f"customBindHost (got {host})"
        ]
    return []


def _section(parent: Any, key: str) -> dict[str, Any]:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, dict) else {}


def _configured(value: Any) -> bool:
    """A plaintext secret that is not a placeholder, or a SecretRef object."""
    if isinstance(value, str):
        return not is_placeholder(value)
    return isinstance(value, dict)


def _is_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True
