"""
The secrets plan: what C{openclaw secrets apply} is asked to do, checked in full
before anything is written.

    {"version": 1, "protocolVersion": 1,
     "providerUpserts": {"<alias>": <provider>}, "providerDeletes": ["<alias>"],
     "targets": [{"type": "models.providers.apiKey", "path": "models.providers.openai.apiKey",
                  "pathSegments": [...], "providerId": "openai", "accountId": ..., "agentId": ...,
                  "authProfileProvider": ..., "ref": {"source", "provider", "id"}}],
     "scrubEnv": true, "scrubAuthProfilesForProviderTargets": true, "scrubLegacyAuthJson": false}

A target's C{type} names a registered L{TargetType} (or its path pattern, an
accepted alias); its path must have the type's shape, the ids a target states must
be the ids inside its path, and its ref must be well formed. A plan holds refs
only, never a secret value. L{parse_plan} is pure; L{read_plan} reads the file.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any, Mapping

from openclaw.config.authprofiles import CREDENTIAL_FIELDS
from openclaw.config.secrets import SOURCES, SecretRef, ref_problem

PLAN_VERSION = 1
PLAN_PROTOCOL_VERSION = 1
MAX_PLAN_BYTES = 16 * 1024 * 1024

FORBIDDEN_SEGMENTS = ("__proto__", "prototype", "constructor")

_ALIAS = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_AGENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_TOP_LEVEL = {
    "version", "protocolVersion", "providerUpserts", "providerDeletes", "targets",
    "scrubEnv", "scrubAuthProfilesForProviderTargets", "scrubLegacyAuthJson",
}
_TARGET_FIELDS = {"type", "path", "pathSegments", "providerId", "accountId", "agentId", "authProfileProvider", "ref"}
_ID_FIELDS = ("providerId", "accountId")

#: Where a target's value lives: the config file or an agent's auth-profile store.
CONFIG = "config"
AUTH_PROFILES = "auth-profiles"


class PlanError(ValueError):
    """The plan (or its file) is refused; the message is what the operator sees."""


@dataclass(frozen=True)
class TargetType:
    """
    A kind of credential a plan may move to a SecretRef: its path C{pattern} (C{*}
    is one id segment), which C{*} holds which id, and where the value lives.
    """

    name: str
    pattern: tuple[str, ...]
    ids: Mapping[str, int] = field(default_factory=dict)
    store: str = CONFIG
    #: For auth-profile targets: the profile type whose plaintext field the path names.
    profileType: str | None = None

    @property
    def alias(self) -> str:
        return ".".join(self.pattern)

    def matches(self, segments: list[str]) -> bool:
        return len(segments) == len(self.pattern) and all(p == "*" or p == s for p, s in zip(self.pattern, segments))


def _t(name: str, pattern: str, **ids: int) -> TargetType:
    return TargetType(name, tuple(pattern.split(".")), ids)


def _profile(profileType: str) -> TargetType:
    plain = CREDENTIAL_FIELDS[profileType][0]
    return TargetType(f"auth-profiles.{profileType}.{plain}", ("profiles", "*", plain), store=AUTH_PROFILES, profileType=profileType)


#: Every target type a plan may use (all config types lie on the credential surface).
TARGET_TYPES: tuple[TargetType, ...] = (
    _t("gateway.auth.token", "gateway.auth.token"),
    _t("gateway.auth.password", "gateway.auth.password"),
    _t("gateway.remote.token", "gateway.remote.token"),
    _t("gateway.remote.password", "gateway.remote.password"),
    _t("models.providers.apiKey", "models.providers.*.apiKey", providerId=2),
    _t("models.providers.headers", "models.providers.*.headers.*", providerId=2),
    _t("skills.entries.apiKey", "skills.entries.*.apiKey"),
    _t("memory.search.remote.apiKey", "memory.search.remote.apiKey"),
    _t("cron.webhookToken", "cron.webhookToken"),
    _t("channels.telegram.botToken", "channels.telegram.botToken"),
    _t("channels.telegram.accounts.botToken", "channels.telegram.accounts.*.botToken", accountId=3),
    _t("channels.irc.password", "channels.irc.password"),
    _t("channels.irc.accounts.password", "channels.irc.accounts.*.password", accountId=3),
    _t("channels.googlechat.serviceAccount", "channels.googlechat.serviceAccount"),
    _t("channels.googlechat.accounts.serviceAccount", "channels.googlechat.accounts.*.serviceAccount", accountId=3),
    _profile("api_key"),
    _profile("token"),
)

_BY_NAME = {t.name: t for t in TARGET_TYPES} | {t.alias: t for t in TARGET_TYPES if "*" in t.pattern}


@dataclass(frozen=True)
class PlanTarget:
    type: TargetType
    path: str
    segments: tuple[str, ...]
    ref: SecretRef
    providerId: str | None = None
    accountId: str | None = None
    agentId: str | None = None
    authProfileProvider: str | None = None

    @property
    def label(self) -> str:
        """How messages name it: the path, with the agent for auth-profile targets."""
        return f"{self.path} (agent {self.agentId})" if self.agentId else self.path


@dataclass(frozen=True)
class SecretsPlan:
    targets: tuple[PlanTarget, ...]
    providerUpserts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    providerDeletes: tuple[str, ...] = ()
    scrubEnv: bool = True
    scrubAuthProfilesForProviderTargets: bool = True
    scrubLegacyAuthJson: bool = False

    @property
    def usesExec(self) -> bool:
        """Whether applying it would run (or configure) an exec provider: it needs consent."""
        return any(t.ref.source == "exec" for t in self.targets) or any(
            p.get("source") == "exec" for p in self.providerUpserts.values()
        )

    def document(self) -> dict[str, Any]:
        """The plan as JSON (what C{configure --plan-out} writes)."""
        targets = []
        for t in self.targets:
            entry: dict[str, Any] = {"type": t.type.name, "path": t.path, "pathSegments": list(t.segments)}
            for name in ("providerId", "accountId", "agentId", "authProfileProvider"):
                if getattr(t, name) is not None:
                    entry[name] = getattr(t, name)
            entry["ref"] = {"source": t.ref.source, "provider": t.ref.provider, "id": t.ref.id}
            targets.append(entry)
        document: dict[str, Any] = {"version": PLAN_VERSION, "protocolVersion": PLAN_PROTOCOL_VERSION}
        if self.providerUpserts:
            document["providerUpserts"] = {k: dict(v) for k, v in self.providerUpserts.items()}
        if self.providerDeletes:
            document["providerDeletes"] = list(self.providerDeletes)
        document["targets"] = targets
        document["scrubEnv"] = self.scrubEnv
        document["scrubAuthProfilesForProviderTargets"] = self.scrubAuthProfilesForProviderTargets
        document["scrubLegacyAuthJson"] = self.scrubLegacyAuthJson
        return document


# -- the file ------------------------------------------------------------------


def read_plan(path: str) -> SecretsPlan:
    """The plan in C{path}: a regular file of at most 16 MiB holding plan JSON."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise PlanError(f"Plan file not found: {path}") from None
    except OSError as e:
        raise PlanError(f"Cannot read plan file {path}: {e.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise PlanError(f"Plan file must be a regular file: {path}")
    if info.st_size > MAX_PLAN_BYTES:
        raise PlanError(f"Plan file is larger than 16 MiB: {path}")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_PLAN_BYTES + 1)
    except OSError as e:
        raise PlanError(f"Cannot read plan file {path}: {e.strerror}") from None
    if len(data) > MAX_PLAN_BYTES:  # (grew after the stat)
        raise PlanError(f"Plan file is larger than 16 MiB: {path}")
    try:
        document = json.loads(data)
    except ValueError as e:
        raise PlanError(f"Plan file is not valid JSON: {path} ({type(e).__name__} at byte {getattr(e, 'pos', '?')})") from None
    return parse_plan(document)


