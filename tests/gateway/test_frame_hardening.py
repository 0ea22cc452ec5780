"""
Frames a well-behaved client never sends, over raw sockets: bad close frames get a
close frame back (not a dropped connection), and JSON nested too deeply is refused
like any other invalid frame (before hello) or answered with an error (after it).
"""

from __future__ import annotations

import struct

import pytest
import pytest_twisted

from openclaw.protocol import frames
from tests.support.rawws import close_of, connect_request, open_raw


@pytest.mark.parametrize(
    "payload, code",
    [
        (struct.pack("!H", 999), 1002),  # a code no one may send
        (struct.pack("!H", 1005), 1002),  # reserved: never on the wire
        (b"\x03", 1002),  # a one-byte body cannot hold a code
        (struct.pack("!H", 1000) + b"\xff\xfe", 1007),  # a reason that is not UTF-8: invalid payload data
    ],
)
@pytest_twisted.ensureDeferred
async def test_a_bad_close_frame_gets_a_close_frame(reactor, gateway, payload, code):
    client = await open_raw(reactor, gateway.service.port)
    client.sendRaw(payload, opcode=0x8)
    received = await client.lost.addTimeout(10, reactor)
    assert close_of(received)[0] == code


@pytest_twisted.ensureDeferred
async def test_a_good_close_frame_is_echoed(reactor, gateway):
    client = await open_raw(reactor, gateway.service.port)
    client.sendRaw(struct.pack("!H", 1000), opcode=0x8)
    assert close_of(await client.lost.addTimeout(10, reactor)) == (1000, "")


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest_twisted.ensureDeferred
async def test_deep_nesting_before_hello_is_an_invalid_frame(reactor, gateway):
    client = await open_raw(reactor, gateway.service.port, connect=False)
    client.sendRaw(_nested(995))
    assert close_of(await client.lost.addTimeout(10, reactor)) == (1008, "invalid request frame")


@pytest_twisted.ensureDeferred
async def test_deep_nesting_inside_a_connect_before_hello(reactor, gateway):
    client = await open_raw(reactor, gateway.service.port, connect=False)
    request = frames.encode(connect_request())
    client.sendRaw(request[:-1] + b',"x":' + _nested(2000) + b"}")  # deeper than the JSON parser goes
    assert close_of(await client.lost.addTimeout(10, reactor)) == (1008, "invalid request frame")


@pytest_twisted.ensureDeferred
async def test_deep_nesting_after_hello_is_answered_and_the_session_lives_on(reactor, gateway):
    client = await gateway.connect()
    before = len(client.frames)
    client.sendRaw(b'{"type":"req","id":"deep","method":"health","params":{"a":' + _nested(995) + b"}}")
    assert (await client.call("health"))["ok"]
    answers = [f for f in client.frames[before:] if f["type"] == "res"]
    assert answers[0] == {
        "type": "res", "id": "invalid", "ok": False,
        "error": {"code": "INVALID_REQUEST", "message": f"invalid request frame: JSON nested deeper than {frames.MAX_DEPTH} levels"},
    }
    assert not client.closed.called
