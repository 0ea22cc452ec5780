"""
The environment a config is read against.

Sources, highest first, none overriding a variable an earlier one set: the
process environment, C{.env} in the working directory, C{<state dir>/.env},
then the config's own C{env} block (only for variables that are missing or empty).
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from dotenv import dotenv_values

from openclaw.config.substitute import has_reference

_NOT_INLINE = ("vars", "shellEnv")


def config_environ(environ: Mapping[str, str], state_dir: str, cwd: str) -> dict[str, str]:
    """C{environ} plus what the two dotenv files add; nothing is overridden."""
    result = dict(environ)
    for path in (os.path.join(cwd, ".env"), os.path.join(state_dir, ".env")):
        # Like OpenClaw's dotenv, values are taken literally: no ${VAR} expansion here.
        for key, value in dotenv_values(path, interpolate=False).items():
            if value is not None:
                result.setdefault(key, value)
    return result


def _declared_vars(config: Mapping[str, Any]) -> dict[str, str]:
    """
    The literal variables a config defines: C{env.vars} entries and the inline
    form C{env: {NAME: "value"}} that OpenClaw accepts as an equivalent.
    Values still holding a C{${VAR}} reference are skipped.
    """
    env = config.get("env")
    if not isinstance(env, dict):
        return {}
    listed = env.get("vars")
    pairs = list(listed.items()) if isinstance(listed, dict) else []
    pairs += [(k, v) for k, v in env.items() if k not in _NOT_INLINE]
    found: dict[str, str] = {}
    for key, value in pairs:
        if isinstance(value, str) and value and not has_reference(value):
            found.setdefault(key, value)
    return found


def apply_env_vars(config: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """A copy of C{environ} with the config's variables added where missing or empty."""
    result = dict(environ)
    for key, value in _declared_vars(config).items():
        if not result.get(key):
            result[key] = value
    return result
