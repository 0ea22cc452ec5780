"""
Session methods: C{sessions.list|get|describe} (read), C{sessions.patch} (write),
C{sessions.reset} (admin), C{sessions.delete} (admin; write with C{archivedOnly}),
and the subscriptions: C{sessions.subscribe} (C{sessions.changed} events) and
C{sessions.messages.subscribe} (C{session.message} and C{session.tool} events of one session), each
held until it is undone or the connection closes.

Resetting or deleting a session first stops the runs in it. A request names a
session by C{key} (C{agent:<id>:…}, C{global}, or a short key scoped to
C{agentId} or the default agent). The stores, the session bus, the runs and the
current settings are the agent runtime's (C{tree.agents}).
"""

from __future__ import annotations

from typing import Any, Callable

from openclaw.agents.models import ModelConfigError
from openclaw.agents.sessionkeys import chat_type, session_kind
from openclaw.agents.sessions.bus import messages_subscription
from openclaw.agents.sessions.defaults import session_defaults
from openclaw.agents.sessions.entry import SessionEntry
from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.gateway.methods.targets import resolve_target
from openclaw.protocol import scopes
from openclaw.protocol.errors import INVALID_REQUEST, GatewayError, missing_scope

#: C{sessions.list} without a C{limit}.
DEFAULT_LIST_LIMIT = 100
#: C{sessions.get} without a C{limit}.
DEFAULT_GET_LIMIT = 200

_TEXT = {"type": "string", "minLength": 1}
_BOOL = {"type": "boolean"}
_COUNT = {"type": "integer", "minimum": 0}
_POSITIVE = {"type": "integer", "minimum": 1}
_NULLABLE_TEXT = {"anyOf": [_TEXT, {"type": "null"}]}
_TARGET = {"key": _TEXT, "agentId": _TEXT}

#: C{sessions.list}: the published parameters (the Control UI sends most of them);
#: the ones that select sessions are applied, the others change nothing we show.
LIST_PARAMS = closed(
    limit=_POSITIVE, offset=_COUNT, activeMinutes=_POSITIVE, requireLastInteraction=_BOOL,
    sortBy={"enum": ["updatedAt", "lastInteractionAt"]}, includeGlobal=_BOOL, includeUnknown=_BOOL,
    configuredAgentsOnly=_BOOL, includeDerivedTitles=_BOOL, includeLastMessage=_BOOL,
    label={"type": "string", "minLength": 1, "maxLength": 512}, boardFace={"enum": ["chat", "dashboard"]},
    creatorId=_TEXT, ownerId=_TEXT, ownerFirst=_BOOL, involvingMe=_BOOL, involvingProfileId=_TEXT,
    includePeople=_BOOL, spawnedBy=_TEXT, agentId=_TEXT, search={"type": "string"},
    archived={"anyOf": [_BOOL, {"const": "all"}]},
)


def _params(required: tuple[str, ...], **properties: Any) -> dict[str, Any]:
    return {**closed(**properties), "required": list(required)}


def _invalid(message: str) -> GatewayError:
    return GatewayError(INVALID_REQUEST, message)


def _record(entry: SessionEntry) -> dict[str, Any]:
    """The stored fields of a session, as C{sessions.patch} and C{sessions.reset} answer with them."""
    record = entry.record()
    record.pop("key")
    return record


