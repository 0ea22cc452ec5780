"""frames.decode: the one way in for JSON from a peer, with its nesting bound."""

from __future__ import annotations

import pytest

from openclaw.protocol import frames
from openclaw.protocol.frames import MAX_DEPTH, TooDeep, decode


def _nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


def test_nesting_up_to_the_bound_is_json():
    assert decode(_nested(MAX_DEPTH).encode()) is not None
    assert decode('{"a":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH) is not None


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 995, 5000])
def test_deeper_is_refused_with_a_clear_message(depth):
    with pytest.raises(TooDeep, match=f"JSON nested deeper than {MAX_DEPTH} levels"):
        decode(_nested(depth).encode())


def test_objects_and_arrays_count_alike():
    with pytest.raises(TooDeep):
        decode(('[{"a":' * 33 + "1" + "}]" * 33).encode())


def test_brackets_inside_strings_do_not_count():
    text = '{"s":"' + "[" * 500 + '\\"' + "{" * 500 + '","n":[[1]]}'
    assert decode(text.encode())["n"] == [[1]]


def test_many_shallow_containers_are_fine():
    assert len(decode(("[" + ",".join(["[]"] * 10_000) + "]").encode())) == 10_000


def test_too_deep_is_a_value_error_and_malformed_is_one_too():
    assert issubclass(TooDeep, ValueError)
    with pytest.raises(ValueError):
        decode(b"{oops")


def test_error_response_carries_a_payload_when_the_error_has_one():
    from openclaw.protocol.errors import GatewayError

    error = GatewayError("UNAVAILABLE", "failed", payload={"status": "error"})
    assert frames.error_response("1", error) == {
        "type": "res", "id": "1", "ok": False, "payload": {"status": "error"},
        "error": {"code": "UNAVAILABLE", "message": "failed"},
    }
