"""
Agent runs through our gateway, seen by the real, unmodified OpenClaw: the CLI's
C{openclaw agent} prints the reply a fake upstream streamed, C{openclaw sessions}
(which reads our session store's file itself) lists the session it ran in, and the
real Control UI's chat screen (headless Chromium) shows a reply while it is still
streaming, then the whole of it.

The fake upstream speaks OpenAI chat-completions SSE and runs in the test process
(twisted.web on 127.0.0.1); our gateway is a child process whose config names it
as the provider C{fakeup}.
"""

from __future__ import annotations

import json
import os

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred

from tests.conftest import TOKEN
from tests.e2e.processes import PYTHON, spawn
from tests.agents.upstream import FakeUpstream, Reply, base_url, serve, sse
from tests.interop.test_control_ui import BROWSER_SCRIPT, CHROMIUM, PAGE_TIMEOUT, errors_by_method
from tests.support.wire_schema import assert_valid_frame

UPSTREAM_KEY = "sk-fake-upstream-0123"
#: Loading the screen, sending and streaming share one deadline in the browser script.
CHAT_TIMEOUT = 2 * PAGE_TIMEOUT

#: What the chat screen asks for that this gateway does not serve; each is refused as an
#: unknown method (the screen works without them). Everything else it calls must succeed.
NOT_SERVED = frozenset({"models.authStatus", "sessions.observer.visibility", "tasks.list"})


def chunk(content: str | None = None, finish: str | None = None, usage: dict | None = None) -> bytes:
    body: dict = {"id": "chatcmpl-interop", "object": "chat.completion.chunk", "created": 1796600000,
                  "model": "fake-model", "choices": []}
    if usage is None:
        body["choices"] = [{"index": 0, "delta": {} if content is None else {"content": content}, "finish_reason": finish}]
    else:
        body["usage"] = usage
    return sse((None, body))


