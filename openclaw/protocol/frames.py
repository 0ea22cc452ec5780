"""
Encode and decode the three frame envelopes (req, res, event) with one JSON codec.

L{decode} is the one way in for JSON from a peer (WebSocket frames and HTTP bodies
alike): it refuses nesting deeper than L{MAX_DEPTH}, before anything recursive
(schema validation, error text, a handler) can meet it.
"""

from __future__ import annotations

from typing import Any

import orjson

from openclaw.protocol.errors import GatewayError
from openclaw.protocol.jsondepth import json_depth_ok

#: How deeply JSON from a peer may nest. Real frames and bodies stay under ten levels;
#: the validator's error reporting recurses per level, and so could a handler.
MAX_DEPTH = 64

class TooDeep(ValueError):
    """JSON nested deeper than allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels")
        self.limit = limit


def decode(payload: bytes | str, maxDepth: int = MAX_DEPTH) -> Any:
    """
    Parse JSON from a peer. Raises L{TooDeep} (a L{ValueError}) for nesting deeper
    than C{maxDepth} and L{ValueError} for anything that is not JSON.
    """
    # Each level takes two bytes, so short payloads (every cheap request) skip the scan.
    if len(payload) > 2 * maxDepth:
        if isinstance(payload, str):
            payload = payload.encode("utf-8", "surrogatepass")
        if payload.count(b"[") + payload.count(b"{") > maxDepth and not json_depth_ok(payload, maxDepth):
            raise TooDeep(maxDepth)
    return orjson.loads(payload)


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


class EncodedEvent:
    """
    An event frame encoded once for every connection it goes to. Only C{seq} differs
    between connections, so it is appended to the shared encoding as the frame's
    last member instead of encoding the payload again per connection.
    """

    __slots__ = ("_head",)

    def __init__(self, name: str, payload: Any = None, stateVersion: dict[str, int] | None = None) -> None:
        # orjson writes an object as {...}: drop the closing brace to add one member
        self._head = encode(event(name, payload, None, stateVersion))[:-1] + b',"seq":'

    def withSeq(self, seq: int) -> bytes:
        return b"%s%d}" % (self._head, seq)


_BARE_REQUEST = frozenset(("type", "id", "method"))
_REQUEST_WITH_PARAMS = _BARE_REQUEST | {"params"}


def plain_request(frame: Any) -> bool:
    """
    Whether C{frame} is a request of the shape nearly all are (C{type}, C{id},
    C{method}, maybe C{params}, nothing else), which the published C{RequestFrame}
    schema accepts: tested here in a fraction of the schema check's time. False
    says nothing; such a frame is checked against the schema.
    """
    if frame.__class__ is not dict:
        return False
    keys = frame.keys()
    if keys != _REQUEST_WITH_PARAMS and keys != _BARE_REQUEST:
        return False
    requestId, method = frame["id"], frame["method"]
    return frame["type"] == "req" and requestId.__class__ is str and method.__class__ is str and requestId != "" and method != ""


def request(requestId: str, method: str, params: Any = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "req", "id": requestId, "method": method}
    if params is not None:
        frame["params"] = params
    return frame
