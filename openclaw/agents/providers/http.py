"""
The one HTTP client every provider uses: a treq C{HTTPClient} over an owned
C{HTTPConnectionPool}, as a service that cancels what is in flight and closes the
pool on stop.

L{ProviderHTTP.post} streams one response body to a callback as it arrives, with
an idle timeout (no byte for that long, from the moment the request is sent) and
an optional whole-request timeout, both on the injected clock. Cancelling its
Deferred closes the upstream connection at once, whether the request is still
waiting for headers or the body is streaming.
"""

from __future__ import annotations

import email.utils
from typing import Callable, Mapping

import orjson
from treq.client import HTTPClient
from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure
from twisted.web.client import Agent, ResponseDone
from twisted.web.http import PotentialDataLoss
from twisted.web.http_headers import Headers

from openclaw.httppool import quiet_pool

from openclaw.agents.providers.base import ErrorKind, ProviderError

#: How much of an error body is read to find the upstream's message.
ERROR_BODY_LIMIT = 64 * 1024
#: How much of that message an error carries.
ERROR_MESSAGE_LIMIT = 300
CONNECT_TIMEOUT_SECONDS = 30


class ProviderHTTP(Service):
    name = "model-http"

    def __init__(self, reactor, clock: IReactorTime | None = None, maxPerHost: int = 8) -> None:
        self._reactor = reactor
        self._clock = clock or reactor
        self._pool = quiet_pool(reactor)
        self._pool.maxPersistentPerHost = maxPerHost
        self._client = HTTPClient(Agent(reactor, pool=self._pool, connectTimeout=CONNECT_TIMEOUT_SECONDS))
        self._inFlight: set[_Exchange] = set()

    def post(
        self,
        url: str,
        headers: Mapping[str, str],
        body: dict,
        onData: Callable[[bytes], None],
        idleTimeout: float,
        timeout: float | None = None,
    ) -> "Deferred[None]":
        """
        POST C{body} as JSON and feed the 2xx response body to C{onData} chunk by
        chunk. Fires when the body ends; fails with L{ProviderError} (an error
        status, a timeout, a cut stream, or whatever C{onData} raised).
        """
        exchange = _Exchange(self._clock, onData, idleTimeout, timeout, secrets=list(headers.values()))
        self._inFlight.add(exchange)
        exchange.result.addBoth(self._done, exchange)
        request = self._client.post(
            url,
            data=orjson.dumps(body),
            headers=Headers({k: [v] for k, v in {"content-type": "application/json", **headers}.items()}),
            unbuffered=True,
            allow_redirects=False,  # a model endpoint that redirects is misconfigured; never resend the key
            reactor=self._reactor,
        )
        exchange.start(request)
        return exchange.result

    def _done(self, result, exchange: "_Exchange"):
        self._inFlight.discard(exchange)
        return result

    def stopService(self) -> Deferred:
        super().stopService()
        for exchange in list(self._inFlight):
            exchange.result.cancel()
        return self._pool.closeCachedConnections()


