"""
Fuzzing the frames a client sends, against a real embedded gateway: for every input,
the gateway answers with an error C{res} (or ignores malformed JSON after hello, as
OpenClaw does) or closes with a documented code; it never logs a failure, every frame
it sends validates against the protocol schema, and a parallel client is still served.
Seeded and bounded, so it runs the same examples in the same few seconds every time.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager

import pytest
import pytest_twisted
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twisted.logger import LogLevel, globalLogPublisher

from openclaw.protocol.frames import MAX_DEPTH
from tests.support.rawws import close_of, messages, open_raw
from tests.support.wire_schema import assert_valid_frame

#: Close codes the gateway may send: normal (malformed JSON before hello), protocol
#: error, invalid UTF-8, policy (invalid handshake), too big.
CLOSE_CODES = {1000, 1002, 1007, 1008, 1009}

_SETTINGS = settings(
    max_examples=120,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
_methods = st.sampled_from(
    ["connect", "health", "status", "logs.tail", "channels.status", "system-presence", "config.get",
     "last-heartbeat", "config.set", "no.such.method", ""]
) | st.text(max_size=12)
_frames = st.fixed_dictionaries(
    {"type": st.sampled_from(["req", "res", "event", "REQ", ""]) | st.text(max_size=5)},
    optional={"id": st.text(max_size=8) | _scalars, "method": _methods, "params": _json, "extra": _scalars},
)
#: Around our nesting bound, and near the JSON parser's own limit (where recursive
#: validation used to overflow the stack).
_depths = st.sampled_from(range(MAX_DEPTH - 2, MAX_DEPTH + 3)) | st.sampled_from(range(960, 1041, 4))
_deep = st.builds(
    lambda depth, wrapped: (b'{"type":"req","id":"d","method":"health","params":' if wrapped else b"")
    + b"[" * depth + b"]" * depth + (b"}" if wrapped else b""),
    _depths,
    st.booleans(),
)
_payloads = (
    _frames.map(lambda f: json.dumps(f).encode())
    | _json.map(lambda v: json.dumps(v).encode())
    | _deep
    | st.binary(max_size=64)
)


class _Watch:
    """Failures and errors the gateway logs while the examples run."""

    def __init__(self) -> None:
        self.bad: list[str] = []

    def __call__(self, event: dict) -> None:
        if event.get("log_failure") is not None or event.get("log_level") in (LogLevel.error, LogLevel.critical):
            self.bad.append(str(event.get("log_format")))

    def __enter__(self) -> "_Watch":
        globalLogPublisher.addObserver(self)
        return self

    def __exit__(self, *exc) -> None:
        globalLogPublisher.removeObserver(self)


@contextmanager
def _default_recursion_limit():
    """
    Hypothesis raises the recursion limit while it runs an example; the gateway runs
    with Python's default, and recursion that overflows it (say, validating deeply
    nested JSON) is what these examples must be able to find.
    """
    raised = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(raised)


def _check_sent(received: bytes) -> None:
    for frame in messages(received):
        assert_valid_frame(frame)


@pytest.fixture
def watched(gateway):
    with _Watch() as watch:
        yield gateway
    assert watch.bad == []


@_SETTINGS
@given(payload=_payloads)
@pytest_twisted.ensureDeferred
async def test_first_frame(reactor, watched, payload):
    other = watched.clients[0] if watched.clients else await watched.connect()
    client = await open_raw(reactor, watched.service.port, connect=False)
    with _default_recursion_limit():
        client.sendRaw(payload)
        received = await client.lost.addTimeout(10, reactor)
    close = close_of(received)
    assert close is not None and close[0] in CLOSE_CODES, (payload[:80], close)
    _check_sent(received)
    assert (await other.call("health"))["ok"]


@_SETTINGS
@given(payload=_payloads)
@pytest_twisted.ensureDeferred
async def test_frame_after_hello(reactor, watched, payload):
    other = watched.clients[0] if watched.clients else await watched.connect()
    client = await open_raw(reactor, watched.service.port)
    with _default_recursion_limit():
        client.sendRaw(payload)
        client.send({"type": "req", "id": "fuzz-probe", "method": "last-heartbeat"})
        await client.until(b'"fuzz-probe"').addTimeout(10, reactor)
    if client.lost.called:  # only a protocol-level fault (invalid UTF-8) may close it
        close = close_of(client.received)
        assert close is not None and close[0] in {1002, 1007}, (payload[:80], close)
    else:
        answers = [m for m in messages(client.received) if m.get("type") == "res"]
        assert answers[-1]["id"] == "fuzz-probe" and answers[-1]["ok"]
        assert len(answers) <= 3  # hello-ok, the fuzz frame's answer (if any), the probe's
        client.transport.loseConnection()
        await client.lost
    _check_sent(client.received)
    assert (await other.call("health"))["ok"]
