"""
Auth-profile stores: per-agent model credentials beside the config, in
C{<state>/agents/<agentId>/agent/auth-profiles.json}:

    {"version": 1, "profiles": {"openai:default": {"type": "api_key", "provider": "openai",
                                                   "key": "<plaintext>" | "keyRef": <SecretRef>}}}

An C{api_key} profile holds C{key} or C{keyRef}, a C{token} profile C{token} or
C{tokenRef}; OAuth profiles take no SecretRefs. A ref-only entry (only the C{*Ref})
is a complete profile: its credential is the ref's value, and where both are
present the ref wins. The legacy C{auth.json} beside it maps a provider id to one
credential object. Blocking file reads: callers on the reactor use a thread.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterator, Mapping

from openclaw.config.secrets import SecretRef, as_ref, resolve_ref

STORE_NAME = "auth-profiles.json"
LEGACY_NAME = "auth.json"

#: profile type → (plaintext field, ref field)
CREDENTIAL_FIELDS: Mapping[str, tuple[str, str]] = {"api_key": ("key", "keyRef"), "token": ("token", "tokenRef")}


class AuthProfileError(ValueError):
    """A store that cannot be read or has the wrong shape; names the file, never a value."""


def agent_dir(stateDir: str, agentId: str) -> str:
    return os.path.join(stateDir, "agents", agentId, "agent")


def store_path(stateDir: str, agentId: str) -> str:
    return os.path.join(agent_dir(stateDir, agentId), STORE_NAME)


def legacy_path(stateDir: str, agentId: str) -> str:
    return os.path.join(agent_dir(stateDir, agentId), LEGACY_NAME)


def agent_ids(stateDir: str) -> list[str]:
    """The agents that have an agent dir under C{stateDir} (sorted)."""
    try:
        names = os.listdir(os.path.join(stateDir, "agents"))
    except OSError:
        return []
    return sorted(name for name in names if os.path.isdir(agent_dir(stateDir, name)))


def read_json_object(path: str) -> dict[str, Any] | None:
    """The JSON object in C{path}; None when the file does not exist."""
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise AuthProfileError(f"{path}: cannot read it as JSON ({type(e).__name__})") from None
    if not isinstance(document, dict):
        raise AuthProfileError(f"{path}: expected a JSON object")
    return document


def read_store(path: str) -> dict[str, Any]:
    """The store at C{path}, an empty one when it does not exist."""
    store = read_json_object(path)
    if store is None:
        return {"version": 1, "profiles": {}}
    if not isinstance(store.get("profiles", {}), dict):
        raise AuthProfileError(f"{path}: profiles must be an object")
    store.setdefault("profiles", {})
    return store


def credentials(store: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """
    Every credential field that is set: C{(profileId, field, value)} where the
    field is C{key}/C{token} (plaintext) or C{keyRef}/C{tokenRef}.
    """
    for profileId, profile in store.get("profiles", {}).items():
        if not isinstance(profile, Mapping):
            continue
        for name in CREDENTIAL_FIELDS.get(profile.get("type"), ()):
            if profile.get(name) not in (None, ""):
                yield profileId, name, profile[name]


def profile_ref(profile: Mapping[str, Any]) -> SecretRef | None:
    """The SecretRef of an C{api_key}/C{token} profile, or None."""
    fields = CREDENTIAL_FIELDS.get(profile.get("type"))
    return as_ref(profile.get(fields[1])) if fields else None


def profile_secret(profile: Mapping[str, Any], config: Mapping[str, Any], environ: Mapping[str, str]) -> str | None:
    """
    The credential of one profile: its ref's value when it has a ref (a ref-only
    entry included), else its plaintext. Blocking (secret providers).

    @raise openclaw.config.secrets.SecretResolutionError: the ref does not resolve.
    """
    ref = profile_ref(profile)
    if ref is not None:
        return resolve_ref(config, ref, environ)
    fields = CREDENTIAL_FIELDS.get(profile.get("type"))
    value = profile.get(fields[0]) if fields else None
    return value if isinstance(value, str) and value else None


__all__ = [
    "CREDENTIAL_FIELDS",
    "LEGACY_NAME",
    "STORE_NAME",
    "AuthProfileError",
    "agent_dir",
    "agent_ids",
    "credentials",
    "legacy_path",
    "profile_ref",
    "profile_secret",
    "read_json_object",
    "read_store",
    "store_path",
]
