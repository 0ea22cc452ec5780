"""
How deeply a JSON text nests, decided before it is parsed.

A parser recurses once per C{[} or C{{}; a hostile body of a few kilobytes of
brackets would otherwise reach the recursion limit, or build a structure every
later walk over it has to survive. Brackets inside strings do not count.

The work is done by C-level passes (a regex removes the strings, C{translate}
keeps the brackets as +1/-1 bytes, C{accumulate} runs the depth), so a 20 MB
body is checked in about a second at worst.
"""

from __future__ import annotations

import re
from array import array
from itertools import accumulate

#: A string literal with its escapes (an unterminated one runs to the end).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_AS_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes


def json_depth_ok(data: bytes, limit: int) -> bool:
    """
    Whether no value in C{data} is nested more than C{limit} containers deep
    (C{{}} is depth 1, C{[{}]} depth 2). Invalid JSON is not this function's
    concern: the parser that runs afterwards reports it.
    """
    steps = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS).translate(_AS_STEPS)
    return max(accumulate(array("b", steps)), default=0) <= limit


__all__ = ["json_depth_ok"]
