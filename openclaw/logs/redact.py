"""
Mask secrets in log text before it reaches a console, a file or a C{logs.tail} reply.

A pattern is a regular expression; what it masks is its last capture group that
matched something, or the whole match when it has no groups.  A masked value keeps
its first 6 and last 4 characters when it is long enough to stay unguessable
(18 characters or more) and becomes C{***} otherwise.  A PEM private key block keeps
its armour lines and loses its body.

C{logging.redactPatterns} replaces the default list: each entry is a regex string
(case-insensitive, like OpenClaw's automatic C{gi} flags) or C{/pattern/flags}.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Sequence

MIN_KEEP_LENGTH = 18
KEEP_START = 6
KEEP_END = 4
SHORT_MASK = "***"
ELLIPSIS = "\u2026"

_SECRET_WORD = r"(?:api[_-]?key|token|secret|password|passwd|passphrase|private[_-]?key|client[_-]?secret)"

DEFAULT_PATTERNS: tuple[str, ...] = (
    # PEM private key blocks (handled specially: the armour stays, the body goes).
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----",
    # Key assignments: GATEWAY_TOKEN=..., token=..., password: ..., apiKey=..., secret=...
    r"\b[A-Za-z0-9_.-]*" + _SECRET_WORD + r"\b\s*[=:]\s*([\"']?)([^\s\"'\\,;&]+)\1",
    # JSON fields (also escaped inside another JSON string) and Python dict reprs.
    r"\\?\"[A-Za-z0-9_]*" + _SECRET_WORD + r"\\?\"\s*:\s*\\?\"([^\"\\]+)\\?\"",
    r"'[A-Za-z0-9_]*" + _SECRET_WORD + r"'\s*:\s*'([^'\\]+)'",
    # CLI flags: --token x, --password=x, --api-key x.
    r"--(?:[a-z0-9]+-)*(?:api-key|token|secret|password|passwd|passphrase)(?:\s+|=)([\"']?)([^\s\"']+)\1",
    # Authorization headers and bare bearer credentials.
    r"\bAuthorization\s*[:=]\s*(?:Bearer|Basic|Token)\s+([A-Za-z0-9._~+/=-]+)",
    r"\bBearer\s+([A-Za-z0-9._~+/=-]{8,})",
    # Vendor key prefixes.
    r"\b(sk-[A-Za-z0-9_-]{8,})",
    r"\b(gh[pousr]_[A-Za-z0-9]{16,})",
    r"\b(github_pat_[A-Za-z0-9_]{16,})",
    r"\b(xox[bpaors]-[A-Za-z0-9-]{8,})",
    r"\b(xapp-[A-Za-z0-9-]{8,})",
    r"\b(AIza[0-9A-Za-z_-]{20,})",
    r"\b(gsk_[A-Za-z0-9]{16,})",
    r"\b(pplx-[A-Za-z0-9]{16,})",
    r"\b(npm_[A-Za-z0-9]{20,})",
    # Telegram bot tokens: <bot id>:<secret>.
    r"\b(\d{6,}:[A-Za-z0-9_-]{30,})\b",
)

_JS_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}
_SLASHED = re.compile(r"^/(.+)/([a-z]*)$", re.DOTALL)
_JS_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")


def mask(value: str) -> str:
    """Mask one secret value; an already masked value is left as it is."""
    if value == SHORT_MASK or ELLIPSIS in value:
        return value
    if len(value) < MIN_KEEP_LENGTH:
        return SHORT_MASK
    return value[:KEEP_START] + ELLIPSIS + value[-KEEP_END:]


def _compile_one(pattern: str) -> re.Pattern[str] | None:
    source = pattern.strip()
    if not source:
        return None
    flags = re.IGNORECASE
    slashed = _SLASHED.match(source)
    if slashed:
        source = slashed.group(1)
        flags = 0
        for letter in slashed.group(2):
            flags |= _JS_FLAGS.get(letter, 0)
    source = _JS_NAMED_GROUP.sub("(?P<", source)
    try:
        return re.compile(source, flags)
    except re.error:
        return None


@lru_cache(maxsize=32)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(p for p in map(_compile_one, patterns) if p is not None)


def compile_patterns(patterns: Iterable[str] | None = None) -> tuple[re.Pattern[str], ...]:
    """
    The compiled form of C{patterns} (the defaults for None or an empty list);
    invalid expressions are skipped.  Cached, so calling it per record is cheap.
    """
    chosen = tuple(p for p in (patterns or ()) if isinstance(p, str))
    return _compiled(chosen or DEFAULT_PATTERNS)


def _mask_pem(block: str) -> str:
    lines = block.splitlines()
    if len(lines) < 2:
        return SHORT_MASK
    return f"{lines[0]}\n{ELLIPSIS}redacted{ELLIPSIS}\n{lines[-1]}"


def _replace(match: re.Match[str]) -> str:
    whole = match.group(0)
    if whole.startswith("-----BEGIN"):
        return _mask_pem(whole)
    for index in range(match.re.groups, 0, -1):
        value = match.group(index)
        if value:
            start, end = match.span(index)
            offset = match.start(0)
            return whole[: start - offset] + mask(value) + whole[end - offset :]
    return mask(whole)


def redact(text: str, patterns: Sequence[str] | None = None) -> str:
    """Return C{text} with every secret the patterns find masked."""
    if not text:
        return text
    for compiled in compile_patterns(patterns):
        text = compiled.sub(_replace, text)
    return text


__all__ = ["DEFAULT_PATTERNS", "compile_patterns", "mask", "redact"]
