"""The definition file C{install} writes for a profile, as bytes."""

from __future__ import annotations

from typing import Mapping

from openclaw.config.load import ConfigError, load_config
from openclaw.paths import configured_port
from openclaw.services.definition import ServiceDefinition, build
from openclaw.services.identity import SYSTEMD, ServiceIdentity
from openclaw.services.launchd import render_plist
from openclaw.services.systemd import render_unit


def render(identity: ServiceIdentity, definition: ServiceDefinition, user: str | None = None) -> bytes:
    if identity.kind == SYSTEMD:
        return render_unit(identity, definition, user).encode("utf-8")
    return render_plist(identity, definition)


def profile_port(identity: ServiceIdentity, environ: Mapping[str, str]) -> tuple[int, list[str]]:
    """
    The port the profile is configured for (C{OPENCLAW_GATEWAY_PORT} → C{gateway.port}
    → 18789), with warnings when the config is missing or invalid.
    """
    warnings = []
    path = identity.paths.configPath
    try:
        config = load_config(path, environ)
    except ConfigError as e:
        config = None
        warnings.append(f"Config {path} is invalid; the service will refuse to start (exit 78) until it is fixed:\n{e}")
    else:
        if config is None:
            warnings.append(
                f"No config at {path}; the service will refuse to start (exit 78) until you run "
                "openclaw setup (or set gateway.mode=local)."
            )
    return configured_port(environ, config)[0], warnings


def expected(identity: ServiceIdentity, environ: Mapping[str, str], port: int | None = None) -> tuple[ServiceDefinition, list[str]]:
    """The definition C{install} would write now, and the config warnings."""
    configured, warnings = profile_port(identity, environ)
    return build(identity, configured if port is None else port, environ), warnings
