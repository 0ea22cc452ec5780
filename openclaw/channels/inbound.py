"""
The inbound path every channel shares (spec channels §4): a transport hands a
normalised L{InboundMessage} to L{InboundPath.receive}; from there:

    self-filter → durable commit (the transport acknowledges after it) → debounce
    → access (DM policy and pairing, group allowlist, sender allowlist, mention
    gating, command authorisation) → route (bindings → agent, session key)
    → dispatch (the run) → reply to the originating chat → marked done

A message committed but not done (the gateway died mid-run) is replayed once its
account connects again; the queue's dedupe by message id keeps it to one reply.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Callable

from twisted.internet.defer import Deferred, inlineCallbacks, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from openclaw.channels.base import DIRECT, InboundMessage
from openclaw.channels.debounce import Debouncer
from openclaw.channels.dispatch import Turn, replies_to_send
from openclaw.channels.kinds import KINDS
from openclaw.channels.policy import GroupRule
from openclaw.channels.routing import route, session_key
from openclaw.channels.settings import ChannelsSettings
from openclaw.channels.store import ChannelStore, ChannelStoreNotRunning, PairingRequest

_log = Logger(namespace="gateway/channels")

CONTROL_COMMANDS = frozenset({"/stop", "/new", "/reset", "/status"})
#: A typing indicator fades after about 5 s: it is renewed while the run lasts.
TYPING_INTERVAL_SECONDS = 4.0


def pairing_reply(channel: str, idLine: str, code: str) -> str:
    """The one reply an unknown DM sender gets under C{dmPolicy: "pairing"}."""
    fence = "```"
    return "\n".join([
        "OpenClaw: access not configured.", "", idLine, "Pairing code:", fence, code, fence, "",
        "Ask the bot owner to approve with:", fence, f"openclaw pairing approve {channel} {code}", fence,
    ])


def command_of(text: str) -> str | None:
    """C{/new} for C{/new}, C{/new@my_bot} or C{/new now}; None for anything else."""
    word = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    word = word.split("@", 1)[0].lower()
    return word if word in CONTROL_COMMANDS else None


class InboundPath:
    def __init__(
        self,
        settings: ChannelsSettings,
        clock: IReactorTime,
        store: ChannelStore,
        dispatcher: Any,
        runnerFor: Callable[[str, str], Any],
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._store = store
        self.dispatcher = dispatcher
        self._runnerFor = runnerFor
        self._debouncer = Debouncer(clock, self._handle)
        #: Messages this process is working on (a replay skips them).
        self._inFlight: set[tuple[str, str, str]] = set()
        #: Unmentioned group messages kept as context, per (channel, account, group).
        self._history: dict[tuple[str, str, str], deque] = {}
        #: The processing of the latest batch (tests wait on it).
        self.handled: Deferred | None = None

    # 1-2: receive, self-filter, commit ------------------------------------------------

    def receiveBatch(self, runner: Any, messages: list[InboundMessage], offset: int | None) -> Deferred:
        """
        A transport's batch and its new offset (Telegram's next update id), committed
        in one transaction; fires once committed. The bot's own messages are dropped.
        """
        kept = [m for m in messages if not runner.transport.isSelf(m)]
        if not kept and offset is None:
            return succeed(None)

        def committed(fresh: list[InboundMessage]) -> None:
            for m in fresh:
                self._enqueue(m)

        at = None if offset is None else (runner.channelId, runner.accountId, offset)
        return self._store.commit(kept, at).addCallback(committed)

    def replay(self, channel: str, accountId: str) -> Deferred:
        """Messages committed before a restart and never handled: handled now, once."""

        def again(pending: list[InboundMessage]) -> None:
            for m in pending:
                if (m.channel, m.accountId) == (channel, accountId) and self._key(m) not in self._inFlight:
                    _log.info("{channel}: replaying queued message {id}", channel=channel, id=m.messageId)
                    self._enqueue(m)

        return self._store.pendingInbound().addCallback(again)

    def stop(self) -> None:
        self._debouncer.cancelAll()

    @staticmethod
    def _key(m: InboundMessage) -> tuple[str, str, str]:
        return (m.channel, m.accountId, m.messageId)

    # 3: debounce ---------------------------------------------------------------------

    def _enqueue(self, m: InboundMessage) -> None:
        self._inFlight.add(self._key(m))
        if command_of(m.text):
            self._handle([m])
            return
        window = self.settings.inbound.debounceFor(m.channel)
        self._debouncer.add((m.channel, m.accountId, m.peerId, m.threadId, m.senderId), m, m.text, window)

    def _handle(self, batch: list[InboundMessage]) -> None:
        self.handled = self._process(batch)
        self.handled.addErrback(self._failed)

    @staticmethod
    def _failed(failure: Any) -> None:
        if failure.check(ChannelStoreNotRunning):
            return  # the gateway is stopping: the message stays queued and is replayed after the restart
        _log.failure("inbound message failed", failure)

    # 4-7 ----------------------------------------------------------------------------------

    @inlineCallbacks
    def _process(self, batch: list[InboundMessage]):
        last = batch[-1]
        runner = self._runnerFor(last.channel, last.accountId)
        try:
            if runner is None or runner.account.config is None:
                _log.warn("{channel}: no running account {account} for a queued message; dropped",
                          channel=last.channel, account=last.accountId)
                return
            turn = yield self._admit(runner, batch)
            if turn is not None:
                yield self._run(runner, turn)
        finally:
            for m in batch:
                self._inFlight.discard(self._key(m))
            yield self._markDone(batch)

    def _markDone(self, batch: list[InboundMessage]) -> Deferred:
        d = succeed(None)
        for m in batch:
            d.addCallback(lambda _, m=m: self._store.done(m))
        return d

    @inlineCallbacks
    def _admit(self, runner: Any, batch: list[InboundMessage]):
        """The turn C{batch} starts, or None when policy drops it (after any pairing reply)."""
        last = batch[-1]
        policy = runner.account.config.policy
        ch = last.channel
        text = "\n".join(m.text for m in batch)
        command = command_of(text) if len(batch) == 1 else None
        rule: GroupRule | None = None
        if last.chatType == DIRECT:
            if policy.dmPolicy == "disabled":
                _log.info("{ch}: drop DM sender {id} (dmPolicy=disabled)", ch=ch, id=last.senderId)
                return None
            allowed = policy.dmAllowedByConfig(last.senderIds)
            if not allowed:
                allowed = yield self._store.isPaired(ch, last.accountId, last.senderIds)
            if not allowed:
                if policy.dmPolicy == "pairing":
                    yield self._pair(runner, last)
                else:
                    _log.info("{ch}: drop DM sender {id} (dmPolicy={p})", ch=ch, id=last.senderId, p=policy.dmPolicy)
                return None
        else:
            if policy.groupPolicy == "disabled":
                _log.info("{ch}: drop channel {g} (groupPolicy=disabled)", ch=ch, g=last.peerId)
                return None
            rule = policy.group(last.peerId)
            if rule is None and policy.groupPolicy == "open":
                rule = GroupRule()
            if rule is None or not rule.enabled:
                _log.info("{ch}: drop channel {g} (not allowlisted)", ch=ch, g=last.peerId)
                return None
            if not policy.groupSenderAllowed(rule, last.senderIds):
                _log.info("{ch}: drop group sender {id} (policy=allowlist)", ch=ch, id=last.senderId)
                return None
            mentioned = any(m.mentioned or policy.mentionedByPattern(m.text) for m in batch)
            if rule.requireMention and not mentioned and command is None:
                _log.info("{ch}: drop channel {g} (missing-mention)", ch=ch, g=last.peerId)
                self._remember(last, policy.historyLimit, batch)
                return None
            if command is not None and not (policy.dmAllowedByConfig(last.senderIds) or (
                    yield self._store.isPaired(ch, last.accountId, last.senderIds))):
                _log.info("{ch}: drop command {c} from {id} (not authorised)", ch=ch, c=command, id=last.senderId)
                return None
        agentId = route(self.settings.inbound.bindings, self.settings.agents, last, rule.agentId if rule else None)
        if agentId is None:
            _log.warn("{ch}: no binding routes {chat} {peer} to an agent (several agents configured); dropped",
                      ch=ch, chat=last.chatType, peer=last.peerId)
            return None
        return Turn(
            agentId=agentId,
            sessionKey=session_key(agentId, last, self.settings.session),
            body=self._envelope(last, text),
            channel=ch,
            accountId=last.accountId,
            chat=last.chat,
            senderId=last.senderId,
            senderName=last.senderName,
            messageIds=tuple(m.messageId for m in batch),
            idempotencyKey=f"{ch}:{last.accountId}:{last.messageId}",
            command=command,
            systemPrompt=rule.systemPrompt if rule else None,
            toolPolicy=policy.toolPolicy(last.peerId, last.senderIds, last.senderName) if rule else None,
        )

    @inlineCallbacks
    def _pair(self, runner: Any, m: InboundMessage):
        request, created = yield self._store.requestPairing(m.channel, m.accountId, m.senderId, m.senderName)
        if request is None:
            _log.info("{ch}: drop DM sender {id} (pairing requests full)", ch=m.channel, id=m.senderId)
            return
        _log.info("{ch}: drop DM sender {id} (dmPolicy=pairing)", ch=m.channel, id=m.senderId)
        if created:
            yield runner.send(m.chat, pairing_reply(m.channel, m.idLine, request.code), None)

    def _remember(self, m: InboundMessage, limit: int, batch: list[InboundMessage]) -> None:
        kept = self._history.setdefault((m.channel, m.accountId, m.peerId), deque(maxlen=max(limit, 1)))
        for each in batch:
            kept.append(f"{each.senderName}: {each.text}")

    def _envelope(self, m: InboundMessage, text: str) -> str:
        label = KINDS[m.channel].label if m.channel in KINDS else m.channel
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime((m.receivedAtMs or 0) / 1000))
        where = "" if m.chatType == DIRECT else f" {m.peerId}"
        head = f"[{label}{where} {m.senderName} {stamp}]"
        history = self._history.pop((m.channel, m.accountId, m.peerId), None)
        if history:
            context = "\n".join(history)
            return (f"[Chat messages since your last reply - for context]\n{context}\n\n"
                    f"[Current message - respond to this]\n{head} {text}")
        return f"{head} {text}"

    @inlineCallbacks
    def _run(self, runner: Any, turn: Turn):
        if self.dispatcher is None:
            _log.warn("{ch}: no agent runtime takes channel messages in this gateway; message from {id} dropped",
                      ch=turn.channel, id=turn.senderId)
            return
        runner.runStarted()
        typing = LoopingCall(runner.transport.typing, turn.chat)
        typing.clock = self._clock
        typing.start(TYPING_INTERVAL_SECONDS)
        try:
            texts = yield self.dispatcher.dispatch(turn)
        except Exception as e:
            runner.state["lastError"] = f"run failed: {e}"
            _log.error("{ch}: run for {key} failed: {e}", ch=turn.channel, key=turn.sessionKey, e=str(e))
            return
        finally:
            typing.stop()
            runner.runEnded()
        for text in replies_to_send(list(texts or [])):
            try:
                yield runner.send(turn.chat, text, None)
            except Exception as e:
                _log.error("{ch}: reply to {peer} failed: {e}", ch=turn.channel, peer=turn.chat.peerId, e=str(e))
                return

    # pairing RPCs -----------------------------------------------------------------

    @inlineCallbacks
    def approve(self, channel: str, accountId: str, code: str, notify: bool):
        """Approve a pairing code; with C{notify}, tell the sender. Fires with C{(request, notification)}."""
        request: PairingRequest | None = yield self._store.approvePairing(channel, accountId, code)
        if request is None:
            return None, "not-requested"
        if not notify:
            return request, "not-requested"
        runner = self._runnerFor(channel, accountId)
        if runner is None or runner.transport is None:
            return request, "unsupported"
        try:
            chat = InboundMessage(channel, accountId, DIRECT, _peer_of(request.senderId), request.senderId,
                                  request.senderLabel, "", "").chat
            yield runner.send(chat, "OpenClaw: access approved. Send a message to start chatting.", None)
        except Exception:
            return request, "failed"
        return request, "sent"


def _peer_of(senderId: str) -> str:
    """The DM peer of a stored sender id (IRC stores C{nick!user@host}, the peer is the nick)."""
    return senderId.split("!", 1)[0]
