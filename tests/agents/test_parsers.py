"""The incremental SSE and NDJSON parsers give the same events wherever the bytes are split."""

from __future__ import annotations

import pytest

from openclaw.agents.providers.ndjson import NDJSONError, NDJSONParser
from openclaw.agents.providers.sse import SSEEvent, SSEParser

SSE_STREAM = (
    ": keep-alive comment\r\n"
    "event: content_block_delta\r\n"
    'data: {"text":"héllo 🦞"}\r\n'
    "\r\n"
    "data: line one\n"
    "data:line two\n"
    "id: 7\n"
    "\n"
    "event: ping\r"
    "data: {}\r"
    "\r"
    "data: [DONE]\n\n"
).encode()

SSE_EVENTS = [
    SSEEvent("content_block_delta", '{"text":"héllo 🦞"}'),
    SSEEvent("message", "line one\nline two"),
    SSEEvent("ping", "{}"),
    SSEEvent("message", "[DONE]"),
]


def _split_everywhere(stream: bytes):
    yield [stream]
    yield [bytes([b]) for b in stream]
    for cut in range(1, len(stream)):
        yield [stream[:cut], stream[cut:]]


def test_sse_events_do_not_depend_on_chunk_boundaries():
    for chunks in _split_everywhere(SSE_STREAM):
        parser = SSEParser()
        events = [e for chunk in chunks for e in parser.feed(chunk)]
        assert events == SSE_EVENTS, chunks


def test_sse_holds_an_unterminated_event_back():
    parser = SSEParser()
    assert parser.feed(b"event: x\ndata: 1\n") == []
    assert parser.feed(b"\n") == [SSEEvent("x", "1")]


def test_sse_event_name_without_data_is_dropped():
    parser = SSEParser()
    assert parser.feed(b"event: lonely\n\ndata: 2\n\n") == [SSEEvent("message", "2")]


NDJSON_STREAM = '{"message":{"content":"h\\u00e9"},"done":false}\n\n{"done":true,"n":[1,2]}\n'.encode()


def test_ndjson_lines_do_not_depend_on_chunk_boundaries():
    for chunks in _split_everywhere(NDJSON_STREAM):
        parser = NDJSONParser()
        lines = [line for chunk in chunks for line in parser.feed(chunk)] + parser.finish()
        assert lines == [{"message": {"content": "hé"}, "done": False}, {"done": True, "n": [1, 2]}], chunks


def test_ndjson_last_line_without_newline_comes_at_finish():
    parser = NDJSONParser()
    assert parser.feed(b'{"a":1}\n{"b"') == [{"a": 1}]
    assert parser.feed(b":2}") == []
    assert parser.finish() == [{"b": 2}]


def test_ndjson_bad_line_is_an_error_without_its_content():
    parser = NDJSONParser()
    with pytest.raises(NDJSONError) as e:
        parser.feed(b"secret-ish garbage\n")
    assert "garbage" not in str(e.value)
