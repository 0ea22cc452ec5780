"""
Replies that also go out on a chat channel. C{agent} with C{deliver: true} sends
its final reply to the target the request names (C{channel}/C{replyChannel},
C{to}/C{replyTo}, C{accountId}/C{replyAccountId}), filling what it leaves out from
the session's last route; C{chat.send} with C{deliver: true} sends to the
session's last route (where its last channel message came from).

The target is resolved before the run starts, so an C{agent} request naming one
that cannot be reached is refused at once. The reply goes through the channel
manager like C{send}, once per run (the run id is the idempotency key).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger

from openclaw.agents.runevents import SILENT_REPLY
from openclaw.agents.turn import RunOutcome
from openclaw.channels.manager import UnknownAccount

_log = Logger(namespace="gateway/delivery")

#: The C{channel} value that means "the session's last route".
LAST = "last"


class DeliveryError(Exception):
    """No reachable target for the reply."""


@dataclass(frozen=True)
class Delivery:
    channel: str
    accountId: str
    to: str


def resolve(channels: Any, requested: Mapping[str, Any], lastRoute: Mapping[str, Any] | None) -> Delivery:
    """
    The target of a reply: what C{requested} names (C{channel}, C{to}, C{accountId}),
    the rest from C{lastRoute} when that is on the same channel. L{DeliveryError} if
    no channel account could send it.
    """
    route = dict(lastRoute or {})
    channel = requested.get("channel")
    if channel in (None, "", LAST):
        channel = route.get("channel")
    if not channel:
        raise DeliveryError("no channel to deliver to: name one (channel or replyChannel), or use a session with a channel route")
    sameRoute = route.get("channel") == channel
    to = requested.get("to") or (route.get("to") if sameRoute else None)
    if not to:
        raise DeliveryError(f"no {channel} target to deliver to: name one (to or replyTo)")
    accountId = requested.get("accountId") or (route.get("accountId") if sameRoute else None)
    try:
        accountId = channels.checkTarget(channel, accountId, to)
    except (UnknownAccount, ValueError) as e:
        raise DeliveryError(str(e)) from None
    return Delivery(channel, accountId, to)


def requested_target(params: Mapping[str, Any]) -> dict[str, Any]:
    """The target an C{agent} request names; the C{reply*} fields win."""
    return {
        "channel": params.get("replyChannel") or params.get("channel"),
        "to": params.get("replyTo") or params.get("to"),
        "accountId": params.get("replyAccountId") or params.get("accountId"),
    }


def deliver(channels: Any, delivery: Delivery, runId: str, outcome: RunOutcome) -> "Deferred[str]":
    """
    Send a completed run's reply; fires with its C{deliveryStatus}: C{sent},
    C{suppressed} (nothing to say: empty or the silent token) or C{failed} (logged).
    """
    text = outcome.text.strip()
    if not text or text == SILENT_REPLY:
        return succeed("suppressed")
    try:
        d = channels.send(delivery.channel, delivery.accountId, delivery.to, outcome.text, f"{runId}:reply")
    except (UnknownAccount, ValueError) as e:  # the account went away while the run ran
        d = Deferred()
        d.errback(e)

    def failed(failure: Any) -> str:
        _log.warn("could not deliver the reply of run {runId} to {channel}: {error}", runId=runId,
                  channel=delivery.channel, error=failure.getErrorMessage())
        return "failed"

    return d.addCallbacks(lambda _: "sent", failed)
