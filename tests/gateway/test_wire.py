"""
The framing of whole text messages (L{openclaw.gateway.wire}) on its own, and over a
raw socket where what it does not take (partial frames, control frames, fragments,
bad UTF-8) meets autobahn's framing in the middle of one read.
"""

from __future__ import annotations

import struct

import pytest
import pytest_twisted
from hypothesis import given
from hypothesis import strategies as st
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.tcp import Connection

from openclaw.gateway import wire
from tests.support.rawws import close_of, masked, messages, open_raw


def _frame(payload: bytes, first: int = 0x81, mask: bytes = b"\x5a\xa5\x0f\xf0") -> bytes:
    n = len(payload)
    if n < 126:
        head = bytes([first, 0x80 | n])
    elif n < 65536:
        head = bytes([first, 0x80 | 126]) + struct.pack("!H", n)
    else:
        head = bytes([first, 0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


@pytest.mark.parametrize("size", [0, 1, 125, 126, wire.INT_UNMASK_MAX, wire.INT_UNMASK_MAX + 1, 65535, 70_000])
def test_a_whole_text_frame_is_read_at_any_offset(size):
    payload = bytes(ord("a") + i % 26 for i in range(size))
    data = b"junk" + _frame(payload) + b"next"
    if size > 65535:  # 64-bit lengths are autobahn's
        assert wire.text_message(data, 4, 1 << 20) is None
        return
    assert wire.text_message(data, 4, 1 << 20) == (payload, len(data) - 4)


@given(st.binary(max_size=3000), st.binary(min_size=4, max_size=4))
def test_unmask_is_xor_with_the_repeated_mask(payload, mask):
    assert wire.unmask(payload, mask) == bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def test_non_ascii_utf8_is_read():
    payload = '{"text":"grüß dich ✓"}'.encode()
    assert wire.text_message(_frame(payload), 0, 1000) == (payload, len(_frame(payload)))


@pytest.mark.parametrize(
    "data",
    [
        _frame(b'{"a":1}')[:-1],  # not all there yet
        _frame(b'{"a":1}')[:1],
        _frame(b"x" * 200)[:3],  # the 16-bit length is not all there
        _frame(b'{"a":1}', first=0x82),  # binary
        _frame(b'{"a":1}', first=0x01),  # the first fragment of a message
        _frame(b'{"a":1}', first=0x80),  # a continuation
        _frame(b'{"a":1}', first=0xC1),  # an extension bit
        _frame(b"", first=0x89),  # ping
        _frame(b"\xff\xfe"),  # not UTF-8
        _frame("✓".encode()[:2]),  # a code point cut short
        bytes([0x81, 0x07]) + b'{"a":1}',  # not masked
        bytes([0x81, 0x80 | 126, 0, 5]) + b"\0\0\0\0" + b"hello",  # 16-bit length for a short payload
        _frame(b"x" * 101),  # over the limit below
    ],
)
def test_anything_else_is_left_to_autobahn(data):
    assert wire.text_message(data, 0, 100) is None


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_text_frame_header(size):
    frame = wire.text_frame(b"x" * size)
    if size < 126:
        assert frame[:2] == bytes([0x81, size])
    elif size < 65536:
        assert frame[:4] == bytes([0x81, 126]) + struct.pack("!H", size)
    else:
        assert frame[:10] == bytes([0x81, 127]) + struct.pack("!Q", size)
    assert frame.endswith(b"x" * size) and len(frame) - size in (2, 4, 10)


def _request(requestId: str) -> bytes:
    return b'{"type":"req","id":"%s","method":"health"}' % requestId.encode()


def _answered(client) -> list[str]:
    return [m["id"] for m in messages(client.received) if m.get("type") == "res" and m["id"] != "c"]


@pytest_twisted.ensureDeferred
async def test_requests_and_control_frames_in_one_read(reactor, gateway):
    client = await open_raw(reactor, gateway.service.port)
    split = masked(_request("3"))
    client.transport.write(
        masked(_request("1"))
        + masked(b"are you there", opcode=0x9)  # a ping between two requests: autobahn's
        + masked(_request("2"))
        + split[:9]  # the rest comes in the next read
    )
    await client.until(b"are you there")
    client.transport.write(split[9:])
    await client.until(b'"id":"3"')
    assert _answered(client) == ["1", "2", "3"]


@pytest_twisted.ensureDeferred
async def test_a_fragmented_message_after_a_whole_one(reactor, gateway):
    client = await open_raw(reactor, gateway.service.port)
    first, rest = _request("f")[:10], _request("f")[10:]
    client.transport.write(masked(_request("w")) + _fragment(first, 0x01) + _fragment(rest, 0x80))
    await client.until(b'"id":"f"')
    assert _answered(client) == ["w", "f"]


def _fragment(payload: bytes, first: int) -> bytes:
    return _frame(payload, first=first)


@pytest_twisted.ensureDeferred
async def test_bad_utf8_after_a_good_request_closes_1007(reactor, gateway):
    client = await open_raw(reactor, gateway.service.port)
    client.transport.write(masked(_request("ok")) + masked(b'{"x":"\xff"}'))
    received = await client.lost.addTimeout(10, reactor)
    assert _answered(client) == ["ok"]
    assert close_of(received)[0] == 1007


@pytest_twisted.ensureDeferred
async def test_a_continuation_outside_a_message_closes_1002(reactor, gateway):
    client = await open_raw(reactor, gateway.service.port)
    client.transport.write(masked(_request("ok")) + _fragment(b"stray", 0x80))
    received = await client.lost.addTimeout(10, reactor)
    assert _answered(client) == ["ok"]
    assert close_of(received)[0] == 1002


class _Collect(Protocol):
    def __init__(self, expected: int) -> None:
        self.data = b""
        self.expected = expected
        self.done: Deferred = Deferred()

    def dataReceived(self, data: bytes) -> None:
        self.data += data
        if len(self.data) >= self.expected and not self.done.called:
            self.done.callback(self.data)


class _Sender(Protocol):
    def __init__(self, script) -> None:
        self.script = script

    def connectionMade(self) -> None:
        self.script(self.transport)


async def _through_tcp(reactor, script, expected: int) -> bytes:
    port = reactor.listenTCP(0, Factory.forProtocol(lambda: _Sender(script)), interface="127.0.0.1")
    try:
        collect = _Collect(expected)
        client = await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port), collect)
        try:
            return await collect.done.addTimeout(30, reactor)
        finally:
            client.transport.loseConnection()
    finally:
        await port.stopListening()


@pytest_twisted.ensureDeferred
async def test_write_now_keeps_the_order_of_queued_writes(reactor):
    def script(transport):
        assert isinstance(transport, Connection)
        wire.write_now(transport, b"first ")  # straight to the socket
        transport.write(b"queued ")  # queued until the reactor flushes
        wire.write_now(transport, b"last")  # must wait behind it

    assert await _through_tcp(reactor, script, 17) == b"first queued last"


@pytest_twisted.ensureDeferred
async def test_write_now_queues_what_the_kernel_does_not_take(reactor):
    big = bytes(range(256)) * 40_000  # 10 MB: more than the socket buffers hold

    def script(transport):
        wire.write_now(transport, big)
        assert transport.dataBuffer or transport._tempDataLen  # the rest waits in the transport
        wire.write_now(transport, b"end")

    assert await _through_tcp(reactor, script, len(big) + 3) == big + b"end"
