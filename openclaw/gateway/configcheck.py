"""
The gateway's settings build as the C{validate} step of the one config write
(L{openclaw.config.write.write_config}): a config the gateway would refuse at
reload is refused before it is written, with the text the reload would log.

The gateway's own writes (C{config.set|patch|apply}) build with its flags,
environment and runtime token. C{openclaw config set} builds as a gateway started
from the same shell would (no flags; the shell's environment and dotenv files),
never writes a generated token, and checks exec secret providers without running
them: editing the config must not run programs or prompt for secrets.
"""

from __future__ import annotations

from typing import Callable, Mapping

from openclaw.config.load import ConfigError, ConfigSource
from openclaw.gateway.settings import GatewaySettings, StartupError, build
from openclaw.paths import Paths


def settings_check(
    buildSettings: Callable[[ConfigSource], GatewaySettings],
) -> Callable[[ConfigSource], GatewaySettings]:
    """C{buildSettings}, with its refusal (L{StartupError}) as a L{ConfigError}."""

    def check(source: ConfigSource) -> GatewaySettings:
        try:
            return buildSettings(source)
        except StartupError as e:
            raise ConfigError(source.path, [e.message]) from None

    return check


def offline_check(environ: Mapping[str, str], paths: Paths) -> Callable[[ConfigSource], GatewaySettings]:
    """The check C{openclaw config set|unset} runs (see above)."""
    return settings_check(lambda source: build({}, environ, paths, source, persist=False, runExec=False))


__all__ = ["offline_check", "settings_check"]
