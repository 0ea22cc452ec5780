"""
Outbound text helpers shared by the channels: Markdown flattened to plain text
(code and link targets kept), and chunking by characters and encoded bytes,
preferring paragraph, line and word boundaries.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^\s*```[\w+-]*\s*$")
_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_CODE = re.compile(r"`([^`]+)`")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_QUOTE = re.compile(r"^\s{0,3}>\s?")


def _link(m: re.Match) -> str:
    label, target = m.group(1).strip(), m.group(2)
    return target if not label or label == target else f"{label} ({target})"


def flatten_markdown(text: str) -> str:
    """Markdown → plain text: emphasis, headings and fences dropped; code and link targets kept."""
    out = []
    inFence = False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if _FENCE.match(line):
            inFence = not inFence
            continue
        if not inFence:
            codes: list[str] = []
            line = _CODE.sub(lambda m: codes.append(m.group(1)) or f"\x00{len(codes) - 1}\x00", line)
            line = _HEADING.sub("", _QUOTE.sub("", line))
            line = _LINK.sub(_link, line)
            line = _STRIKE.sub(r"\1", _ITALIC.sub(r"\2", _BOLD.sub(r"\2", line)))
            line = re.sub(r"\x00(\d+)\x00", lambda m: codes[int(m.group(1))], line)
        out.append(line)
    return "\n".join(out).strip()


def chunk_text(text: str, maxChars: int, maxBytes: int | None = None) -> list[str]:
    """
    C{text} in pieces of at most C{maxChars} characters (and C{maxBytes} UTF-8
    bytes), split at the last paragraph break, newline or space that fits, else hard.
    """
    pieces = []
    rest = text.strip()
    while rest:
        cut = _fit(rest, maxChars, maxBytes)
        if cut < len(rest):
            window = rest[:cut]
            for sep in ("\n\n", "\n", " "):
                at = window.rfind(sep)
                if at > 0:
                    cut = at
                    break
        piece, rest = rest[:cut].strip(), rest[cut:].strip()
        if piece:
            pieces.append(piece)
    return pieces


def _fit(text: str, maxChars: int, maxBytes: int | None) -> int:
    cut = min(len(text), maxChars)
    if maxBytes is not None:
        while cut > 1 and len(text[:cut].encode("utf-8")) > maxBytes:
            cut -= max(1, (len(text[:cut].encode("utf-8")) - maxBytes) // 4)
    return max(cut, 1)
