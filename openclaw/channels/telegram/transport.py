"""
A Telegram account's transport over the Bot API: C{getMe} (a 401 stops the account
for good), then long polling (C{deleteWebhook}, C{getUpdates} with the stored
offset; each batch committed to the inbound queue together with the next offset
before the next poll acknowledges it), or webhook mode on its own listener.
Replies go out as C{sendMessage} with HTML, retried as plain text when Telegram
cannot parse the entities, in chunks of C{textChunkLimit}.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred, inlineCallbacks, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import deferLater
from twisted.logger import Logger
from zope.interface import implementer

from openclaw.channels.base import DIRECT, GROUP, ChatRef, InboundMessage, ITransport
from openclaw.channels.runner import TerminalError
from openclaw.channels.telegram.api import BotApi, TelegramError
from openclaw.channels.telegram.config import TelegramConfig
from openclaw.channels.telegram.html import markdown_to_html
from openclaw.channels.text import chunk_text

_log = Logger(namespace="gateway/channels/telegram")

POLL_TIMEOUT = 30
HTTP_POLL_TIMEOUT = 45.0
GET_ME_TIMEOUT = 15.0
SEND_TIMEOUT = 60.0
BACKOFF_START = 1.0
BACKOFF_CAP = 30.0
GENERAL_TOPIC = "1"
ALLOWED_UPDATES = [
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection", "business_message",
    "edited_business_message", "deleted_business_messages", "inline_query", "chosen_inline_result", "callback_query",
    "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer", "my_chat_member",
    "chat_member", "chat_join_request", "chat_boost", "removed_chat_boost", "message_reaction",
]


def inbound_message(update: dict, accountId: str, bot: dict, nowMs: int) -> InboundMessage | None:
    """The inbound message of one update (None for updates that carry no text message)."""
    message = update.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("from"), dict):
        return None
    text = message.get("text") or message.get("caption") or ""
    if not text.strip():
        return None
    chat, sender = message.get("chat") or {}, message["from"]
    private = chat.get("type") == "private"
    thread = message.get("message_thread_id") if message.get("is_topic_message") else None
    senderId = str(sender.get("id"))
    name = " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p) or sender.get("username") or senderId
    return InboundMessage(
        channel="telegram", accountId=accountId, chatType=DIRECT if private else GROUP,
        peerId=senderId if private else str(chat.get("id")), senderId=senderId, senderName=name, text=text,
        messageId=str(update["update_id"]), senderIds=(senderId,), mentioned=mentions_bot(message, bot),
        threadId=str(thread) if thread is not None and (not private or bot.get("has_topics_enabled")) else None,
        replyTo=str((message.get("reply_to_message") or {}).get("message_id") or "") or None,
        idLine=f"Your Telegram user id: {senderId}", receivedAtMs=nowMs,
    )


def mentions_bot(message: dict, bot: dict) -> bool:
    """An C{@username} entity or C{/cmd@username}, a C{text_mention} of the bot, or a reply to the bot."""
    username = (bot.get("username") or "").lower()
    text = message.get("text") or message.get("caption") or ""
    for entity in message.get("entities") or message.get("caption_entities") or []:
        part = text[entity.get("offset", 0): entity.get("offset", 0) + entity.get("length", 0)].lower()
        if entity.get("type") == "mention" and username and part == f"@{username}":
            return True
        if entity.get("type") == "bot_command" and username and part.endswith(f"@{username}"):
            return True
        if entity.get("type") == "text_mention" and (entity.get("user") or {}).get("id") == bot.get("id"):
            return True
    replied = (message.get("reply_to_message") or {}).get("from") or {}
    return bool(replied) and replied.get("id") == bot.get("id")


def parse_target(to: str) -> ChatRef:
    """A numeric chat id, C{@username} or C{<chatId>:topic:<threadId>} (C{telegram:}/C{tg:} prefixes allowed)."""
    raw = to.strip()
    for prefix in ("telegram:", "tg:"):
        if raw.lower().startswith(prefix):
            raw = raw[len(prefix):]
    thread = None
    if ":topic:" in raw:
        raw, thread = raw.split(":topic:", 1)
    if raw.startswith("@") and len(raw) > 1:
        return ChatRef(GROUP, raw, thread)
    if raw.lstrip("-").isdigit() and (thread is None or thread.isdigit()):
        return ChatRef(DIRECT if not raw.startswith("-") else GROUP, raw, thread)
    raise ValueError(f"not a Telegram target: {to!r} (a chat id, @username or <chatId>:topic:<id>)")


@implementer(ITransport)
class TelegramTransport:
    def __init__(self, config: TelegramConfig, accountId: str, reactor: Any, clock: IReactorTime, store: Any) -> None:
        self.config = config
        self.accountId = accountId
        self._reactor = reactor
        self._clock = clock
        self._store = store
        self.api = BotApi(reactor, clock, config.apiRoot, config.token)
        self.bot: dict = {}
        self._stopping = False
        self._poll: Deferred | None = None
        self._events: Any = None
        self.webhook: Any = None

    # the session ------------------------------------------------------------------------

    def run(self, events: Any) -> Deferred:
        self._events = events
        self._stopping = False
        return self._serve()

    @inlineCallbacks
    def _serve(self):
        try:
            self.bot = yield self.api.call("getMe", timeout=GET_ME_TIMEOUT)
        except TelegramError as e:
            if e.code == 401:
                raise TerminalError("getMe returned 401 (the bot token was rejected)") from None
            raise
        if self.config.mode == "webhook":
            from openclaw.channels.telegram.webhook import WebhookListener

            self.webhook = WebhookListener(self, self._reactor)
            yield self.webhook.start()
            yield self.api.call("setWebhook", {"url": self.config.webhookUrl, "secret_token": self.config.webhookSecret,
                                               "allowed_updates": ALLOWED_UPDATES})
            self._events.connected()
            self._poll = Deferred()
            yield self._poll  # until stop()
            return
        try:
            yield self.api.call("deleteWebhook", {"drop_pending_updates": False})
        except TelegramError as e:
            _log.warn("[telegram:{account}] deleteWebhook failed: {error}", account=self.accountId, error=str(e))
        offset = yield self._store.offset("telegram", self.accountId)
        first, backoff = True, BACKOFF_START
        self._events.connected()
        while not self._stopping:
            params: dict[str, Any] = {"timeout": 0 if first else POLL_TIMEOUT, "limit": 100,
                                      "allowed_updates": ALLOWED_UPDATES}
            if offset is not None:
                params["offset"] = offset
            self._poll = self.api.call("getUpdates", params, timeout=HTTP_POLL_TIMEOUT)
            try:
                updates = yield self._poll
            except TelegramError as e:
                if self._stopping:
                    break
                if e.code == 401:
                    raise TerminalError("getUpdates returned 401 (the bot token was rejected)") from None
                delay = self._failed(e, backoff)
                backoff = min(BACKOFF_CAP, backoff * 2)
                yield deferLater(self._clock, delay, lambda: None)
                continue
            finally:
                self._poll = None
            first, backoff = False, BACKOFF_START
            self._events.activity()
            if updates:
                offset = max(u["update_id"] for u in updates) + 1
                yield self.deliver(updates, offset)

    def _failed(self, error: TelegramError, backoff: float) -> float:
        if error.code == 409:
            message = f"Telegram getUpdates conflict: {error.description}"
        else:
            message = str(error)
        self._events.disconnected(message)
        delay = float(error.retryAfter) if error.retryAfter is not None else backoff
        _log.warn("[telegram:{account}] {message}; polling again in {delay}s", account=self.accountId, message=message,
                  delay=f"{delay:g}")
        return delay

    def deliver(self, updates: list[dict], offset: int | None) -> Deferred:
        """Commit C{updates} (and the next offset) to the inbound queue; fires once durable."""
        nowMs = int(self._clock.seconds() * 1000)
        messages = [m for m in (inbound_message(u, self.accountId, self.bot, nowMs) for u in updates) if m is not None]
        return self._events.inboundBatch(messages, offset)

    def stop(self) -> Deferred:
        self._stopping = True
        if self._poll is not None and not self._poll.called:
            self._poll.cancel() if self.config.mode == "polling" else self._poll.callback(None)
        d = self.webhook.stop() if self.webhook is not None else succeed(None)
        return d.addBoth(lambda _: self.api.close())

    def isSelf(self, message: InboundMessage) -> bool:
        return bool(self.bot) and message.senderId == str(self.bot.get("id"))

    # outbound -----------------------------------------------------------------------------

    def target(self, to: str) -> ChatRef:
        return parse_target(to)

    @inlineCallbacks
    def send(self, chat: ChatRef, text: str, replyTo: str | None):
        chunks = chunk_text(text, self.config.policy.textChunkLimit)
        if not chunks:
            raise ValueError("message is empty")
        for piece in chunks:
            params: dict[str, Any] = {"chat_id": chat.peerId, "text": markdown_to_html(piece), "parse_mode": "HTML"}
            if chat.threadId and chat.threadId != GENERAL_TOPIC:
                params["message_thread_id"] = int(chat.threadId)
            try:
                yield self.api.call("sendMessage", params, timeout=SEND_TIMEOUT)
            except TelegramError as e:
                if e.code != 400 or "parse" not in e.description.lower():
                    raise
                params.pop("parse_mode")
                params["text"] = piece
                yield self.api.call("sendMessage", params, timeout=SEND_TIMEOUT)
        return len(chunks)

    def typing(self, chat: ChatRef) -> Deferred:
        params: dict[str, Any] = {"chat_id": chat.peerId, "action": "typing"}
        if chat.threadId and chat.threadId != GENERAL_TOPIC:
            params["message_thread_id"] = int(chat.threadId)
        return self.api.call("sendChatAction", params).addErrback(lambda f: None)

    # status ---------------------------------------------------------------------------------

    @inlineCallbacks
    def probe(self, timeoutSeconds: float):
        try:
            me = yield self.api.call("getMe", timeout=min(timeoutSeconds, GET_ME_TIMEOUT))
            hook = yield self.api.call("getWebhookInfo", timeout=min(timeoutSeconds, GET_ME_TIMEOUT))
        except TelegramError as e:
            return {"ok": False, "status": e.code, "error": e.description}
        return {
            "ok": True, "status": None, "error": None,
            "bot": {"id": me.get("id"), "isBot": me.get("is_bot"), "firstName": me.get("first_name"),
                    "username": me.get("username"), "canJoinGroups": me.get("can_join_groups"),
                    "canReadAllGroupMessages": me.get("can_read_all_group_messages"),
                    "supportsInlineQueries": me.get("supports_inline_queries"),
                    "hasTopicsEnabled": me.get("has_topics_enabled", False)},
            "webhook": {"url": hook.get("url") or "", "hasCustomCert": bool(hook.get("has_custom_certificate"))},
        }

    def describe(self) -> dict:
        return self.config.snapshot()


def make_transport(config: TelegramConfig, accountId: str, reactor: Any, clock: IReactorTime, store: Any) -> TelegramTransport:
    return TelegramTransport(config, accountId, reactor, clock, store)
