"""chat.send's image attachments: checked, stored with the user message, sent to the model, shown by chat.history."""

from __future__ import annotations

import base64

import pytest
import pytest_twisted

from openclaw.cli.client import GatewayCallError
from openclaw.gateway.methods.chat import MAX_IMAGE_BYTES
from tests.agents.runs.conftest import operator, terminal_chat, text_reply

KEY = "agent:main:main"
PNG = "iVBORw0KGgo="


@pytest_twisted.ensureDeferred
async def test_an_image_attachment_reaches_the_model_and_the_transcript(gateway, upstream):
    upstream.reply(text_reply("A ", "cat."))
    client = await operator(gateway)
    await client.call("chat.send", {"sessionKey": KEY, "message": "what is this?", "idempotencyKey": "img-1",
                                    "attachments": [{"type": "image", "mimeType": "image/png", "content": PNG}]})
    assert (await terminal_chat(client, "img-1"))["payload"]["state"] == "final"
    assert upstream.requests[0].body["messages"][-1] == {"role": "user", "content": [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
    ]}
    history = await client.call("chat.history", {"sessionKey": KEY})
    assert history["messages"][0]["content"] == [
        {"type": "text", "text": "what is this?"}, {"type": "image", "data": PNG, "mimeType": "image/png"}]


@pytest_twisted.ensureDeferred
async def test_an_image_alone_is_a_message(gateway, upstream):
    upstream.reply(text_reply("A cat."))
    client = await operator(gateway)
    await client.call("chat.send", {"sessionKey": KEY, "message": "", "idempotencyKey": "img-2",
                                    "attachments": [{"type": "image", "content": f"data:image/png;base64,{PNG}"}]})
    await terminal_chat(client, "img-2")
    assert upstream.requests[0].body["messages"][-1]["content"] == [
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}]


@pytest.mark.parametrize("attachment, why", [
    ({"type": "file", "mimeType": "text/plain", "content": "aGk="}, "only image attachments are supported"),
    ({"type": "image", "mimeType": "text/plain", "content": "aGk="}, "mimeType must be an image type"),
    ({"type": "image", "mimeType": "image/png", "content": "not base64!"}, "content is not base64"),
    ({"type": "image", "mimeType": "image/png",
      "content": base64.b64encode(b"x" * (MAX_IMAGE_BYTES + 1)).decode()}, f"larger than {MAX_IMAGE_BYTES} bytes"),
])
@pytest_twisted.ensureDeferred
async def test_bad_attachments_are_refused(gateway, upstream, attachment, why):
    client = await operator(gateway)
    with pytest.raises(GatewayCallError) as refused:
        await client.call("chat.send", {"sessionKey": KEY, "message": "look", "idempotencyKey": "img-3",
                                        "attachments": [attachment]})
    assert refused.value.code == "INVALID_REQUEST"
    assert refused.value.message == f"invalid chat.send params: attachments.0: {why}"
    assert upstream.requests == []
