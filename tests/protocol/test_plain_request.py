"""The quick test for requests of the common shape never accepts what the schema refuses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openclaw.protocol import frames
from openclaw.protocol.validation import check

_values = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))
_frames = st.dictionaries(
    st.sampled_from(["type", "id", "method", "params", "traceparent", "extra"]),
    st.one_of(st.sampled_from(["req", "res", "", "health"]), _values),
)


@given(_frames)
def test_what_it_accepts_the_schema_accepts(frame):
    if frames.plain_request(frame):
        assert check("RequestFrame", frame) is None


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "req", "id": "1", "method": "health"},
        {"type": "req", "id": "1", "method": "health", "params": {}},
        {"type": "req", "id": "1", "method": "health", "params": None},
        {"type": "req", "id": "1", "method": "health", "params": [1, 2]},  # params are the method's to check
    ],
)
def test_the_common_shape(frame):
    assert frames.plain_request(frame)


@pytest.mark.parametrize(
    "frame",
    [
        [],
        {"type": "req", "id": "", "method": "health"},
        {"type": "req", "id": 1, "method": "health"},
        {"type": "req", "id": "1", "method": ""},
        {"type": "event", "id": "1", "method": "health"},
        {"type": "req", "id": "1"},
        {"type": "req", "id": "1", "method": "health", "traceparent": "00-x"},  # valid, but checked by the schema
    ],
)
def test_anything_else_goes_to_the_schema(frame):
    assert not frames.plain_request(frame)
