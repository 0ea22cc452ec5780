"""
The two writes the gateway itself makes to its config file at start-up: the dev
bootstrap and the generated loopback token. Both replace the file atomically.
"""

from __future__ import annotations

import os
import shutil

from openclaw.atomicfile import write_atomically
from openclaw.config import codec
from openclaw.config.load import content_hash
from openclaw.config.write import config_text, keep_backup
from openclaw.paths import Paths


def current_hash(path: str) -> str:
    """The content hash of the config file as it is on disk now."""
    with open(path, encoding="utf-8") as f:
        return content_hash(f.read())


def _dev_workspace(paths: Paths) -> str:
    return os.path.join(paths.home, ".openclaw", "workspace-dev")


def reset_dev(paths: Paths) -> list[str]:
    """Delete the dev config, credentials, sessions and workspace (C{gateway --dev --reset})."""
    removed = []
    for path in (
        paths.configPath,
        os.path.join(paths.stateDir, "credentials"),
        os.path.join(paths.stateDir, "agents"),
        _dev_workspace(paths),
    ):
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.unlink(path)
        else:
            continue
        removed.append(path)
    return [f"Dev reset: removed {path}" for path in removed]


def write_dev_config(paths: Paths) -> list[str]:
    """Create the dev profile's config and workspace; returns what to tell the operator."""
    workspace = _dev_workspace(paths)
    write_atomically(
        paths.configPath,
        config_text(
            {
                "gateway": {"mode": "local", "bind": "loopback"},
                "agents": {"defaults": {"workspace": workspace, "skipBootstrap": True}},
            }
        ),
    )
    os.makedirs(workspace, mode=0o700, exist_ok=True)
    return [f"Dev config ready: {paths.configPath}", f"Dev workspace ready: {workspace}"]


def persist_token(path: str, token: str) -> str:
    """
    Save a generated token as C{gateway.auth.token} so local clients find it.
    A config whose gateway section comes from C{$include}, or that has a
    C{gateway.auth.token} already (say, a SecretRef), is left alone (the token then
    lives for this run only). Returns the notice to log; it never holds the token.
    """
    try:
        with open(path, encoding="utf-8") as f:
            raw = codec.loads(f.read())
    except FileNotFoundError:
        raw = {}
    nodes = [raw, raw.get("gateway", {}), raw.get("gateway", {}).get("auth", {})]
    if any(isinstance(n, dict) and "$include" in n for n in nodes):
        return (
            "Gateway auth token was missing. Generated a runtime token for this startup "
            f"without changing config ({path} includes its gateway section); "
            "restart will generate a different token."
        )
    if isinstance(nodes[2], dict) and "token" in nodes[2]:
        return (
            "Gateway auth token was missing. Generated a runtime token for this startup "
            f"without changing config ({path} sets gateway.auth.token already); "
            "restart will generate a different token."
        )
    keep_backup(path)
    raw.setdefault("gateway", {}).setdefault("auth", {})["token"] = token
    write_atomically(path, config_text(raw))
    return f"Gateway auth token was missing. Generated a token and saved it to gateway.auth.token in {path}."
