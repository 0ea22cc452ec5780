"""The test helper that checks outgoing frames against OpenClaw's published protocol schema."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import wire_schema
from tests.support.wire_schema import assert_valid_frame, assert_valid_frames

TS = 1795486269103

HELLO_OK: dict[str, Any] = {
    "type": "res",
    "id": "1",
    "ok": True,
    "payload": {
        "type": "hello-ok",
        "protocol": 4,
        "server": {"version": "2026.9.6", "connId": "c1"},
        "features": {"methods": ["health"], "events": ["tick"]},
        "snapshot": {
            "presence": [{"host": "vm", "mode": "gateway", "ts": TS}],
            "health": {"ok": True, "ts": TS, "durationMs": 3},
            "stateVersion": {"presence": 1, "health": 1},
            "uptimeMs": 12,
        },
        "auth": {"role": "operator", "scopes": ["operator.read"]},
        "policy": {"maxPayload": 1048576, "maxBufferedBytes": 4194304, "tickIntervalMs": 30000},
    },
}


def _event(name: str, payload: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    return {"type": "event", "event": name, "payload": payload, **envelope}


TICK = _event("tick", {"ts": TS}, seq=3)
GOOD_EVENTS: list[dict[str, Any]] = [
    _event("connect.challenge", {"nonce": "n", "ts": TS, "capabilities": ["x"]}),
    TICK,
    _event("shutdown", {"reason": "restart", "restartExpectedMs": 500}),
    _event("presence", {"presence": [{"host": "vm", "ts": TS}]}, seq=0),
    _event("health", {"ok": True, "ts": TS}, stateVersion={"presence": 1, "health": 2}),
    _event("device.pair.requested", {"requestId": "r", "deviceId": "d", "publicKey": "k", "ts": TS}),
    _event("some.future.event", {"anything": [1, 2]}),
]

ERROR_RESPONSE: dict[str, Any] = {
    "type": "res",
    "id": "7",
    "ok": False,
    "error": {"code": "INVALID_REQUEST", "message": "unknown method: nope"},
}


def test_accepts_valid_frames() -> None:
    assert_valid_frames([HELLO_OK, *GOOD_EVENTS, ERROR_RESPONSE])
    assert_valid_frame({"type": "res", "id": "2", "ok": True, "payload": {"ok": True, "ts": TS}}, "health")


def _hello_ok_with(**auth: Any) -> dict[str, Any]:
    frame = copy.deepcopy(HELLO_OK)
    frame["payload"]["auth"].update(auth)
    return frame


@pytest.mark.parametrize(
    ("frame", "request_method", "expected"),
    [
        pytest.param({**ERROR_RESPONSE, "extra": 1}, None, r"\$: Additional properties .*'extra'", id="extra-key"),
        pytest.param(_hello_ok_with(method="token"), None, r"\$\.payload\.auth: .*'method'", id="hello-auth-method"),
        pytest.param({**TICK, "seq": -1}, None, r"\$\.seq: -1 is less than", id="negative-seq"),
        pytest.param({**TICK, "seq": "3"}, None, r"\$\.seq: '3' is not of type", id="string-seq"),
        pytest.param(
            {**ERROR_RESPONSE, "error": {"code": "UNAVAILABLE"}},
            None,
            r"\$\.error: 'message' is a required property",
            id="error-without-message",
        ),
        pytest.param(
            _event("presence", {"presence": [{"host": "vm"}]}),
            None,
            r"\$\.payload\.presence\[0\]: 'ts' is a required property",
            id="presence-without-ts",
        ),
        pytest.param(
            _event("connect.challenge", {"nonce": "", "ts": TS}),
            None,
            r"\$\.payload\.nonce: '' should be non-empty",
            id="empty-nonce",
        ),
        pytest.param(
            _event("device.pair.resolved", {"requestId": "r"}),
            None,
            r"\$\.payload: 'deviceId' is a required property",
            id="event-by-naming-convention",
        ),
        pytest.param(
            {"type": "res", "id": "2", "ok": True, "payload": {"ok": False}},
            "health",
            r"\$\.payload\.ok: True was expected",
            id="health-result",
        ),
        pytest.param({"type": "hello"}, None, r"\$: .* is not valid under any of the given", id="unknown-type"),
    ],
)
def test_rejects_invalid_frames(frame: dict[str, Any], request_method: str | None, expected: str) -> None:
    with pytest.raises(AssertionError, match=expected):
        assert_valid_frame(frame, request_method)


@pytest.fixture
def fresh_schema_path() -> Iterator[None]:
    wire_schema.schema_path.cache_clear()
    yield
    wire_schema.schema_path.cache_clear()


def _no_npm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire_schema.shutil, "which", lambda name: None)


def test_schema_path_reuses_cache_without_npm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_schema_path: None
) -> None:
    cached = tmp_path / f"gateway-protocol-{wire_schema.VERSION}" / "protocol.schema.json"
    cached.parent.mkdir()
    cached.write_text("{}")
    monkeypatch.setenv("OPENCLAW_TEST_CACHE", str(tmp_path))
    _no_npm(monkeypatch)
    assert wire_schema.schema_path() == cached


def test_schema_path_falls_back_to_shared_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_schema_path: None
) -> None:
    shared = tmp_path / "shared.schema.json"
    shared.write_text("{}")
    monkeypatch.setenv("OPENCLAW_TEST_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(wire_schema, "_SHARED_COPY", shared)
    _no_npm(monkeypatch)
    assert wire_schema.schema_path() == shared
    monkeypatch.setattr(wire_schema, "_SHARED_COPY", tmp_path / "missing.json")
    wire_schema.schema_path.cache_clear()
    with pytest.raises(FileNotFoundError, match="npm is not installed"):
        wire_schema.schema_path()


def test_reference_captures_can_be_checked() -> None:
    """Informational: the real gateway breaks its own schema in places, so only count violations."""
    captures = sorted((wire_schema.SHARED_REFERENCE / "wire").glob("*.jsonl"))
    if not captures:
        pytest.skip("no reference captures beside the repository")
    checked = violations = 0
    for capture in captures:
        methods: dict[tuple[object, object], str] = {}
        for line in capture.read_text().splitlines():
            record = json.loads(line)
            frame = record.get("frame")
            if not isinstance(frame, dict):
                continue
            key = (record.get("conn"), frame.get("id"))
            if record["dir"] == "c2s" and frame.get("type") == "req":
                methods[key] = frame.get("method")
            elif record["dir"] == "s2c":
                checked += 1
                try:
                    assert_valid_frame(frame, methods.get(key))
                except AssertionError:
                    violations += 1
    print(f"{violations} of {checked} captured gateway frames violate the published schema")
    assert checked
