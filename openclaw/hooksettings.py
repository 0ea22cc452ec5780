"""
C{hooks.*}: the webhook section of a settings snapshot (http-api.md §6), built
once per snapshot and read by the hooks surface on every request, so a change
applies hot.

    enabled                    off by default; on, it needs a C{token}
    token                      a plain string (a SecretRef is refused), compared in constant time
    path                       C{/hooks}; a leading slash added, trailing ones removed, C{/} refused
    allowedAgentIds            unset or containing C{*}: every agent; C{[]}: none
    defaultSessionKey          the session of hook runs that name none
    allowRequestSessionKey     whether a request may name its session (false)
    allowedSessionKeyPrefixes  what every hook session key must start with (unset: anything)
    mappings[]                 C{POST <path>/<name>} → an agent run or a wake, by C{match.path} /
                               C{match.source}, with C{{{payload.x}}} templates

Transforms (C{mappings[].transform}, C{transformsDir}) and presets are not run by
this gateway: a mapping with a transform is left out, with a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from openclaw.config.load import lookup

DEFAULT_PATH = "/hooks"
#: Any rendered template: C{{{ expression }}}.
TEMPLATE = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")


class HooksConfigError(ValueError):
    """A C{hooks} section the gateway refuses (start-up, reload and config writes alike)."""


def _path(raw: Any) -> str:
    text = raw.strip() if isinstance(raw, str) else ""
    text = text or DEFAULT_PATH
    text = text if text.startswith("/") else f"/{text}"
    text = text.rstrip("/") or "/"
    if text == "/":
        raise HooksConfigError("hooks.path may not be '/'")
    return text


def _text(raw: Any) -> str | None:
    return raw.strip() or None if isinstance(raw, str) else None


def match_path(raw: Any) -> str | None:
    """A mapping's C{match.path} or a request's sub-path without its slashes."""
    text = _text(raw)
    return text.strip("/") or None if text else None


def has_template(text: str | None) -> bool:
    return bool(text) and TEMPLATE.search(text) is not None


@dataclass(frozen=True)
class HookMapping:
    """One C{hooks.mappings[]} entry: what it matches and the action it builds."""

    id: str
    matchPath: str | None = None
    matchSource: str | None = None
    #: C{agent} (a run) or C{wake}.
    action: str = "agent"
    wakeMode: str = "now"
    name: str | None = None
    agentId: str | None = None
    sessionKey: str | None = None
    sessionMode: str = "isolated"
    messageTemplate: str = ""
    textTemplate: str = ""
    model: str | None = None
    timeoutSeconds: float | None = None

    @classmethod
    def fromConfig(cls, raw: Any, index: int) -> "HookMapping":
        where = f"hooks.mappings[{index}]"
        if not isinstance(raw, Mapping):
            raise HooksConfigError(f"{where} must be an object")
        match = raw.get("match") if isinstance(raw.get("match"), Mapping) else {}
        action = raw.get("action", "agent")
        if action not in ("agent", "wake"):
            raise HooksConfigError(f'{where}.action must be "agent" or "wake"')
        sessionMode = raw.get("sessionMode", "isolated")
        if sessionMode not in ("isolated", "persistent"):
            raise HooksConfigError(f"{where}.sessionMode must be isolated or persistent")
        timeout = raw.get("timeoutSeconds")
        return cls(
            id=_text(raw.get("id")) or f"mapping-{index + 1}",
            matchPath=match_path(match.get("path")),
            matchSource=_text(match.get("source")),
            action=action,
            wakeMode="next-heartbeat" if raw.get("wakeMode") == "next-heartbeat" else "now",
            name=_text(raw.get("name")),
            agentId=_text(raw.get("agentId")),
            sessionKey=_text(raw.get("sessionKey")),
            sessionMode=sessionMode,
            messageTemplate=raw.get("messageTemplate") or "",
            textTemplate=raw.get("textTemplate") or "",
            model=_text(raw.get("model")),
            timeoutSeconds=timeout if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0 else None,
        )


@dataclass(frozen=True)
class HooksSettings:
    enabled: bool = False
    token: str | None = field(default=None, repr=False)
    path: str = DEFAULT_PATH
    #: None: every configured agent may be targeted.
    allowedAgentIds: frozenset[str] | None = None
    defaultSessionKey: str | None = None
    allowRequestSessionKey: bool = False
    #: Lower-cased; None: any session key.
    allowedSessionKeyPrefixes: tuple[str, ...] | None = None
    mappings: tuple[HookMapping, ...] = ()

    def keyAllowed(self, key: str) -> bool:
        """Whether C{key} starts with one of the allowed prefixes (always, without a prefix list)."""
        prefixes = self.allowedSessionKeyPrefixes
        return prefixes is None or key.lower().startswith(prefixes)

    def agentAllowed(self, agentId: str) -> bool:
        return self.allowedAgentIds is None or agentId in self.allowedAgentIds

    @classmethod
    def fromConfig(cls, config: Mapping[str, Any], warnings: list[str]) -> "HooksSettings":
        """The section; C{warnings} gets a line for each part that is configured but not acted on."""
        hooks = config.get("hooks")
        if hooks is None:
            return cls()
        if not isinstance(hooks, Mapping):
            raise HooksConfigError("hooks must be an object")
        raw = hooks.get("token")
        if raw is not None and not isinstance(raw, str):
            raise HooksConfigError("hooks.token must be a plain string (SecretRefs are not accepted here)")
        token = _text(raw)
        enabled = hooks.get("enabled") is True
        if enabled and token is None:
            raise HooksConfigError("hooks.enabled requires hooks.token")
        prefixes = hooks.get("allowedSessionKeyPrefixes")
        allowed = tuple(dict.fromkeys(p.strip().lower() for p in prefixes if isinstance(p, str) and p.strip())) \
            if isinstance(prefixes, list) else ()
        settings = cls(
            enabled=enabled,
            token=token,
            path=_path(hooks.get("path")),
            allowedAgentIds=_agent_ids(hooks.get("allowedAgentIds")),
            defaultSessionKey=_text(hooks.get("defaultSessionKey")),
            allowRequestSessionKey=hooks.get("allowRequestSessionKey") is True,
            allowedSessionKeyPrefixes=allowed or None,
            mappings=_mappings(hooks, warnings),
        )
        settings._check(warnings, config)
        return settings

    def _check(self, warnings: list[str], config: Mapping[str, Any]) -> None:
        if self.defaultSessionKey and not self.keyAllowed(self.defaultSessionKey):
            raise HooksConfigError("hooks.defaultSessionKey must match hooks.allowedSessionKeyPrefixes")
        if not self.defaultSessionKey and not self.keyAllowed("hook:"):
            raise HooksConfigError("hooks.allowedSessionKeyPrefixes must include 'hook:' when hooks.defaultSessionKey is unset")
        if self.allowedSessionKeyPrefixes is None and any(has_template(m.sessionKey) for m in self.mappings):
            raise HooksConfigError("hooks.allowedSessionKeyPrefixes is required when a hook mapping sessionKey uses templates")
        if self.enabled and self.token == lookup(config, "gateway.auth.token"):
            warnings.append("hooks.token is the gateway token: a leaked hook token would also open the gateway's API; use a separate one.")


def _agent_ids(raw: Any) -> frozenset[str] | None:
    if raw is None or raw == "*":
        return None
    if not isinstance(raw, list) or not all(isinstance(a, str) for a in raw):
        raise HooksConfigError('hooks.allowedAgentIds must be "*" or a list of agent ids')
    ids = {a.strip().lower() for a in raw if a.strip()}
    return None if "*" in ids else frozenset(ids)


def _mappings(hooks: Mapping[str, Any], warnings: list[str]) -> tuple[HookMapping, ...]:
    raw = hooks.get("mappings") or []
    if not isinstance(raw, list):
        raise HooksConfigError("hooks.mappings must be a list")
    mappings = []
    for index, entry in enumerate(raw):
        if isinstance(entry, Mapping) and entry.get("transform") is not None:
            warnings.append(f"hooks.mappings[{index}] has a transform, which this gateway does not run; the mapping is ignored.")
            continue
        mappings.append(HookMapping.fromConfig(entry, index))
    for name in ("presets", "transformsDir", "gmail"):
        if hooks.get(name):
            warnings.append(f"hooks.{name} is configured but not served by this gateway version yet; ignoring it.")
    return tuple(mappings)


__all__ = ["DEFAULT_PATH", "HookMapping", "HooksConfigError", "HooksSettings", "has_template", "match_path"]