def register(registry: MethodRegistry, tree, shell) -> None:
    registry.addEvent("sessions.changed")
    registry.addEvent("session.message")
    registry.addEvent("session.tool")

    runtime = tree.agents

    def now() -> int:
        return runtime.nowMs()

    def agent(requested: str | None) -> str:
        """A configured agent: C{requested}, else the default one."""
        return resolve_target(runtime, requested, None)[0]

    def target(params: dict, field: str = "key") -> tuple[str, str]:
        """C{(agentId, key)} of the session the request names."""
        return resolve_target(runtime, params.get("agentId"), params[field])

    def mainKey(agentId: str) -> str:
        return runtime.mainSessionKey(agentId)

    def row(entry: SessionEntry) -> dict[str, Any]:
        return entry.row(runtime.runs.activeRunIds(entry.key), mainKey=mainKey(entry.agentId))

    def resolved(entry: SessionEntry) -> dict[str, Any]:
        """The model the session's next run uses: its override, else the agent's default."""
        defaults = session_defaults(runtime.settings, entry.agentId)
        if entry.modelOverride:
            return {"modelProvider": entry.providerOverride, "model": entry.modelOverride}
        return {k: defaults[k] for k in ("modelProvider", "model") if k in defaults}

    def announce(entry: SessionEntry, reason: str) -> None:
        runtime.bus.changed(entry, reason, entry.agentId, runtime.runs.activeRunIds(entry.key))

    # reading ----------------------------------------------------------------------

    async def sessions_list(params: dict, ctx: CallContext) -> dict[str, Any]:
        agentId = agent(params.get("agentId"))
        store = runtime.stores.store(agentId)
        limit, offset = params.get("limit", DEFAULT_LIST_LIMIT), params.get("offset", 0)
        entries, total = await store.list(
            limit, offset, search=params.get("search"), activeMinutes=params.get("activeMinutes"),
            label=params.get("label"), spawnedBy=params.get("spawnedBy"),
            includeGlobal=params.get("includeGlobal", False), includeUnknown=params.get("includeUnknown", False),
        )
        more = offset + len(entries) < total
        result: dict[str, Any] = {
            "ts": now(), "path": store.path, "count": len(entries), "totalCount": total, "limitApplied": limit,
        }
        if "offset" in params:
            result["offset"] = offset
        result.update(
            nextOffset=offset + len(entries) if more else None, hasMore=more, owners=[],
            defaults=session_defaults(runtime.settings, agentId), sessions=[row(e) for e in entries],
        )
        return result

    async def sessions_get(params: dict, ctx: CallContext) -> dict[str, Any]:
        agentId, key = target(params, "key" if "key" in params else "sessionKey")
        entries = await runtime.stores.store(agentId).transcript(key, params.get("limit", DEFAULT_GET_LIMIT))
        return {"messages": [e.wireMessage() for e in entries]}

    async def sessions_describe(params: dict, ctx: CallContext) -> dict[str, Any]:
        agentId, key = target(params)
        entry = await runtime.stores.store(agentId).get(key)
        if entry is not None:
            return {"session": row(entry)}
        if key != mainKey(agentId):
            raise _invalid(f"session not found: {key}")
        # The main session exists from the start; its row fills in with its first message.
        unstarted: dict[str, Any] = {"key": key, "kind": session_kind(key), "agentId": agentId, "isMain": True,
                                     "hasActiveRun": False, "activeRunIds": []}
        if chat_type(key):
            unstarted["chatType"] = chat_type(key)
        return {"session": unstarted}

    # changing -----------------------------------------------------------------------

    async def sessions_patch(params: dict, ctx: CallContext) -> dict[str, Any]:
        agentId, key = target(params)
        store = runtime.stores.store(agentId)
        change = _patch_change(params, now(), _model_override(params, runtime.settings))
        entry = await store.patch(key, change)
        announce(entry, "patch")
        return {"ok": True, "path": store.path, "key": key, "entry": _record(entry), "resolved": resolved(entry)}

    async def sessions_reset(params: dict, ctx: CallContext) -> dict[str, Any]:
        agentId, key = target(params)
        entry = await runtime.resetSession(agentId, key, params.get("reason", "reset"))
        return {"ok": True, "key": key, "entry": _record(entry), "resolved": resolved(entry)}

    async def sessions_delete(params: dict, ctx: CallContext) -> dict[str, Any]:
        archivedOnly = params.get("archivedOnly", False)
        if not archivedOnly and not scopes.satisfies(ctx.scopes, scopes.ADMIN):
            raise missing_scope(scopes.ADMIN)
        agentId, key = target(params)
        if key == mainKey(agentId):
            raise _invalid(f"Cannot delete the main session ({key}).")
        store = runtime.stores.store(agentId)
        entry = await store.get(key)
        if entry is None:
            return {"ok": True, "key": key, "deleted": False, "archived": []}
        expected = params.get("expectedSessionId")
        if expected is not None and expected != entry.sessionId:
            raise _invalid(f"session {key} is now {entry.sessionId}, not {expected}")
        if archivedOnly and entry.archivedAt is None:
            raise _invalid(f"session {key} is not archived")
        runtime.runs.abort(key, None, "delete")
        archived = await store.delete(key, params.get("deleteTranscript", True))
        if archived is None:  # deleted meanwhile by another request
            return {"ok": True, "key": key, "deleted": False, "archived": []}
        bus = runtime.bus
        bus.changed(None, "delete", agentId, sessionKey=key, sessionId=entry.sessionId)
        bus.changed(None, "delete", agentId)  # and: refresh the whole list
        return {"ok": True, "key": key, "deleted": True, "archived": archived}

    # subscriptions ------------------------------------------------------------------

    def subscribe(params: dict, ctx: CallContext) -> dict[str, Any]:
        def forward(payload: dict) -> None:
            ctx.emit("sessions.changed", payload, dropIfSlow=True)

        ctx.subscribe("sessions", runtime.bus.subscribeChanges(forward))
        return {"subscribed": True}

    def unsubscribe(params: dict, ctx: CallContext) -> dict[str, Any]:
        ctx.unsubscribe("sessions")
        return {"subscribed": False}

    def messages_subscribe(params: dict, ctx: CallContext) -> dict[str, Any]:
        agentId, key = target(params)

        def forward(payload: dict) -> None:
            ctx.emit("session.message", payload)

        def forwardTool(payload: dict) -> None:
            ctx.emit("session.tool", payload, dropIfSlow=True)

        stops = (runtime.bus.subscribeMessages(key, forward), runtime.bus.subscribeTools(key, ctx.connId, forwardTool))
        ctx.subscribe(messages_subscription(key), lambda: [stop() for stop in stops])
        result: dict[str, Any] = {"subscribed": True, "key": key}
        if params.get("includeApprovals"):  # no approvals exist here yet: an empty replay
            result["approvalReplay"] = {"sessionKey": key, "updatedAtMs": now(), "approvals": [], "truncated": False}
        return result

    def messages_unsubscribe(params: dict, ctx: CallContext) -> dict[str, Any]:
        agentId, key = target(params)
        ctx.unsubscribe(messages_subscription(key))
        return {"subscribed": False, "key": key}

    read, write, admin = scopes.READ, scopes.WRITE, scopes.ADMIN
    registry.add("sessions.list", read, sessions_list, LIST_PARAMS)
    registry.add("sessions.get", read, sessions_get, {
        **closed(key=_TEXT, sessionKey=_TEXT, agentId=_TEXT, limit=_POSITIVE),
        "anyOf": [{"required": ["key"]}, {"required": ["sessionKey"]}],
    })
    registry.add("sessions.describe", read, sessions_describe,
                 _params(("key",), **_TARGET, includeDerivedTitles=_BOOL, includeLastMessage=_BOOL))
    registry.add("sessions.patch", write, sessions_patch, _params(
        ("key",), **_TARGET, expectedSessionId=_TEXT,
        expectedMarkedUnreadAt={"anyOf": [{"type": "number", "minimum": 0}, {"type": "null"}]},
        label={"anyOf": [{"type": "string", "minLength": 1, "maxLength": 512}, {"type": "null"}]},
        unread=_BOOL, pinned=_BOOL, archived=_BOOL, thinkingLevel=_NULLABLE_TEXT, verboseLevel=_NULLABLE_TEXT,
        model=_NULLABLE_TEXT,
    ))
    registry.add("sessions.reset", admin, sessions_reset,
                 _params(("key",), **_TARGET, reason={"enum": ["new", "reset"]}))
    registry.add("sessions.delete", write, sessions_delete, _params(
        ("key",), **_TARGET, deleteTranscript=_BOOL, expectedSessionId=_TEXT, archivedOnly=_BOOL,
    ))
    registry.add("sessions.subscribe", read, subscribe, closed())
    registry.add("sessions.unsubscribe", read, unsubscribe, closed())
    registry.add("sessions.messages.subscribe", read, messages_subscribe,
                 _params(("key",), **_TARGET, includeApprovals=_BOOL))
    registry.add("sessions.messages.unsubscribe", read, messages_unsubscribe, _params(("key",), **_TARGET))