# -- the document --------------------------------------------------------------


def parse_plan(document: Any) -> SecretsPlan:
    """
    The plan C{document} describes, every rule checked.

    @raise PlanError: the first rule it breaks.
    """
    if not isinstance(document, dict):
        raise PlanError("Invalid secrets plan: expected a JSON object")
    unknown = sorted(set(document) - _TOP_LEVEL)
    if unknown:
        raise PlanError(f'Invalid secrets plan: unknown field "{unknown[0]}"')
    for name, expected in (("version", PLAN_VERSION), ("protocolVersion", PLAN_PROTOCOL_VERSION)):
        if document.get(name) != expected or isinstance(document.get(name), bool):
            raise PlanError(f"Invalid secrets plan: {name} must be {expected}")
    upserts = _upserts(document.get("providerUpserts", {}))
    deletes = _deletes(document.get("providerDeletes", []))
    both = sorted(set(upserts) & set(deletes))
    if both:
        raise PlanError(f'Invalid secrets plan: provider "{both[0]}" is both upserted and deleted')
    raw = document.get("targets")
    if not isinstance(raw, list):
        raise PlanError("Invalid secrets plan: targets must be an array")
    targets = tuple(_target(entry, index) for index, entry in enumerate(raw))
    seen: set[tuple[str | None, str]] = set()
    for t in targets:
        key = (t.agentId, t.path)
        if key in seen:
            raise PlanError(f"Invalid secrets plan: duplicate target {t.label}")
        seen.add(key)
    flags = {}
    for name, default in (("scrubEnv", True), ("scrubAuthProfilesForProviderTargets", True), ("scrubLegacyAuthJson", False)):
        value = document.get(name, default)
        if not isinstance(value, bool):
            raise PlanError(f"Invalid secrets plan: {name} must be true or false")
        flags[name] = value
    return SecretsPlan(targets, upserts, deletes, **flags)


