"""
WebSocket framing of the common case, without autobahn's per-frame machinery.

Nearly every frame a client sends is one whole, masked text message that fits in
the bytes just read (RFC 6455 §5.2: FIN set, opcode 1, no extension bits). For
those, autobahn builds a frame header object, a masker (a native one, whose set-up
costs more than unmasking a short frame), a UTF-8 validator pass, and a list of
chunks to join, then fires four callbacks. L{text_message} reads such a frame
directly; anything else (control frames, fragments, partial frames, binary,
oversized or non-UTF-8 payloads) is left to autobahn, which answers its errors.
"""

from __future__ import annotations

import struct
from typing import Any

from autobahn.websocket.xormasker import create_xor_masker
from twisted.internet.tcp import Connection

#: Up to this length a frame is unmasked with one integer XOR; longer ones with
#: autobahn's native masker, whose fixed set-up cost then no longer matters.
INT_UNMASK_MAX = 1024

_FIN_TEXT = 0x81
_MASKED = 0x80
_LENGTH_16 = 126
_U16 = struct.Struct("!H")


def unmask(payload: bytes, mask: bytes) -> bytes:
    """C{payload} XOR the repeated 4-byte C{mask}."""
    n = len(payload)
    if n > INT_UNMASK_MAX:
        return create_xor_masker(mask, n).process(payload)
    key = int.from_bytes((mask * ((n >> 2) + 1))[:n], "little")
    return (int.from_bytes(payload, "little") ^ key).to_bytes(n, "little")


def text_message(data: bytes, at: int, limit: int) -> tuple[bytes, int] | None:
    """
    The unmasked payload of the frame at C{data[at:]} and where the next frame
    starts, if it is a complete, masked, unfragmented text message of at most
    C{limit} bytes with a valid UTF-8 payload; else None.
    """
    if len(data) - at < 6 or data[at] != _FIN_TEXT:
        return None
    second = data[at + 1]
    if not second & _MASKED:
        return None
    length = second & 0x7F
    start = at + 6
    if length == _LENGTH_16:
        start = at + 8
        if len(data) < start:
            return None
        length = _U16.unpack_from(data, at + 2)[0]
        if length < _LENGTH_16:  # not the shortest encoding: a protocol error for autobahn
            return None
    elif length > _LENGTH_16:  # 64-bit lengths are far beyond the payload limits
        return None
    end = start + length
    if length > limit or len(data) < end:
        return None
    payload = unmask(data[start:end], data[start - 4 : start])
    if not payload.isascii():
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return payload, end


#: Headers of unfragmented text frames, by payload length (RFC 6455 §5.2).
_SHORT_HEADS = [bytes((_FIN_TEXT, n)) for n in range(126)]
_MEDIUM_HEAD = struct.Struct("!BBH")
_LONG_HEAD = struct.Struct("!BBQ")


def text_frame(data: bytes) -> bytes:
    """C{data} as one unmasked text frame, as a server sends it."""
    size = len(data)
    if size < 126:
        return _SHORT_HEADS[size] + data
    if size < 65536:
        return _MEDIUM_HEAD.pack(_FIN_TEXT, 126, size) + data
    return _LONG_HEAD.pack(_FIN_TEXT, 127, size) + data


def write_now(transport: Any, frame: bytes) -> None:
    """
    Write C{frame} to C{transport}: on a TCP connection with nothing queued, straight
    to the socket, which saves the reactor's write registration, the wake-up that
    flushes the queue and the unregistration after it (what the kernel does not take
    at once is queued as usual); elsewhere (TLS, tests' transports), the
    transport's own write.
    """
    if (
        not isinstance(transport, Connection)
        or transport.dataBuffer
        or transport._tempDataLen
        or not transport.connected
        or transport.disconnecting
    ):
        transport.write(frame)
        return
    sent = transport.writeSomeData(frame)
    if sent.__class__ is not int:  # the connection is gone: the queued write reports it the usual way
        transport.write(frame)
    elif sent < len(frame):
        transport.write(frame[sent:])
