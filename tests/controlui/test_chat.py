"""
The chat and sessions screens in headless Chromium against a gateway process whose
model is a scripted upstream in this test process (OpenAI chat-completions SSE): the
reply streams in as it arrives, a run is aborted, sessions are searched, reset and
deleted. Every frame the page sent is checked against the protocol schema.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred

from tests.agents.runs.conftest import DONE, MODEL, chunk, text_reply
from tests.agents.upstream import FakeUpstream, Reply, base_url, closed_by_client, serve
from tests.controlui.conftest import needs_chromium
from tests.controlui.test_browser import answer_to, sent

pytestmark = needs_chromium



@pytest.fixture
def upstream(reactor):
    fake = FakeUpstream(b"text/event-stream")
    port = serve(reactor, fake)
    yield fake, base_url(port)
    port.stopListening()


@pytest.fixture
def gateway_extra_config(upstream):
    _, base = upstream
    return {
        "models": {"providers": {"fakeup": {
            "baseUrl": f"{base}/v1", "api": "openai-completions", "apiKey": "sk-test-0123456789",
            "models": [{"id": "fake-model"}],
        }}},
        "agents": {"defaults": {"model": MODEL}},
    }


async def send(browser, page: str, text: str) -> None:
    await browser.do("fill", page=page, selector="#chat-input", value=text)
    await browser.do("press", page=page, selector="#chat-input", key="Enter")


async def settled(browser, page: str) -> None:
    """Until the newest assistant bubble has no run state left (its run ended)."""
    await browser.do("evaluate", page=page, script=(
        "() => new Promise((ok) => { const t = setInterval(() => {"
        " const all = document.querySelectorAll('#chat-messages .msg.assistant');"
        " const s = all.length ? all[all.length - 1].querySelector('.state') : null;"
        " if (s && s.textContent === '') { clearInterval(t); ok(); } }, 50); })"
    ))


@pytest_twisted.ensureDeferred
async def test_a_reply_streams_in_as_it_arrives(browser, ui_gateway, upstream):
    fake, _ = upstream
    gate = Deferred()
    reply = text_reply("The", " quick", " brown", " fox.")
    body = list(reply.body)
    fake.reply(Reply(body[:3] + [gate] + body[3:]))  # role, "The", " quick" … then wait for the test
    await browser.do("open", page="a", url=ui_gateway.url("chat"))
    await browser.do("waitText", page="a", selector="#chat-agent", text="main")
    await send(browser, "a", "hello from the browser")
    await browser.do("waitText", page="a", selector="#chat-messages .msg.user", text="hello from the browser")
    partial = await browser.do("waitText", page="a", selector="#chat-messages .msg.assistant", text="The quick")
    assert "brown" not in partial and "streaming" in partial
    gate.callback(None)
    await browser.do("waitText", page="a", selector="#chat-messages .msg.assistant .text", text="The quick brown fox.")
    await settled(browser, "a")  # the final event, which may follow the last delta by a moment
    assert fake.requests[0].body["messages"][-1]["content"] in ("hello from the browser", [{"type": "text", "text": "hello from the browser"}])
    report = await browser.checked_report("a")
    (request,) = sent(report, "chat.send")
    assert request["params"]["sessionKey"] == "agent:main:main" and answer_to(report, request)["ok"]
    states = [f["frame"]["payload"]["state"] for f in report["frames"] if f["dir"] == "received" and f["frame"].get("event") == "chat"]
    assert "delta" in states and states[-1] == "final"


@pytest_twisted.ensureDeferred
async def test_a_run_is_aborted_from_the_page(browser, ui_gateway, upstream, reactor):
    fake, _ = upstream
    fake.reply(Reply([chunk({"role": "assistant", "content": ""}), chunk({"content": "Thinking hard"})], end="hang"))
    await browser.do("open", page="a", url=ui_gateway.url("chat"))
    await browser.do("waitText", page="a", selector="#chat-agent", text="main")
    await send(browser, "a", "take your time")
    await browser.do("waitText", page="a", selector="#chat-messages .msg.assistant", text="Thinking hard")
    seen = await fake.arrived(1)
    await browser.do("click", page="a", selector="#chat-abort")
    await browser.do("waitText", page="a", selector="#chat-messages .msg.assistant .state", text="aborted")
    assert await closed_by_client(seen, reactor)  # the gateway hung up on the model
    report = await browser.checked_report("a")
    (abort,) = sent(report, "chat.abort")
    assert abort["params"] == {"sessionKey": "agent:main:main", "agentId": "main"}
    assert answer_to(report, abort)["payload"]["aborted"] is True


@pytest_twisted.ensureDeferred
async def test_tool_calls_are_shown_folded(browser, ui_gateway, upstream):
    fake, _ = upstream
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "read", "arguments": '{"path": "AGENTS.md"}'}}
    fake.reply(Reply([
        chunk({"role": "assistant", "content": "Let me look."}), chunk({"tool_calls": [call]}),
        chunk(finish="tool_calls"), DONE,
    ]), text_reply("It says hello."))
    await browser.do("open", page="a", url=ui_gateway.url("chat"))
    await browser.do("waitText", page="a", selector="#chat-agent", text="main")
    await send(browser, "a", "what is in AGENTS.md?")
    await settled(browser, "a")
    await browser.do("waitText", page="a", selector="#chat-messages .msg.assistant details summary", text="Tool: read")
    assert await browser.do("evaluate", page="a", script="() => document.querySelector('#chat-messages details').open") is False
    await browser.do("click", page="a", selector="#chat-messages details summary")
    await browser.do("waitText", page="a", selector="#chat-messages details pre", text="How to work")  # the tool's result: the default AGENTS.md
    assert "Let me look." in await browser.do("text", page="a", selector="#chat-messages .msg.assistant .text")
    await browser.checked_report("a")


@pytest_twisted.ensureDeferred
async def test_sessions_are_listed_searched_reset_and_deleted(browser, ui_gateway, upstream):
    fake, _ = upstream
    fake.reply(text_reply("One."), text_reply("Two."))
    await browser.do("open", page="a", url=ui_gateway.url("chat?session=agent%3Amain%3Aextra"))
    await browser.do("waitText", page="a", selector="#chat-agent", text="main")
    await send(browser, "a", "first session")
    await browser.do("waitText", page="a", selector="#chat-messages .msg.assistant .text", text="One.")
    await browser.do("fill", page="a", selector="#chat-session", value="agent:main:main")
    await browser.do("press", page="a", selector="#chat-session", key="Tab")
    await send(browser, "a", "second session")
    await browser.do("waitText", page="a", selector="#chat-messages .msg.assistant .text", text="Two.")
    await browser.do("click", page="a", selector='nav a:text("Sessions")')
    listing = await browser.do("waitText", page="a", selector="#session-list", text="agent:main:extra")
    assert "agent:main:main" in listing
    await browser.do("fill", page="a", selector="#session-search", value="extra")
    await browser.do("evaluate", page="a", script="() => new Promise((ok) => { const t = setInterval(() => { if (document.querySelectorAll('#session-list tbody tr').length === 1) { clearInterval(t); ok(); } }, 50); })")
    await browser.do("click", page="a", selector='tr[data-key="agent:main:extra"] button:text("Delete")')
    await browser.do("waitText", page="a", selector="#session-list", text="No sessions")
    await browser.do("fill", page="a", selector="#session-search", value="")
    await browser.do("waitText", page="a", selector="#session-list", text="agent:main:main")
    await browser.do("click", page="a", selector='tr[data-key="agent:main:main"] button:text("Reset")')
    await browser.do("waitAnswers", page="a", method="sessions.reset", count=1)
    report = await browser.checked_report("a")
    (reset,) = sent(report, "sessions.reset")
    assert answer_to(report, reset)["ok"]
    (delete,) = sent(report, "sessions.delete")
    assert answer_to(report, delete)["payload"]["deleted"] is True
    assert [s["params"].get("search") for s in sent(report, "sessions.list") if "search" in s["params"]][-1] == "extra"


@pytest_twisted.ensureDeferred
async def test_history_pages_back(browser, ui_gateway, upstream):
    fake, _ = upstream
    fake.reply(*(text_reply(f"Answer {n}.") for n in range(30)))
    await browser.do("open", page="a", url=ui_gateway.url("chat"))
    await browser.do("waitText", page="a", selector="#chat-agent", text="main")
    for n in range(30):
        await send(browser, "a", f"question {n}")
        await browser.do("waitText", page="a", selector="#chat-messages", text=f"Answer {n}.")
    await browser.do("reload", page="a")
    await browser.do("waitText", page="a", selector="#chat-messages", text="Answer 29.")
    assert "question 0" not in await browser.do("text", page="a", selector="#chat-messages")
    await browser.do("click", page="a", selector="#chat-older")
    await browser.do("waitText", page="a", selector="#chat-messages", text="question 0")
    await browser.checked_report("a")


@pytest_twisted.ensureDeferred
async def test_screenshots_of_every_screen(browser, ui_gateway, upstream, tmp_path):
    """
    Every screen, filled with real state, photographed (desktop; the overview and chat
    also phone-sized in the dark theme). C{OPENCLAW_DOCS_SCREENSHOTS=docs/images}
    refreshes the pictures of docs/control-ui.md.
    """
    fake, _ = upstream
    fake.reply(text_reply("Hello!", " The gateway is up and", " streaming replies."))
    target = Path(os.environ.get("OPENCLAW_DOCS_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    await browser.do("open", page="a", url=ui_gateway.url("chat"))
    await browser.do("waitText", page="a", selector="#chat-agent", text="main")
    await send(browser, "a", "Are you there?")
    await browser.do("waitText", page="a", selector="#chat-messages .msg.assistant .text", text="streaming replies.")
    shots = {"chat": "#chat-messages"}
    await browser.do("screenshot", page="a", path=str(target / "control-ui-chat.png"))
    for screen, ready, text in [
        ("", "#presence", "openclaw-control-ui"), ("sessions", "#session-list", "agent:main:main"),
        ("channels", "main", "No channel accounts"), ("devices", "#paired", "openclaw-control-ui"),
        ("logs", "#log-lines", "listening on"), ("config", "#config-current", '"gateway"'),
    ]:
        await browser.do("goto", page="a", url=ui_gateway.url(screen, token=None))
        await browser.do("waitText", page="a", selector=ready, text=text)
        name = screen or "overview"
        shots[name] = ready
        await browser.do("screenshot", page="a", path=str(target / f"control-ui-{name}.png"))
    await browser.do("open", page="phone", url=ui_gateway.url(), viewport=[390, 844], colorScheme="dark")
    await browser.do("waitText", page="phone", selector="#presence", text="openclaw-control-ui")
    await browser.do("screenshot", page="phone", path=str(target / "control-ui-phone-dark.png"), fullPage=True)
    await browser.checked_report("a")
    await browser.checked_report("phone")
    assert sorted(p.name for p in target.glob("control-ui-*.png")) == sorted(
        [f"control-ui-{name}.png" for name in shots] + ["control-ui-phone-dark.png"]
    )