def _upserts(raw: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(raw, dict):
        raise PlanError("Invalid secrets plan: providerUpserts must be an object")
    upserts = {}
    for alias, provider in raw.items():
        if not _ALIAS.match(alias):
            raise PlanError(f'Invalid providerUpserts entry "{alias}": the alias must match [a-z][a-z0-9_-]{{0,63}}')
        if not isinstance(provider, dict) or provider.get("source") not in SOURCES:
            raise PlanError(f'Invalid providerUpserts entry "{alias}": source must be one of {", ".join(SOURCES)}')
        if provider["source"] == "file" and not (isinstance(provider.get("path"), str) and provider["path"]):
            raise PlanError(f'Invalid providerUpserts entry "{alias}": a file provider needs a path')
        if provider["source"] == "exec" and not (isinstance(provider.get("command"), str) and os.path.isabs(provider["command"])):
            raise PlanError(f'Invalid providerUpserts entry "{alias}": an exec provider needs an absolute command path')
        upserts[alias] = provider
    return upserts


def _deletes(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(a, str) and _ALIAS.match(a) for a in raw):
        raise PlanError("Invalid secrets plan: providerDeletes must be an array of provider aliases")
    return tuple(raw)


def _target(entry: Any, index: int) -> PlanTarget:
    where = f"targets[{index}]"
    if not isinstance(entry, dict):
        raise PlanError(f"Invalid plan target {where}: expected an object")
    unknown = sorted(set(entry) - _TARGET_FIELDS)
    if unknown:
        raise PlanError(f'Invalid plan target {where}: unknown field "{unknown[0]}"')
    typeName = entry.get("type")
    kind = _BY_NAME.get(typeName) if isinstance(typeName, str) else None
    if kind is None:
        raise PlanError(f"Unknown plan target type at {where}: {typeName}")
    path = entry.get("path")
    if not isinstance(path, str) or not path.strip():
        raise PlanError(f"Invalid plan target path for {kind.name}: path must be a non-empty dot path")
    segments = path.split(".")
    if any(not s or s != s.strip() for s in segments):
        raise PlanError(f"Invalid plan target path for {kind.name}: {path}")
    if "pathSegments" in entry:
        given = entry["pathSegments"]
        if not isinstance(given, list) or not all(isinstance(s, str) for s in given) or ".".join(given) != path or given != segments:
            raise PlanError(f"Invalid plan target pathSegments for {kind.name}: they do not match {path}")
    forbidden = next((s for s in segments if s in FORBIDDEN_SEGMENTS), None)
    if forbidden is not None:
        raise PlanError(f'Invalid plan target path for {kind.name}: forbidden segment "{forbidden}" in {path}')
    if not kind.matches(segments):
        raise PlanError(f"Invalid plan target path for {kind.name}: {path}")
    stated = {}
    for name in _ID_FIELDS:
        value = entry.get(name)
        if value is None:
            continue
        if name not in kind.ids:
            raise PlanError(f"Invalid plan target {name} for {kind.name}: this type has no {name}")
        inPath = segments[kind.ids[name]]
        if value != inPath:
            raise PlanError(f'Invalid plan target {name} for {kind.name}: "{value}" does not match "{inPath}" in {path}')
        stated[name] = value
    agentId, profileProvider = entry.get("agentId"), entry.get("authProfileProvider")
    if kind.store == AUTH_PROFILES:
        if not isinstance(agentId, str) or not valid_agent_id(agentId):
            raise PlanError(f"Invalid plan target for {kind.name}: {path} needs an agentId ([a-z0-9][a-z0-9_-]{{0,63}})")
        if profileProvider is not None and not (isinstance(profileProvider, str) and profileProvider):
            raise PlanError(f"Invalid plan target authProfileProvider for {kind.name}: must be a provider id")
    elif agentId is not None or profileProvider is not None:
        raise PlanError(f"Invalid plan target for {kind.name}: agentId and authProfileProvider are for auth-profile targets")
    ref = entry.get("ref")
    if not isinstance(ref, dict) or set(ref) != {"source", "provider", "id"}:
        raise PlanError(f"Invalid plan target ref for {path}: expected {{source, provider, id}}")
    problem = ref_problem(ref["source"], ref["provider"], ref["id"])
    if problem is not None:
        raise PlanError(f"Invalid plan target ref for {path}: {problem}")
    providerId = stated.get("providerId", segments[kind.ids["providerId"]] if "providerId" in kind.ids else None)
    accountId = stated.get("accountId", segments[kind.ids["accountId"]] if "accountId" in kind.ids else None)
    return PlanTarget(
        kind, path, tuple(segments), SecretRef(ref["source"], ref["provider"], ref["id"]),
        providerId, accountId, agentId, profileProvider,
    )


def valid_agent_id(text: str) -> bool:
    """Whether C{text} is an agent id an auth-profile target may name (it becomes a directory name)."""
    return bool(_AGENT_ID.match(text))


def target_type(name: str) -> TargetType | None:
    """The registered type called C{name} (or its alias)."""
    return _BY_NAME.get(name)


def type_for_path(segments: list[str], store: str = CONFIG) -> TargetType | None:
    """The registered type whose pattern C{segments} has (for the planner)."""
    return next((t for t in TARGET_TYPES if t.store == store and t.matches(segments)), None)


__all__ = [
    "AUTH_PROFILES",
    "CONFIG",
    "FORBIDDEN_SEGMENTS",
    "MAX_PLAN_BYTES",
    "TARGET_TYPES",
    "PlanError",
    "PlanTarget",
    "SecretsPlan",
    "TargetType",
    "parse_plan",
    "read_plan",
    "target_type",
    "type_for_path",
    "valid_agent_id",
]
