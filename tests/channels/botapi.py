"""
A local Telegram Bot API double served by twisted.web on 127.0.0.1: the real HTTP
shape (C{POST /bot<token>/<method>} with JSON, C{{ok, result}} or C{{ok:false,
error_code, description, parameters}}), long polling that holds C{getUpdates}
until updates are queued or its timeout passes, and scripted failures.
"""

from __future__ import annotations

import pytest_twisted

import json
from typing import Any

from twisted.internet.defer import Deferred
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site

BOT = {"id": 777, "is_bot": True, "first_name": "Claw", "username": "claw_bot", "can_join_groups": True,
       "can_read_all_group_messages": False, "supports_inline_queries": False}


class BotApi(Resource):
    isLeaf = True

    def __init__(self, reactor, token: str) -> None:
        super().__init__()
        self.reactor = reactor
        self.token = token
        self.updates: list[dict] = []
        self.nextId = 1000
        self.calls: list[tuple[str, dict]] = []
        #: method → list of error documents returned (one per call) before answering normally.
        self.failures: dict[str, list[dict]] = {}
        self.sent: list[dict] = []
        self._polls: list[tuple[Any, dict, Any]] = []
        self._waiting: list[tuple[Any, Deferred]] = []

    # the test's side -------------------------------------------------------------------

    def push(self, message: dict) -> int:
        """Queue an update carrying C{message}; a held poll answers at once."""
        self.nextId += 1
        self.updates.append({"update_id": self.nextId, "message": message})
        self._answerPolls()
        return self.nextId

    def fail(self, method: str, code: int, description: str, retryAfter: int | None = None) -> None:
        error: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if retryAfter is not None:
            error["parameters"] = {"retry_after": retryAfter}
        self.failures.setdefault(method, []).append(error)

    def until(self, predicate, timeout: float = 20.0) -> Deferred:
        d = Deferred()
        if predicate(self):
            d.callback(self)
            return d
        self._waiting.append((predicate, d))
        return d.addTimeout(timeout, self.reactor)

    def _check(self) -> None:
        for item in list(self._waiting):
            if item[0](self):
                self._waiting.remove(item)
                item[1].callback(self)

    # the HTTP side ----------------------------------------------------------------------

    def render_POST(self, request) -> Any:
        parts = request.path.decode().strip("/").split("/")
        request.setHeader(b"content-type", b"application/json")
        if len(parts) != 2 or parts[0] != f"bot{self.token}":
            request.setResponseCode(401)
            return json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"}).encode()
        method = parts[1]
        params = json.loads(request.content.read() or b"{}")
        self.calls.append((method, params))
        self.reactor.callLater(0, self._check)
        queued = self.failures.get(method)
        if queued:
            error = queued.pop(0)
            request.setResponseCode(error["error_code"])
            return json.dumps(error).encode()
        if method == "getUpdates":
            return self._getUpdates(request, params)
        if method == "sendMessage":
            self.sent.append(params)
            return self._ok({"message_id": len(self.sent), "chat": {"id": params["chat_id"]}, "text": params["text"]})
        answers = {"getMe": BOT, "deleteWebhook": True, "sendChatAction": True, "setWebhook": True,
                   "getWebhookInfo": {"url": "", "has_custom_certificate": False, "pending_update_count": 0}}
        if method not in answers:
            request.setResponseCode(404)
            return json.dumps({"ok": False, "error_code": 404, "description": "Not Found: method not found"}).encode()
        return self._ok(answers[method])

    @staticmethod
    def _ok(result: Any) -> bytes:
        return json.dumps({"ok": True, "result": result}).encode()

    def _pending(self, params: dict) -> list[dict]:
        offset = params.get("offset")
        if offset is not None:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        return self.updates[: params.get("limit", 100)]

    def _getUpdates(self, request, params: dict) -> Any:
        pending = self._pending(params)
        if pending or not params.get("timeout"):
            return self._ok(pending)
        timer = self.reactor.callLater(min(params["timeout"], 2), self._answer, request, params)
        entry = (request, params, timer)
        self._polls.append(entry)
        request.notifyFinish().addErrback(lambda _: self._forget(entry))
        return NOT_DONE_YET

    def _forget(self, entry) -> None:
        if entry in self._polls:
            self._polls.remove(entry)
            if entry[2].active():
                entry[2].cancel()

    def _answer(self, request, params: dict) -> None:
        self._polls = [p for p in self._polls if p[0] is not request]
        request.write(self._ok(self._pending(params)))
        request.finish()

    def _answerPolls(self) -> None:
        for request, params, timer in list(self._polls):
            if timer.active():
                timer.cancel()
            self._answer(request, params)

    def closePolls(self) -> None:
        for entry in list(self._polls):
            self._forget(entry)
            entry[0].finish()


def serve(reactor, api: BotApi):
    site = Site(api)
    site.noisy = False
    return reactor.listenTCP(0, site, interface="127.0.0.1")


def private(text: str, userId: int = 42, **extra) -> dict:
    return {"message_id": 1, "from": {"id": userId, "is_bot": False, "first_name": "Ada"},
            "chat": {"id": userId, "type": "private"}, "date": 0, "text": text, **extra}


def group(text: str, chatId: int = -1001234567890, userId: int = 42, **extra) -> dict:
    return {"message_id": 2, "from": {"id": userId, "is_bot": False, "first_name": "Ada"},
            "chat": {"id": chatId, "type": "supergroup", "title": "Team"}, "date": 0, "text": text, **extra}


@pytest_twisted.async_yield_fixture
async def api(reactor, bot_token):
    """A Bot API double on 127.0.0.1 for C{bot_token} (a fixture of the importing module)."""
    double = BotApi(reactor, bot_token)
    port = serve(reactor, double)
    double.root = f"http://127.0.0.1:{port.getHost().port}"
    yield double
    double.closePolls()
    await port.stopListening()
