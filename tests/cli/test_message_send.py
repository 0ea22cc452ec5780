"""C{openclaw message send} without a channel configured: the message goes into a WebChat session."""

from __future__ import annotations

import pytest_twisted


@pytest_twisted.ensureDeferred
async def test_message_send_posts_into_a_webchat_session(cli):
    await cli.gateway()
    sent = await cli.run("message", "send", "--target", "main", "--message", "Back at six")
    assert (sent.code, sent.lines) == (0, ["Sent to main via webchat."]), sent
    as_json = await cli.run("message", "send", "--target", "notes", "--message", "Milk", "--json")
    assert as_json.code == 0, as_json
    assert as_json.json()["channel"] == "webchat" and as_json.json()["conversationId"] == "agent:main:notes"
