"""chat.history's view of a transcript: directives and silent rows gone, text capped, tools kept."""

from __future__ import annotations

from openclaw.agents.sessions.display import MAX_IMAGE_DATA, history_messages
from openclaw.agents.sessions.entry import TranscriptEntry


def entries(*messages: dict) -> list[TranscriptEntry]:
    return [TranscriptEntry(f"e{n}", f"e{n - 1}" if n > 1 else None, n, 1000 + n, "message", m)
            for n, m in enumerate(messages, 1)]


def text(role: str, *parts: str, **extra) -> dict:
    return {"role": role, "content": [{"type": "text", "text": p} for p in parts], **extra}


def test_directive_tags_are_removed_and_silent_replies_dropped():
    shown = history_messages(entries(
        text("user", "hi [[not_a_directive_here]]"),
        text("assistant", "[[reply_to_current]] Hello [[reply_to: 42]]"),
        text("assistant", "NO_REPLY"),
        text("assistant", "  [[audio_as_voice]] "),
        text("assistant", "NO_REPLY", "more"),
    ))
    assert [m["content"] for m in shown] == [
        [{"type": "text", "text": "hi [[not_a_directive_here]]"}],
        [{"type": "text", "text": "Hello"}],
        [{"type": "text", "text": "NO_REPLY"}, {"type": "text", "text": "more"}],
    ]
    assert [m["__openclaw"]["seq"] for m in shown] == [1, 2, 5]


def test_text_is_capped_per_message_across_its_blocks():
    (capped, short) = history_messages(entries(text("assistant", "a" * 6, "b" * 6), {"role": "user", "content": "c" * 5}),
                                       maxChars=8)
    assert capped["content"] == [{"type": "text", "text": "aaaaaa"}, {"type": "text", "text": "bb"}]
    assert capped["__openclaw"]["truncated"] is True
    assert short["content"] == "ccccc" and "truncated" not in short["__openclaw"]
    (long,) = history_messages(entries(text("user", "x" * 9000)))
    assert len(long["content"][0]["text"]) == 8000


def test_tool_calls_and_results_pass_through():
    call = {"type": "toolCall", "id": "call-1", "name": "read", "arguments": {"path": "a.txt"}}
    result = {"role": "toolResult", "toolCallId": "call-1", "toolName": "read", "isError": False,
              "content": [{"type": "text", "text": "y" * 20}]}
    shown = history_messages(entries({"role": "assistant", "content": [call], "stopReason": "toolUse"}, result),
                             maxChars=10)
    assert shown[0]["content"] == [call] and shown[0]["stopReason"] == "toolUse"
    assert shown[1]["toolCallId"] == "call-1" and shown[1]["content"] == [{"type": "text", "text": "y" * 10}]


def test_reset_markers_show():
    marker = TranscriptEntry("r", None, 1, 5, "reset", {"role": "system", "content": [{"type": "text", "text": "Reset"}]})
    (shown,) = history_messages([marker])
    assert shown["__openclaw"] == {"id": "r", "seq": 1, "kind": "reset"}


def test_small_images_keep_their_data_and_big_ones_show_only_their_size():
    small = {"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"}
    big = {"type": "image", "data": "A" * (MAX_IMAGE_DATA + 4), "mimeType": "image/jpeg"}
    (shown,) = history_messages(entries({"role": "user", "content": [{"type": "text", "text": "look"}, small, big]}))
    assert shown["content"] == [
        {"type": "text", "text": "look"}, small,
        {"type": "image", "mimeType": "image/jpeg", "omitted": True, "bytes": (MAX_IMAGE_DATA + 4) * 3 // 4},
    ]
