"""
The Telegram Bot API over treq: C{POST <apiRoot>/bot<token>/<method>} with a JSON
body, C{{ok, result}} back, or C{{ok:false, error_code, description, parameters}}
as a L{TelegramError}. The token is part of the URL only: no error names the URL.
"""

from __future__ import annotations

from typing import Any

import orjson
import treq
from treq.client import HTTPClient
from twisted.internet.defer import CancelledError, TimeoutError, inlineCallbacks
from twisted.internet.interfaces import IReactorTime
from twisted.web.client import Agent

from openclaw.httppool import quiet_pool

CONNECT_TIMEOUT_SECONDS = 15


class TelegramError(Exception):
    def __init__(self, method: str, code: int | None, description: str, retryAfter: float | None = None) -> None:
        super().__init__(f"Telegram {method} failed ({code}): {description}" if code else f"Telegram {method} failed: {description}")
        self.method = method
        self.code = code
        self.description = description
        self.retryAfter = retryAfter


class BotApi:
    def __init__(self, reactor: Any, clock: IReactorTime, apiRoot: str, token: str) -> None:
        self._clock = clock
        self._root = f"{apiRoot}/bot{token}/"
        self._token = token
        self._pool = quiet_pool(reactor)
        self._client = HTTPClient(Agent(reactor, pool=self._pool, connectTimeout=CONNECT_TIMEOUT_SECONDS))

    @inlineCallbacks
    def call(self, method: str, params: dict | None = None, timeout: float = 15.0):
        """Fires with C{result}; fails with L{TelegramError} (Telegram's error or a transport failure)."""
        d = self._client.post(self._root + method, data=orjson.dumps(params or {}),
                              headers={b"Content-Type": [b"application/json"]})
        d.addTimeout(timeout, self._clock)
        try:
            response = yield d
            body = yield treq.content(response).addTimeout(timeout, self._clock)
        except (CancelledError, TimeoutError):
            raise TelegramError(method, None, f"timed out after {timeout:.0f}s") from None
        except Exception as e:
            raise TelegramError(method, None, self._clean(str(e) or type(e).__name__)) from None
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise TelegramError(method, response.code, f"HTTP {response.code} without a JSON body") from None
        if not isinstance(document, dict) or not document.get("ok"):
            document = document if isinstance(document, dict) else {}
            parameters = document.get("parameters") if isinstance(document.get("parameters"), dict) else {}
            raise TelegramError(
                method, document.get("error_code") or response.code, self._clean(str(document.get("description") or "error")),
                parameters.get("retry_after"),
            )
        return document.get("result")

    def _clean(self, text: str) -> str:
        return text.replace(self._token, "<token>")

    def close(self) -> Any:
        return self._pool.closeCachedConnections()
