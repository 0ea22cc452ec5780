"""
Transcript entries as C{chat.history} shows them: reply directives (C{[[reply_to_current]]},
C{[[reply_to:<id>]]}, C{[[audio_as_voice]]}, …) removed from the text, rows that are
only the silent C{NO_REPLY} token (or nothing once the directives are gone) dropped,
and each message's text capped (C{maxChars} over all its text, the cut marked in
C{__openclaw.truncated}). Tool calls (C{{type:"toolCall", id, name, arguments}}) and
tool results (C{role:"toolResult"}, C{toolCallId}, C{toolName}, C{isError}) pass
through, their text capped likewise. Image parts (C{{type:"image", data, mimeType}})
keep their data up to L{MAX_IMAGE_DATA} base64 characters; a bigger one shows as
C{{type:"image", mimeType, omitted:true, bytes}} (history stays small enough to page).
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from openclaw.agents.sessions.entry import TranscriptEntry

#: The default cap on one message's text.
MAX_CHARS = 8000
SILENT_TOKEN = "NO_REPLY"
#: The largest image data (base64 characters) history carries inline.
MAX_IMAGE_DATA = 64 * 1024
_DIRECTIVE = re.compile(r"\[\[\s*[a-z_]+(?:\s*:[^\]]*)?\s*\]\]", re.IGNORECASE)


class _Budget:
    """What is left of one message's text allowance."""

    def __init__(self, maxChars: int) -> None:
        self.left = maxChars
        self.cut = False

    def take(self, text: str) -> str:
        if len(text) <= self.left:
            self.left -= len(text)
            return text
        kept, self.left, self.cut = text[: self.left], 0, True
        return kept


def _clean(text: str, role: str) -> str:
    return _DIRECTIVE.sub("", text).strip() if role == "assistant" else text


def _image(block: dict[str, Any]) -> dict[str, Any]:
    data = block.get("data")
    if not isinstance(data, str) or len(data) <= MAX_IMAGE_DATA:
        return block
    shown = {k: v for k, v in block.items() if k != "data"}
    return {**shown, "omitted": True, "bytes": len(data) * 3 // 4 - data[-2:].count("=")}


def _content(content: Any, role: str, budget: _Budget) -> Any:
    if isinstance(content, str):
        return budget.take(_clean(content, role))
    blocks = []
    for block in content if isinstance(content, list) else ():
        if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str):
            text = _clean(block["text"], role)
            if text:
                blocks.append({**block, "text": budget.take(text)})
        elif isinstance(block, dict) and block.get("type") == "image":
            blocks.append(_image(block))
        else:
            blocks.append(block)
    return blocks


def _silent(content: Any) -> bool:
    """Nothing to show: no blocks left, or only the silent token."""
    if isinstance(content, str):
        return content.strip() in ("", SILENT_TOKEN)
    texts = [b.get("text", "").strip() for b in content if isinstance(b, dict) and b.get("type") == "text"]
    return len(texts) == len(content) and "".join(texts) in ("", SILENT_TOKEN)


def display_message(entry: TranscriptEntry, maxChars: int = MAX_CHARS) -> dict[str, Any] | None:
    """One entry as history shows it, or None when it shows nothing."""
    message = entry.wireMessage()
    role = message.get("role")
    budget = _Budget(maxChars)
    content = _content(message.get("content", []), role, budget)
    if role == "assistant" and _silent(content):
        return None
    message["content"] = content
    if budget.cut:
        message["__openclaw"]["truncated"] = True
    return message


def history_messages(entries: Iterable[TranscriptEntry], maxChars: int = MAX_CHARS) -> list[dict[str, Any]]:
    """The entries (oldest first) as C{chat.history} messages."""
    shown = (display_message(entry, maxChars) for entry in entries)
    return [message for message in shown if message is not None]
