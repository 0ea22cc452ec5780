"""Encode and decode the three frame envelopes (req, res, event) with one JSON codec."""

from __future__ import annotations

from typing import Any

import orjson

from openclaw.protocol.errors import GatewayError

decode = orjson.loads


def encode(obj: Any) -> bytes:
    return orjson.dumps(obj)


def response(requestId: str, payload: Any) -> dict[str, Any]:
    return {"type": "res", "id": requestId, "ok": True, "payload": payload}


def error_response(requestId: str, error: GatewayError) -> dict[str, Any]:
    return {"type": "res", "id": requestId, "ok": False, "error": error.shape()}


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
