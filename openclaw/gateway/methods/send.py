"""
C{send}: a message delivered straight to a chat, no agent run. The target is a
channel account (C{channel}, else the only configured channel) and its chat
C{to}, or WebChat (C{channel: "webchat"}, or no channel when none is configured),
where C{to} names the session the message is posted into. C{sessionKey} mirrors a
channel message into that session's transcript as well. The same idempotency key
within five minutes answers as the first request did instead of sending again.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred

from openclaw.agents.outbound import WEBCHAT, post_to_session
from openclaw.channels.kinds import KINDS
from openclaw.channels.manager import UnknownAccount
from openclaw.dedupe import DedupeCache
from openclaw.gateway.methods import CallContext, MethodRegistry
from openclaw.gateway.methods.targets import params_schema, resolve_target
from openclaw.protocol import scopes
from openclaw.protocol.errors import INVALID_REQUEST, UNAVAILABLE, GatewayError

_NONEMPTY = {"type": "string", "minLength": 1}

SEND_PARAMS = params_schema(
    required=("to", "idempotencyKey"),
    typed={
        "to": _NONEMPTY, "message": {"type": "string"}, "channel": {"type": "string"}, "accountId": {"type": "string"},
        "agentId": {"type": "string"}, "sessionKey": {"type": "string"}, "idempotencyKey": _NONEMPTY,
        "mediaUrl": {"type": "string"}, "mediaUrls": {"type": "array", "items": {"type": "string"}},
    },
    # accepted as the published protocol has them, not acted on (yet)
    ignored=("buffer", "filename", "contentType", "asVoice", "gifPlayback", "replyToId", "threadId", "forceDocument",
             "silent", "parseMode"),
)


def register(registry: MethodRegistry, tree, shell) -> None:
    runtime, manager = tree.agents, tree.channels
    #: Answers by idempotency key: a replay gets the first answer, nothing is sent twice.
    sent = DedupeCache(tree.clock)

    def channel_of(params: dict) -> str:
        channel = (params.get("channel") or "").strip().lower()
        if channel:
            configured = {svc.channelId for svc in manager}
            if channel != WEBCHAT and channel not in configured and channel not in KINDS:
                raise GatewayError(INVALID_REQUEST, f"unsupported channel: {channel}")
            return channel
        configured = sorted({svc.channelId for svc in manager})
        if len(configured) > 1:
            raise GatewayError(INVALID_REQUEST, "send needs a channel (several channels are configured)")
        return configured[0] if configured else WEBCHAT

    def send(params: dict, ctx: CallContext) -> Deferred:
        message = params.get("message") or ""
        if not message.strip():
            if params.get("mediaUrl") or params.get("mediaUrls"):
                raise GatewayError(INVALID_REQUEST, "invalid send params: media is not supported yet, send text")
            raise GatewayError(INVALID_REQUEST, "invalid send params: text or media is required")
        return sent.once(params["idempotencyKey"], lambda: deliver(channel_of(params), message, params))

    def deliver(channel: str, message: str, params: dict) -> Deferred:
        key, agentId = params["idempotencyKey"], params.get("agentId") or None
        if channel == WEBCHAT:
            target = resolve_target(runtime, agentId, params["to"])
            d = post_to_session(runtime, *target, message)
            return d.addCallback(lambda entry: {"runId": key, "messageId": entry.id, "channel": WEBCHAT,
                                                "conversationId": target[1]})
        mirror = resolve_target(runtime, agentId, params["sessionKey"]) if params.get("sessionKey") else None
        try:
            d = manager.send(channel, params.get("accountId") or None, params["to"], message, key)
        except (UnknownAccount, ValueError) as e:
            raise GatewayError(INVALID_REQUEST, str(e)) from None

        def failed(f: Any) -> Any:
            raise GatewayError(UNAVAILABLE, f"send via {channel} failed: {f.getErrorMessage()}", retryable=True)

        def delivered(answer: dict[str, Any]) -> Any:
            result = {"runId": key, **answer}
            if mirror is None:
                return result
            return post_to_session(runtime, *mirror, message).addCallback(lambda _: result)

        return d.addCallbacks(delivered, failed)

    registry.add("send", scopes.WRITE, send, SEND_PARAMS)
