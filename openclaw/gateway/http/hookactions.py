"""
What a webhook asks for, as pure decisions over its JSON payload and the
C{hooks} settings (http-api.md §6): the action (a wake or an agent run), the
agent it targets and the session it runs in. Every refusal is a L{HookRefused}
whose message the client reads in C{{"ok": false, "error": …}} (400).

    POST <path>/wake    {text, mode?, agentId?, sessionKey?}          → L{wake_from_request}
    POST <path>/agent   {message, name?, agentId?, sessionKey?, …}    → L{agent_from_request}
    POST <path>/<name>  the first matching C{hooks.mappings[]} entry  → L{mapped_action}

A session key comes from the request (only with C{allowRequestSessionKey}), a
mapping (a templated key counts as the request's), C{defaultSessionKey}, or is a
fresh C{hook:<uuid>}; every key must start with an allowed prefix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from openclaw.agents.settings import AgentConfigError, normalise_agent_id
from openclaw.hooksettings import TEMPLATE, HookMapping, HooksSettings, has_template, match_path

#: Where a session key came from: the request, a mapping's fixed key, or a mapping's template.
REQUEST, MAPPING_STATIC, MAPPING_TEMPLATED = "request", "mapping-static", "mapping-templated"
MAX_IDEMPOTENCY_KEY = 256
DEFAULT_NAME = "Hook"
#: Never followed in a template path (they name no data of the payload).
_BLOCKED = frozenset({"__proto__", "prototype", "constructor"})


class HookRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class WakeAction:
    text: str
    mode: str = "now"
    agentId: str | None = None
    sessionKey: str | None = None
    keySource: str = REQUEST


@dataclass(frozen=True)
class AgentAction:
    message: str
    name: str = DEFAULT_NAME
    agentId: str | None = None
    sessionKey: str | None = None
    keySource: str = REQUEST
    sessionMode: str = "isolated"
    wakeMode: str = "now"
    model: str | None = None
    timeoutSeconds: int | None = None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _agent_id(payload: Mapping[str, Any]) -> str | None:
    raw = payload.get("agentId")
    if raw is None:
        return None
    agentId = _text(raw)
    if agentId is None:
        raise HookRefused("agentId must be a non-empty string")
    return agentId


def _session_key(payload: Mapping[str, Any]) -> str | None:
    raw = payload.get("sessionKey")
    key = _text(raw)
    if raw is not None and key is None:
        raise HookRefused("sessionKey must be a non-empty string")
    return key


def idempotency_key(*candidates: Any) -> str | None:
    """The first usable replay key (a non-empty string of at most 256 characters)."""
    for raw in candidates:
        key = _text(raw)
        if key is not None and len(key) <= MAX_IDEMPOTENCY_KEY:
            return key
    return None


def wake_from_request(payload: Mapping[str, Any]) -> WakeAction:
    text = _text(payload.get("text"))
    if text is None:
        raise HookRefused("text required")
    mode = "next-heartbeat" if payload.get("mode") == "next-heartbeat" else "now"
    agentId, sessionKey = _agent_id(payload), _session_key(payload)
    if mode == "next-heartbeat" and sessionKey:
        raise HookRefused("sessionKey requires mode=now")
    return WakeAction(text, mode, agentId, sessionKey)


def agent_from_request(payload: Mapping[str, Any]) -> AgentAction:
    if "waitForCompletion" in payload and not isinstance(payload["waitForCompletion"], bool):
        raise HookRefused("waitForCompletion must be boolean")
    message = _text(payload.get("message"))
    if message is None:
        raise HookRefused("message required")
    agentId = _agent_id(payload)
    mode = payload.get("sessionMode", "isolated")
    if mode not in ("isolated", "persistent"):
        raise HookRefused("sessionMode must be isolated or persistent")
    model = _text(payload.get("model"))
    if payload.get("model") is not None and model is None:
        raise HookRefused("model required")
    timeout = payload.get("timeoutSeconds")
    sessionKey = _session_key(payload)
    if mode == "persistent" and sessionKey is None:
        raise HookRefused("sessionKey is required when sessionMode is persistent")
    return AgentAction(
        message=message, name=_text(payload.get("name")) or DEFAULT_NAME, agentId=agentId, sessionKey=sessionKey,
        sessionMode=mode, wakeMode="next-heartbeat" if payload.get("wakeMode") == "next-heartbeat" else "now",
        model=model,
        timeoutSeconds=int(timeout) if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0 else None,
    )


# mappings -------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateContext:
    """What a mapping's templates may read: C{{{payload.x}}} (or bare C{{{x}}}), C{headers.}, C{query.}, C{path}, C{now}."""

    path: str
    payload: Mapping[str, Any]
    headers: Mapping[str, str]
    query: Mapping[str, str]
    now: Callable[[], float]


def _lookup(data: Any, expression: str) -> Any:
    """C{a.b[0].c} inside C{data}; None where the path leads nowhere."""
    current = data
    for part in expression.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("[") and part.endswith("]") and part[1:-1].isdigit():
            index = int(part[1:-1])
            if not isinstance(current, list) or index >= len(current):
                return None
            current = current[index]
        elif part in _BLOCKED or not isinstance(current, Mapping):
            return None
        else:
            current = current.get(part)
    return current


