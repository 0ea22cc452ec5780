"""
The config codec: JSON5 text to Python values, fast.

The compiled parser (C{pyjson5}) does the work; the pure-Python C{json5} package
is the reference grammar. The compiled one is more lenient in a few shapes (number
tokens such as C{1_000}, C{+-1}, C{.e1}, C{1.0.}, and C{"\\0"} followed by a digit)
and refuses a few texts the grammar allows (C{1e400}, lone surrogates, nesting
deeper than 32). So a text with a token of a lenient shape, and every text the
compiled parser refuses, goes to the reference parser: its value, or its error
(with the line and column that error messages quote), is the answer. One difference
is kept on purpose: an escaped surrogate pair (C{"\\ud83d\\ude00"}) is one character,
as in JavaScript, where the reference parser keeps two lone surrogates that cannot
be written back as UTF-8.
"""

from __future__ import annotations

import re
from typing import Any

import json5
import pyjson5

#: Strings and comments (skipped), and the number-like tokens outside them.
_TOKENS = re.compile(
    r"""
      "(?:[^"\\]|\\.)*"
    | '(?:[^'\\]|\\.)*'
    | //[^\n]*
    | /\*.*?\*/
    | (?<![\w$])(?P<number>[-+.\d][\w.+-]*)
    """,
    re.S | re.X,
)
_NUMBER = re.compile(
    r"[-+]?(?:Infinity|NaN|0[xX][0-9a-fA-F]+|(?:(?:0|[1-9]\d*)(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
)
_NUL_THEN_DIGIT = re.compile(r"(?<!\\)(?:\\\\)*\\0\d")


def _compiled_parser_agrees(text: str) -> bool:
    """Whether C{text} has no token in a shape the compiled parser reads more leniently."""
    if "\\0" in text and _NUL_THEN_DIGIT.search(text):
        return False
    for token in _TOKENS.finditer(text):
        number = token.group("number")
        if number is not None and not _NUMBER.fullmatch(number):
            return False
    return True


def loads(text: str) -> Any:
    """
    The value of JSON5 C{text}.

    @raise ValueError: the reference parser's error (C{<string>:LINE ... at column N}).
    """
    if _compiled_parser_agrees(text):
        try:
            return pyjson5.decode(text)
        except pyjson5.Json5Exception:
            pass  # invalid, or valid in a shape only the reference parser reads
    return json5.loads(text)


__all__ = ["loads"]
