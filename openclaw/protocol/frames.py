"""
Encode and decode the three frame envelopes (req, res, event) with one JSON codec.

L{decode} is the one way in for JSON from a peer (WebSocket frames and HTTP bodies
alike): it refuses nesting deeper than L{MAX_DEPTH}, before anything recursive
(schema validation, error text, a handler) can meet it.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from openclaw.protocol.errors import GatewayError

#: How deeply JSON from a peer may nest. Real frames and bodies stay under ten levels;
#: the validator's error reporting recurses per level, and so could a handler.
MAX_DEPTH = 64

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING = frozenset(b"[{")


class TooDeep(ValueError):
    """JSON nested deeper than L{MAX_DEPTH}."""

    def __init__(self) -> None:
        super().__init__(f"JSON nested deeper than {MAX_DEPTH} levels")


def decode(payload: bytes | str) -> Any:
    """
    Parse JSON from a peer. Raises L{TooDeep} (a L{ValueError}) for nesting deeper
    than L{MAX_DEPTH} and L{ValueError} for anything that is not JSON.
    """
    # Each level takes two bytes, so short payloads (every cheap request) skip the scan.
    if len(payload) > 2 * MAX_DEPTH:
        if isinstance(payload, str):
            payload = payload.encode("utf-8", "surrogatepass")
        if payload.count(b"[") + payload.count(b"{") > MAX_DEPTH and _too_deep(payload):
            raise TooDeep()
    return orjson.loads(payload)


def _too_deep(payload: bytes) -> bool:
    """Whether the brackets outside strings nest deeper than L{MAX_DEPTH}."""
    depth = 0
    for byte in _STRING.sub(b"", payload).translate(None, _NOT_BRACKET):
        if byte in _OPENING:
            depth += 1
            if depth > MAX_DEPTH:
                return True
        else:
            depth -= 1
    return False


def encode(obj: Any) -> bytes:
    return orjson.dumps(obj)


def response(requestId: str, payload: Any) -> dict[str, Any]:
    return {"type": "res", "id": requestId, "ok": True, "payload": payload}


def error_response(requestId: str, error: GatewayError) -> dict[str, Any]:
    frame = {"type": "res", "id": requestId, "ok": False, "error": error.shape()}
    if error.payload is not None:
        frame["payload"] = error.payload
    return frame


def event(
    name: str,
    payload: Any = None,
    seq: int | None = None,
    stateVersion: dict[str, int] | None = None,
) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "event", "event": name}
    if payload is not None:
        frame["payload"] = payload
    if seq is not None:
        frame["seq"] = seq
    if stateVersion is not None:
        frame["stateVersion"] = stateVersion
    return frame


def request(requestId: str, method: str, params: Any = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "req", "id": requestId, "method": method}
    if params is not None:
        frame["params"] = params
    return frame