def _value(expression: str, ctx: TemplateContext) -> Any:
    if expression == "path":
        return ctx.path
    if expression == "now":
        return datetime.fromtimestamp(ctx.now(), timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    for prefix, data in (("headers.", ctx.headers), ("query.", ctx.query), ("payload.", ctx.payload)):
        if expression.startswith(prefix):
            return _lookup(data, expression[len(prefix):])
    return _lookup(ctx.payload, expression)


def render(template: str, ctx: TemplateContext) -> str:
    """C{template} with every C{{{expression}}} replaced (missing: empty; objects as JSON)."""

    def one(match) -> str:
        value = _value(match.group(1), ctx)
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return json.dumps(value)
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    return TEMPLATE.sub(one, template)


def _optional(template: str | None, ctx: TemplateContext) -> str | None:
    return (render(template, ctx).strip() or None) if template else None


def _matches(mapping: HookMapping, ctx: TemplateContext) -> bool:
    if mapping.matchPath is not None and mapping.matchPath != match_path(ctx.path):
        return False
    return mapping.matchSource is None or _text(ctx.payload.get("source")) == mapping.matchSource


def mapped_action(mappings: tuple[HookMapping, ...], ctx: TemplateContext) -> WakeAction | AgentAction | None:
    """The action of the first mapping that matches, or None when none does."""
    mapping = next((m for m in mappings if _matches(m, ctx)), None)
    if mapping is None:
        return None
    keySource = MAPPING_TEMPLATED if has_template(mapping.sessionKey) else MAPPING_STATIC
    sessionKey = _optional(mapping.sessionKey, ctx)
    if keySource == MAPPING_TEMPLATED and sessionKey is None:
        raise HookRefused("hook mapping sessionKey template rendered empty")
    if mapping.action == "wake":
        text = render(mapping.textTemplate, ctx).strip()
        if not text:
            raise HookRefused("hook mapping requires text")
        if mapping.wakeMode == "next-heartbeat" and sessionKey:
            raise HookRefused("hook mapping sessionKey requires wakeMode=now")
        return WakeAction(text, mapping.wakeMode, mapping.agentId, sessionKey, keySource)
    message = render(mapping.messageTemplate, ctx).strip()
    if not message:
        raise HookRefused("hook mapping requires message")
    return AgentAction(
        message=message, name=_optional(mapping.name, ctx) or DEFAULT_NAME, agentId=mapping.agentId,
        sessionKey=sessionKey, keySource=keySource, sessionMode=mapping.sessionMode, wakeMode=mapping.wakeMode,
        model=_optional(mapping.model, ctx),
        timeoutSeconds=int(mapping.timeoutSeconds) if mapping.timeoutSeconds else None,
    )


# targets ----------------------------------------------------------------------


def target_agent(hooks: HooksSettings, agents: Any, requested: str | None, fromRequest: bool) -> str:
    """
    The agent a hook runs for: the requested one (a request naming an unknown agent
    is refused; a mapping's unknown agent falls back to the default), which
    C{allowedAgentIds} must admit.
    """
    agentId = agents.defaultAgentId
    if requested is not None:
        try:
            chosen = normalise_agent_id(requested)
        except AgentConfigError:
            chosen = None
        if chosen is not None and agents.agent(chosen) is not None:
            agentId = chosen
        elif fromRequest:
            raise HookRefused(f'unknown agentId "{chosen or requested}"')
    if not hooks.agentAllowed(agentId):
        raise HookRefused("agentId is not allowed by hooks.allowedAgentIds")
    return agentId


def _prefix_error(hooks: HooksSettings) -> HookRefused:
    return HookRefused(f"sessionKey must start with one of: {', '.join(hooks.allowedSessionKeyPrefixes or ())}")


def session_key(hooks: HooksSettings, requested: str | None, source: str, newId: Callable[[], str]) -> str:
    """The session key a hook names, by the rules above (before it is scoped to its agent)."""
    if requested is not None:
        if source != MAPPING_STATIC and not hooks.allowRequestSessionKey:
            raise HookRefused(
                "sessionKey is disabled for externally supplied hook payload values; "
                "set hooks.allowRequestSessionKey=true to enable"
            )
        key = requested
    else:
        key = hooks.defaultSessionKey or f"hook:{newId()}"
    if not hooks.keyAllowed(key):
        raise _prefix_error(hooks)
    return key


def dispatch_key(hooks: HooksSettings, key: str, agentId: str) -> str:
    """C{agent:<other>:rest} rescoped to the target agent (a hook cannot reach another agent's session)."""
    if key.lower().startswith("agent:"):
        parts = key.split(":", 2)
        if len(parts) == 3 and parts[1]:
            key = f"agent:{agentId}:{parts[2]}"
    if not hooks.keyAllowed(key):
        raise _prefix_error(hooks)
    return key


__all__ = [
    "AgentAction", "HookRefused", "TemplateContext", "WakeAction", "agent_from_request", "dispatch_key",
    "idempotency_key", "mapped_action", "render", "session_key", "target_agent", "wake_from_request",
]