class _Exchange:
    """One request: its timers, its body receiver, and the one outcome."""

    def __init__(self, clock, onData, idleTimeout, timeout, secrets) -> None:
        self._clock = clock
        self._onData = onData
        self._idleTimeout = idleTimeout
        # header values (and their words: "Bearer <key>") that an error text must not repeat
        self._secrets = sorted({w for s in secrets for w in s.split() if len(w) >= 8}, key=len, reverse=True)
        self.result: Deferred[None] = Deferred(lambda _: self._cancelled())
        self._request: Deferred | None = None
        self._aborted = False
        self._receiver: _BodyReceiver | None = None
        self._idle: IDelayedCall = clock.callLater(idleTimeout, self._timedOut, f"no data from the model for {idleTimeout:g}s")
        self._deadline: IDelayedCall | None = (
            None if timeout is None else clock.callLater(timeout, self._timedOut, f"the model request took over {timeout:g}s")
        )

    def start(self, request: Deferred) -> None:
        self._request = request
        request.addCallbacks(self._response, self._requestFailed)

    # -- outcomes

    def _stopTimers(self) -> None:
        for call in (self._idle, self._deadline):
            if call is not None and call.active():
                call.cancel()

    def _cancelled(self) -> None:
        self._stopTimers()
        self._abort()

    def _finish(self, outcome: Failure | None) -> None:
        if self.result.called:
            return
        self._stopTimers()
        if outcome is None:
            self.result.callback(None)
        else:
            self.result.errback(outcome)

    def _fail(self, kind: ErrorKind, message: str, **extra) -> None:
        for secret in self._secrets:
            message = message.replace(secret, "[redacted]")
        self._abort()
        self._finish(Failure(ProviderError(kind, message, **extra)))

    def _abort(self) -> None:
        """Close the upstream connection now, in whatever phase the request is."""
        self._aborted = True
        if self._receiver is not None:
            self._receiver.stop()
        elif self._request is not None:
            self._request.cancel()  # (a no-op once the request has an outcome)

    def _timedOut(self, message: str) -> None:
        self._fail("timeout", message)

    def _touch(self) -> None:
        if self._idle.active():
            self._idle.reset(self._idleTimeout)

    # -- request phases

    def _requestFailed(self, failure: Failure) -> None:
        if self.result.called or self._aborted:
            return
        self._fail("transient", f"cannot reach the model endpoint: {_reason(failure)}")

    def _response(self, response) -> None:
        self._touch()
        if 200 <= response.code < 300:
            self._receiver = _BodyReceiver(self._chunk, self._bodyEnded)
        else:
            collected: list[bytes] = []
            self._receiver = _BodyReceiver(
                lambda data: self._collect(response, collected, data),
                lambda reason: self._errorStatus(response, b"".join(collected)),
            )
        response.deliverBody(self._receiver)

    def _chunk(self, data: bytes) -> None:
        if self.result.called:
            return
        self._touch()
        try:
            self._onData(data)
        except ProviderError as e:
            self._fail(e.kind, str(e), status=e.status, retryAfter=e.retryAfter)
        except Exception as e:  # a decoder bug must end the request, not leave it hanging
            self._fail("other", f"cannot read the model stream: {type(e).__name__}: {e}")

    def _collect(self, response, collected: list[bytes], data: bytes) -> None:
        self._touch()
        collected.append(data)
        if sum(map(len, collected)) > ERROR_BODY_LIMIT:  # enough to find the message: stop reading
            self._errorStatus(response, b"".join(collected)[:ERROR_BODY_LIMIT])

    def _bodyEnded(self, reason: Failure) -> None:
        if self.result.called:
            return
        if reason.check(ResponseDone, PotentialDataLoss):
            self._finish(None)
        else:
            self._fail("transient", "the model stream was cut before it finished")

    def _errorStatus(self, response, body: bytes) -> None:
        if self.result.called:
            return
        kind = classify_status(response.code)
        message = f"HTTP {response.code}: {error_message(body) or response.phrase.decode('latin-1', 'replace')}"
        self._fail(kind, message, status=response.code, retryAfter=retry_after(response.headers, self._clock.seconds()))


class _BodyReceiver(Protocol):
    def __init__(self, onData: Callable[[bytes], None], onEnd: Callable[[Failure], None]) -> None:
        self._onData = onData
        self._onEnd = onEnd
        self._stopped = False

    def dataReceived(self, data: bytes) -> None:
        if not self._stopped:
            self._onData(data)

    def connectionLost(self, reason: Failure) -> None:
        if not self._stopped:
            self._stopped = True
            self._onEnd(reason)

    def stop(self) -> None:
        """Stop reading: the connection under the response is closed."""
        if not self._stopped:
            self._stopped = True
            self.transport.stopProducing()


def _reason(failure: Failure) -> str:
    """A request failure in words (the client wraps the cause in a list of reasons)."""
    reasons = getattr(failure.value, "reasons", None) or [failure]
    return "; ".join(r.getErrorMessage() or r.type.__name__ for r in reasons)


def classify_status(code: int) -> ErrorKind:
    if code in (401, 403):
        return "auth"
    if code == 404:
        return "not_found"
    if code == 408:
        return "timeout"
    if code == 429:
        return "rate_limit"
    if code in (503, 529):
        return "overload"
    if code >= 500:
        return "transient"
    return "other"


def error_message(body: bytes) -> str:
    """The upstream's own error text from a JSON error body (all four APIs nest it alike), bounded."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace").strip()[:ERROR_MESSAGE_LIMIT]
    error = parsed.get("error", parsed) if isinstance(parsed, dict) else parsed
    if isinstance(error, dict):
        error = error.get("message") or error.get("type") or ""
    return str(error)[:ERROR_MESSAGE_LIMIT]


def retry_after(headers: Headers, now: float) -> float | None:
    """C{retry-after-ms}, or C{retry-after} in seconds or as an HTTP date, in seconds from now."""
    ms = headers.getRawHeaders(b"retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms[0]) / 1000)
        except ValueError:
            pass
    raw = headers.getRawHeaders(b"retry-after")
    if not raw:
        return None
    value = raw[0].decode("latin-1").strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None

