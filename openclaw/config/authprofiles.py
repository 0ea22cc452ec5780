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

At run time (L{agent_keys}, called by the settings build) each agent's store is
read over the default agent's (an agent without a profile of its own inherits
it), and each provider takes the credential of its first usable profile in the
profile order (L{profile_order}).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterable, Iterator, Mapping

from openclaw.config.secrets import EXEC_NOT_RUN, SecretRef, SecretResolutionError, as_ref, resolve_ref

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


def profile_secret(
    profile: Mapping[str, Any], config: Mapping[str, Any], environ: Mapping[str, str], runExec: bool = True
) -> str | None:
    """
    The credential of one profile: its ref's value when it has a ref (a ref-only
    entry included), else its plaintext. Blocking (secret providers). With
    C{runExec} false an exec ref is not run and stands for L{EXEC_NOT_RUN}.

    @raise openclaw.config.secrets.SecretResolutionError: the ref does not resolve.
    """
    ref = profile_ref(profile)
    if ref is not None:
        if ref.source == "exec" and not runExec:
            return EXEC_NOT_RUN
        return resolve_ref(config, ref, environ)
    fields = CREDENTIAL_FIELDS.get(profile.get("type"))
    value = profile.get(fields[0]) if fields else None
    return value if isinstance(value, str) and value else None


# -- run time: the provider keys of each agent -----------------------------------


@dataclass(frozen=True)
class ProfileKeys:
    """
    Provider keys taken from the auth-profile stores: the default agent's (which an
    agent that is not configured also uses) and those of each other agent whose
    keys differ from them.
    """

    default: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    agents: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    def forAgent(self, agentId: str) -> Mapping[str, str]:
        return self.agents.get(agentId, self.default)


