"""The config codec: the compiled JSON5 parser where it agrees with the grammar, the reference parser otherwise."""

from __future__ import annotations

import math
import random

import json5
import pytest

from openclaw.config import codec

SAMPLE = """// a config
{
  gateway: { mode: 'local', port: 18789, auth: { token: "abc\\u0041\\0", }, },
  /* block */ agents: { list: [ { id: "main", x: 0x1F, y: -.5, z: +3e2, w: Infinity, n: NaN, q: -Infinity, r: 1.5E-3 } ] },
  "quoted key": [1, 2.5, null, true, false, 'it\\'s', "line\\
cont", "\\x41\\v"],
  $weird_key1: 0, a\\u0062: 2,
}
"""
_ALPHABET = list("{}[],:\"'/*\n .-+_0123456789eExXabINnfy\\$u")


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return a == b


def _outcome(parse, text):
    try:
        return "ok", parse(text)
    except ValueError as e:
        return "error", str(e)


def test_the_codec_answers_like_the_reference_parser_on_mutated_configs():
    """Values and error texts (with their line and column) are the reference parser's."""
    chooser = random.Random(20261207)
    for _ in range(200):
        text = list(SAMPLE)
        for _ in range(chooser.randint(1, 4)):
            at = chooser.randrange(len(text))
            action = chooser.random()
            if action < 0.4:
                text[at] = chooser.choice(_ALPHABET)
            elif action < 0.7:
                text.insert(at, chooser.choice(_ALPHABET))
            else:
                del text[at]
        mutated = "".join(text)
        ours, reference = _outcome(codec.loads, mutated), _outcome(json5.loads, mutated)
        assert ours[0] == reference[0], mutated
        assert _same(ours[1], reference[1]) if ours[0] == "ok" else ours[1] == reference[1], mutated


@pytest.mark.parametrize("text", ["{a: 1_000}", "[+-1]", "[.e1]", "[1.0.]", "[0e.5]", "[-.]", '"\\01"', "{a: 0x1_0}"])
def test_shapes_the_compiled_parser_reads_leniently_are_refused_like_the_grammar_says(text):
    with pytest.raises(ValueError) as raised:
        codec.loads(text)
    assert str(raised.value) == _outcome(json5.loads, text)[1]


@pytest.mark.parametrize(
    "text, value",
    [("{a: 1e400}", {"a": math.inf}), ("[" * 40 + "]" * 40, eval("[" * 40 + "]" * 40)), ('"\\\\01"', "\\01")],
)
def test_valid_texts_the_compiled_parser_refuses_still_parse(text, value):
    assert codec.loads(text) == value


def test_an_escaped_surrogate_pair_is_one_character():
    # as in JavaScript (the reference parser keeps two lone surrogates, which cannot be written as UTF-8)
    assert codec.loads('"\\ud83d\\ude00"') == "\U0001F600"
