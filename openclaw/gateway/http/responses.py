"""The answer shapes every HTTP surface shares (http-api.md §1-§2)."""

from __future__ import annotations

from typing import Any

import orjson
from twisted.web.iweb import IRequest

JSON = b"application/json; charset=utf-8"
TEXT = b"text/plain; charset=utf-8"


def json_response(request: IRequest, status: int, body: Any, cache: bytes = b"no-store") -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"Content-Type", JSON)
    request.setHeader(b"Cache-Control", cache)
    return orjson.dumps(body)


def text_response(request: IRequest, status: int, body: bytes, **headers: bytes) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"Content-Type", TEXT)
    for name, value in headers.items():
        request.setHeader(name.encode(), value)
    return body


def error_body(message: str, kind: str) -> dict[str, Any]:
    """C{{"error": {"message", "type"}}}: the error shape of the gateway-authenticated APIs."""
    return {"error": {"message": message, "type": kind}}


def not_found(request: IRequest) -> bytes:
    return text_response(request, 404, b"Not Found")


def method_not_allowed(request: IRequest, allow: bytes) -> bytes:
    return text_response(request, 405, b"Method Not Allowed", Allow=allow)


def endpoint_disabled(request: IRequest, configKey: str, *alternatives: str) -> bytes:
    """
    The 404 of an endpoint that is switched off. Unlike the reference (a bare
    C{Not Found}, the same as an unknown path) the body says which config key
    switches it on (C{configKey}, or any of C{alternatives}), so a client is not
    left guessing between a typo and a setting.
    """
    keys = " or ".join((configKey, *alternatives))
    body = error_body(f"Not Found: this endpoint is disabled; set {keys} to true to enable it.", "not_found")
    body["error"]["configKey"] = configKey
    return json_response(request, 404, body)


__all__ = ["endpoint_disabled", "error_body", "json_response", "method_not_allowed", "not_found", "text_response"]