def merge_stores(base: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """
    An agent's store (C{own}) read over the default agent's (C{base}). The agent's
    own profiles come first and replace the default agent's of the same id; its
    C{order} of a provider replaces the default agent's, and where only the default
    agent orders a provider, the agent's own profiles of that provider go before
    that order.
    """
    mine = own["profiles"]
    merged: dict[str, Any] = {
        "version": own.get("version", 1),
        "profiles": {**mine, **{k: v for k, v in base["profiles"].items() if k not in mine}},
    }
    baseOrder, ownOrder = (_mapping(s.get("order")) for s in (base, own))
    order = {**baseOrder, **ownOrder}
    for provider, ids in baseOrder.items():
        if provider not in ownOrder and isinstance(ids, list):
            first = [p for p, profile in mine.items() if isinstance(profile, Mapping) and profile_provider(profile) == provider]
            order[provider] = list(dict.fromkeys([*first, *ids]))
    if order:
        merged["order"] = order
    stats = {**_mapping(base.get("usageStats")), **_mapping(own.get("usageStats"))}
    if stats:
        merged["usageStats"] = stats
    return merged


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


#: Without an explicit order, token profiles are tried before api_key ones.
_TYPE_RANK = {"token": 0, "api_key": 1}


def profile_order(store: Mapping[str, Any], config: Mapping[str, Any], provider: str) -> list[str]:
    """
    The ids of C{provider}'s profiles in the order they are tried: the store's
    C{order[provider]}, else the config's C{auth.order[provider]}, else the
    profiles C{auth.profiles} names for the provider, else every profile of the
    provider in the store (token before api_key, then least recently used first).
    Ids that are not in the store, or not an C{api_key}/C{token} profile of the
    provider, are left out (OAuth profiles are not used by this gateway).
    """
    profiles = store.get("profiles", {})

    def usable(profileId: Any) -> bool:
        profile = profiles.get(profileId) if isinstance(profileId, str) else None
        return isinstance(profile, Mapping) and profile_provider(profile) == provider and profile.get("type") in CREDENTIAL_FIELDS

    auth = _mapping(config.get("auth"))
    for orders in (store.get("order"), auth.get("order")):
        explicit = _for_provider(orders, provider)
        if explicit is not None:
            return list(dict.fromkeys(p for p in explicit if usable(p)))
    listed = _mapping(auth.get("profiles"))
    named = [p for p, meta in listed.items() if isinstance(meta, Mapping) and profile_provider(meta) == provider]
    if named:
        return [p for p in named if usable(p)]
    stats = _mapping(store.get("usageStats"))

    def lastUsed(profileId: str) -> float:
        used = _mapping(stats.get(profileId)).get("lastUsed")
        return used if isinstance(used, (int, float)) and not isinstance(used, bool) else 0

    found = [p for p in profiles if usable(p)]
    return sorted(found, key=lambda p: (_TYPE_RANK[profiles[p]["type"]], lastUsed(p)))


def profile_provider(profile: Mapping[str, Any]) -> str | None:
    """The provider id a profile is for, as model refs name it (lower case)."""
    provider = profile.get("provider")
    return provider.strip().lower() if isinstance(provider, str) else None


def _for_provider(orders: Any, provider: str) -> list[Any] | None:
    if not isinstance(orders, Mapping):
        return None
    for key, ids in orders.items():
        if isinstance(key, str) and key.strip().lower() == provider and isinstance(ids, list):
            return ids
    return None


def _expired(profile: Mapping[str, Any], nowMs: float) -> bool:
    """A token profile's C{expires} (ms) is optional; when set it must be a future time."""
    if profile.get("type") != "token" or "expires" not in profile:
        return False
    expires = profile["expires"]
    valid = isinstance(expires, (int, float)) and not isinstance(expires, bool) and math.isfinite(expires) and expires > 0
    return not valid or expires <= nowMs


def store_keys(
    store: Mapping[str, Any], config: Mapping[str, Any], environ: Mapping[str, str], nowMs: float, runExec: bool = True
) -> tuple[dict[str, str], list[str]]:
    """
    The key of each provider that has a usable profile in C{store}: the credential
    of its first profile in L{profile_order} that is not expired and resolves. A
    profile whose ref does not resolve is skipped, with a warning (naming the
    profile, never a value). Blocking (secret providers).
    """
    keys: dict[str, str] = {}
    warnings: list[str] = []
    profiles = store.get("profiles", {})
    named = (profile_provider(p) for p in profiles.values() if isinstance(p, Mapping))
    for provider in dict.fromkeys(p for p in named if p):
        for profileId in profile_order(store, config, provider):
            profile = profiles[profileId]
            if _expired(profile, nowMs):
                continue
            try:
                secret = profile_secret(profile, config, environ, runExec)
            except SecretResolutionError as e:
                refField = CREDENTIAL_FIELDS[profile["type"]][1]
                warnings.append(f'auth profile "{profileId}" is skipped: its {refField} could not be resolved ({e})')
                continue
            if secret:
                keys[provider] = secret
                break
    return keys, warnings


def agent_keys(
    stateDir: str,
    agentIds: Iterable[str],
    defaultAgentId: str,
    config: Mapping[str, Any],
    environ: Mapping[str, str],
    nowMs: float,
    runExec: bool = True,
) -> tuple[ProfileKeys, list[str]]:
    """
    The provider keys of the default agent and of each of C{agentIds}, from their
    stores (each read over the default agent's, L{merge_stores}); warnings for
    stores that cannot be read (they count as empty) and profiles that are
    skipped. Blocking: file reads and secret providers.
    """
    warnings: list[str] = []

    def load(agentId: str) -> dict[str, Any]:
        try:
            return read_store(store_path(stateDir, agentId))
        except AuthProfileError as e:
            warnings.append(f"auth profiles of agent {agentId} are not used: {e}")
            return {"version": 1, "profiles": {}}

    def keys_of(agentId: str, store: Mapping[str, Any]) -> dict[str, str]:
        found, skipped = store_keys(store, config, environ, nowMs, runExec)
        warnings.extend(f"agent {agentId}: {w}" for w in skipped)
        return found

    base = load(defaultAgentId)
    default = keys_of(defaultAgentId, base)
    agents = {}
    for agentId in dict.fromkeys(a for a in agentIds if a != defaultAgentId):
        found = keys_of(agentId, merge_stores(base, load(agentId)))
        if found != default:
            agents[agentId] = MappingProxyType(found)
    return ProfileKeys(MappingProxyType(default), MappingProxyType(agents)), warnings


__all__ = [
    "CREDENTIAL_FIELDS",
    "LEGACY_NAME",
    "STORE_NAME",
    "AuthProfileError",
    "ProfileKeys",
    "agent_dir",
    "agent_ids",
    "agent_keys",
    "credentials",
    "legacy_path",
    "merge_stores",
    "profile_order",
    "profile_provider",
    "profile_ref",
    "profile_secret",
    "read_json_object",
    "read_store",
    "store_keys",
    "store_path",
]