def _model_override(params: dict, settings: Any) -> tuple[str | None, str | None] | None:
    """C{(provider, model)} the patch selects (C{(None, None)} clears it; None: no change)."""
    if "model" not in params:
        return None
    if params["model"] is None:
        return None, None
    try:
        ref = settings.models.resolve(params["model"])
    except ModelConfigError as e:
        raise _invalid(str(e)) from None
    return ref.provider, ref.model


def _patch_change(params: dict, nowMs: int,
                  model: tuple[str | None, str | None] | None) -> Callable[[SessionEntry], dict[str, Any]]:
    """The change C{sessions.patch} makes, as a function of the session it finds (run in the store's thread)."""

    def change(entry: SessionEntry) -> dict[str, Any]:
        expected = params.get("expectedSessionId")
        if expected is not None and expected != entry.sessionId:
            raise _invalid(f"session {entry.key} is now {entry.sessionId}, not {expected}")
        fields: dict[str, Any] = {}
        for name in ("label", "thinkingLevel", "verboseLevel"):
            if name in params:
                fields[name] = params[name]
        for flag, stamp in (("pinned", "pinnedAt"), ("archived", "archivedAt")):
            if flag in params:
                fields[stamp] = nowMs if params[flag] else None
        if params.get("unread") is True:
            fields["markedUnreadAt"] = nowMs
        elif params.get("unread") is False:
            # an automatic "read" only clears the unread mark the caller saw (null: none)
            if "expectedMarkedUnreadAt" not in params or params["expectedMarkedUnreadAt"] == entry.markedUnreadAt:
                fields.update(markedUnreadAt=None, lastReadAt=nowMs)
        if model is not None:
            fields["providerOverride"], fields["modelOverride"] = model
        return fields

    return change