def stream(*parts: bytes | Deferred) -> Reply:
    """A streamed completion: the parts (text chunks, or gates), then stop, usage and [DONE]."""
    ending = [chunk(finish="stop"), chunk(usage={"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}),
              sse((None, "[DONE]"))]
    return Reply(body=[chunk(""), *parts, *ending])


@pytest_twisted.async_yield_fixture(scope="module")
async def upstream(reactor):
    fake = FakeUpstream(b"text/event-stream")
    port = serve(reactor, fake)
    yield fake, base_url(port)
    await port.stopListening()


@pytest.fixture(scope="module")
def interop_extra_config(upstream) -> dict:
    _, url = upstream
    return {
        "models": {
            "providers": {
                "fakeup": {
                    "baseUrl": f"{url}/v1",
                    "apiKey": UPSTREAM_KEY,
                    "api": "openai-completions",
                    "models": [{"id": "fake-model", "name": "Fake Model", "contextWindow": 128000}],
                }
            }
        },
        "agents": {"defaults": {"model": "fakeup/fake-model"}},
    }


def user_texts(body: dict) -> list[str]:
    """The user turns of an upstream chat-completions request, as text."""
    texts = []
    for message in body["messages"]:
        if message["role"] == "user":
            content = message["content"]
            texts.append(content if isinstance(content, str) else "".join(p.get("text", "") for p in content))
    return texts


@pytest_twisted.ensureDeferred
async def test_agent_prints_the_reply_streamed_by_the_upstream(interop, upstream):
    fake, _ = upstream
    fake.reply(stream(chunk("The fake upstream "), chunk("says hello.")))
    child = await interop.run("agent", "--agent", "main", "--message", "hi from the real cli")
    assert child.exitCode == 0, child.describe()
    assert "The fake upstream says hello." in child.stdout
    request = fake.requests[-1]
    assert request.body["model"] == "fake-model" and request.body["stream"] is True
    assert user_texts(request.body)[-1] == "hi from the real cli"
    assert request.headers["authorization"] == f"Bearer {UPSTREAM_KEY}"


@pytest_twisted.ensureDeferred
async def test_sessions_lists_the_session_a_run_used(interop, upstream):
    fake, _ = upstream
    fake.reply(stream(chunk("noted")))
    key = "agent:main:interop-listing"
    ran = await interop.run("agent", "--session-key", key, "--message", "remember this session")
    assert ran.exitCode == 0, ran.describe()
    listed = await interop.run("sessions", "--json")
    assert listed.exitCode == 0, listed.describe()
    listing = json.loads(listed.stdout)
    assert listing["path"] == str(interop.install.stateDir / "agents" / "main" / "agent" / "openclaw-agent.sqlite")
    (row,) = [s for s in listing["sessions"] if s["key"] == key]
    # what our store recorded of the run, as the real CLI reads it
    assert (row["agentId"], row["status"], row["model"], row["modelProvider"]) == ("main", "done", "fake-model", "fakeup")
    assert (row["inputTokens"], row["outputTokens"]) == (12, 7)


@pytest_twisted.ensureDeferred
async def test_sessions_table_shows_the_session_a_run_used(interop, upstream):
    fake, _ = upstream
    fake.reply(stream(chunk("noted")))
    ran = await interop.run("agent", "--session-key", "agent:main:tabled", "--message", "a session for the table")
    assert ran.exitCode == 0, ran.describe()
    listed = await interop.run("sessions")
    assert listed.exitCode == 0, listed.describe()
    table = listed.stderr  # where the real CLI prints it
    store = interop.install.stateDir / "agents" / "main" / "agent" / "openclaw-agent.sqlite"
    assert f"Session store: {store}" in table, listed.describe()
    (line,) = [line for line in table.splitlines() if "agent:main:tabled" in line]
    assert "fake-model" in line, table


@pytest_twisted.ensureDeferred
async def test_doctor_leaves_our_agent_database_and_its_sessions(interop, upstream):
    """
    Our agent database holds only OpenClaw's session tables, so the real doctor
    stops at its transcript migration (exit 1, "Later repairs were not run")
    without touching the file: the real CLI still lists the session afterwards.
    """
    fake, _ = upstream
    fake.reply(stream(chunk("checked")))
    key = "agent:main:doctored"
    ran = await interop.run("agent", "--session-key", key, "--message", "a session the doctor looks at")
    assert ran.exitCode == 0, ran.describe()
    doctor = await interop.run("doctor", "--non-interactive", timeout=240)
    assert doctor.exitCode == 1, doctor.describe()
    assert "Later repairs were not run" in doctor.stderr, doctor.describe()
    listed = await interop.run("sessions", "--json")
    assert listed.exitCode == 0, listed.describe()
    assert key in [s["key"] for s in json.loads(listed.stdout)["sessions"]]


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install -y chromium)")
@pytest_twisted.ensureDeferred
async def test_chat_screen_shows_the_reply_while_it_streams(interop, upstream, tmp_path):
    fake, _ = upstream
    held: Deferred = Deferred()
    fake.reply(stream(chunk("Partial words"), held, chunk(" and the rest of the reply.")))
    argv = [
        PYTHON, BROWSER_SCRIPT, f"http://127.0.0.1:{interop.port}/chat/main#token={TOKEN}",
        "--chromium", CHROMIUM, "--timeout", str(CHAT_TIMEOUT), "--wait-text", "Fake Model",
        "--send", "hello from the ui",
        "--expect", "Partial words", "--expect", "Partial words and the rest of the reply.",
        "--screenshot", str(tmp_path / "chat.png"),
    ]
    env = {"HOME": str(interop.install.home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    browser = spawn(interop.reactor, argv, env, interop.install.root, name="chat browser")
    interop.children.append(browser)
    # the page shows the first words while the upstream still holds the rest back;
    # only then does the test let the upstream go on
    await browser.line(r"^expected: Partial words$", "stderr", timeout=CHAT_TIMEOUT + 60)
    held.callback(None)
    await browser.exited(timeout=CHAT_TIMEOUT + 60)
    assert browser.exitCode == 0, browser.describe()
    report = json.loads(browser.stdout)
    assert "Partial words and the rest of the reply." in report["text"], report["text"]
    assert user_texts(fake.requests[-1].body)[-1] == "hello from the ui"

    sent = {f["frame"]["id"]: f["frame"]["method"] for f in report["frames"] if f["dir"] == "sent" and "id" in f["frame"]}
    received = [f["frame"] for f in report["frames"] if f["dir"] == "received"]
    for frame in received:
        assert_valid_frame(frame, sent.get(frame.get("id")))
    chat = [f["payload"] for f in received if f.get("event") == "chat"]
    states = [c["state"] for c in chat if c["state"] in ("delta", "final")]
    assert states[-1] == "final" and states.count("delta") >= 2, states
    assert chat[-1]["message"]["content"] == [{"type": "text", "text": "Partial words and the rest of the reply."}]
    # the screen's calls all succeed, except the features this gateway does not serve
    errors = errors_by_method(report)
    assert set(errors) <= NOT_SERVED, errors
    for method, error in errors.items():
        assert error == {"code": "INVALID_REQUEST", "message": f"unknown method: {method}"}, (method, error)
    assert report["failedRequests"] == []
