"""The nesting bound checked before a JSON body is parsed."""

from __future__ import annotations

import orjson
import pytest

from openclaw.protocol.jsondepth import json_depth_ok


@pytest.mark.parametrize(
    ("data", "depth"),
    [
        (b"", 0),
        (b"42", 0),
        (b"{}", 1),
        (b"[{}]", 2),
        (b'{"a": [1, {"b": []}], "c": {}}', 4),
        (b"[][][]", 1),
        (b'["[[[[", "{{{{"]', 1),  # brackets inside strings do not count
        (b'{"a\\"[": []}', 2),  # nor after an escaped quote
        (b'["a\\\\", []]', 2),  # an escaped backslash ends before the quote
        (b'["[[[', 1),  # an unterminated string runs to the end
    ],
)
def test_depth(data, depth):
    assert json_depth_ok(data, depth)
    assert not json_depth_ok(data, depth - 1) or depth == 0


def test_a_deep_body_is_refused_without_parsing_it():
    assert not json_depth_ok(b"[" * 100_000, 64)
    assert json_depth_ok(orjson.dumps([[[[[[]]]]]] * 1000), 6)
