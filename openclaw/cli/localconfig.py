"""
The local config as the CLI sees it: usable even when the file is missing or
invalid, so that targets, credentials and diagnostics keep working.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from openclaw.config.environ import config_environ
from openclaw.config.load import ConfigError, load_config, lookup, read_config
from openclaw.logs.family import log_family
from openclaw.paths import Paths


@dataclass(frozen=True)
class LocalConfig:
    """The CLI's config, its paths and the (dotenv-layered) environment."""

    paths: Paths
    environ: Mapping[str, str]
    config: Mapping[str, Any]
    exists: bool
    issues: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.issues

    def get(self, dotted: str, default: Any = None) -> Any:
        return lookup(self.config, dotted, default)


def read_local_config(environ: Mapping[str, str]) -> LocalConfig:
    """
    The validated config; an invalid one still yields what it says (unvalidated)
    so that targets and credentials keep working, with C{issues} set.
    """
    paths = Paths.fromEnvironment(environ)
    layered = config_environ(environ, paths.stateDir, os.getcwd())
    exists = os.path.exists(paths.configPath)
    try:
        return LocalConfig(paths, layered, load_config(paths.configPath, layered) or {}, exists)
    except ConfigError as e:
        issues = tuple(e.issues)
    try:
        raw = read_config(paths.configPath, layered) or {}
    except ConfigError:
        raw = {}
    return LocalConfig(paths, layered, raw, exists, issues)


def log_file(local: LocalConfig) -> str:
    """Today's file of the local gateway's file log (C{logging.file} or the rolling default)."""
    family = log_family(local.paths.profile, local.get("logging.file"), environ=local.environ)
    return family.pathFor(date.today())
