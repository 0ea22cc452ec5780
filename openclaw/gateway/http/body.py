"""
Reading a JSON request body with the limits of http-api.md §2: a size bound per
route (413 C{Payload too large}), a nesting bound checked before parsing (see
L{openclaw.protocol.frames.decode}), and a 400 for anything that is not JSON.

    try:
        body = await read_json(request, 2 * MIB, reactor=self._reactor)
    except BodyError as e:
        return e.answer(request)

The site (L{openclaw.gateway.site}) already cut off any body larger than every
surface accepts while it was arriving; this is the per-route bound. Big bodies are
read and parsed in a thread, never on the reactor.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import threads
from twisted.web.iweb import IRequest

from openclaw.gateway.http.responses import error_body, json_response
from openclaw.protocol import frames

KIB = 1024
MIB = 1024 * KIB
#: Deeper than any request shape of the HTTP APIs needs, tool parameter schemas included.
DEFAULT_MAX_DEPTH = frames.MAX_DEPTH
#: Bodies up to this size are parsed on the reactor; parsing them costs less than a thread hop.
INLINE_BYTES = 64 * KIB

PAYLOAD_TOO_LARGE = "Payload too large"
INVALID_JSON = "Invalid JSON body"


class BodyError(Exception):
    """A body refused before validation: its status and the message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def answer(self, request: IRequest) -> bytes:
        """The §2 answer (C{invalid_request_error}); surfaces with another error shape build their own."""
        return json_response(request, self.status, error_body(self.message, "invalid_request_error"))


def body_size(request: IRequest) -> int:
    content = request.content
    content.seek(0, 2)
    return content.tell()


def _decode(content, maxDepth: int) -> Any:
    content.seek(0)
    data = content.read()
    if not data.strip():
        return {}  # an empty body is an empty object: each missing field gets its own message
    try:
        return frames.decode(data, maxDepth)
    except frames.TooDeep:
        raise BodyError(400, f"JSON body nested too deeply (max {maxDepth} levels)") from None
    except ValueError:
        raise BodyError(400, INVALID_JSON) from None


async def read_json(request: IRequest, maxBytes: int, *, reactor: Any, maxDepth: int = DEFAULT_MAX_DEPTH) -> Any:
    """
    The parsed body of C{request}.

    @raise BodyError: 413 beyond C{maxBytes}; 400 when nested deeper than
        C{maxDepth} or not JSON.
    """
    size = body_size(request)
    if size > maxBytes:
        raise BodyError(413, PAYLOAD_TOO_LARGE)
    if size <= INLINE_BYTES:
        return _decode(request.content, maxDepth)
    return await threads.deferToThreadPool(reactor, reactor.getThreadPool(), _decode, request.content, maxDepth)


__all__ = ["DEFAULT_MAX_DEPTH", "KIB", "MIB", "BodyError", "body_size", "read_json"]
