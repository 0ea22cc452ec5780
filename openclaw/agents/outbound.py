"""
A message posted into a session without a run (C{chat.inject}, C{send} to
WebChat): it goes into the transcript as an assistant message, to the session's
message subscribers, and to chat clients as a C{final} C{chat} event of its own.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred

from openclaw.agents.runevents import assistant_message

#: The channel name of the gateway's own chat (the Control UI and WebChat clients).
WEBCHAT = "webchat"


def post_to_session(runtime: Any, agentId: str, key: str, text: str, label: str | None = None) -> Deferred:
    """Post C{text} into session C{key} of C{agentId} (created if missing); fires with its transcript entry."""
    message = assistant_message(text, runtime.nowMs())
    if label:
        message["label"] = label

    def announce(entry: Any) -> Any:
        runtime.bus.messageAppended(agentId, key, entry)
        runtime.publish("chat", {
            "runId": f"inject-{entry.id}", "sessionKey": key, "agentId": agentId, "seq": 0, "state": "final",
            "message": message,
        }, sessionKey=key)
        return entry

    return runtime.stores.store(agentId).append(key, message).addCallback(announce)
