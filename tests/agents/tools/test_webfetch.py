"""web_fetch: private targets refused unless allowed, every resolved address checked, bodies capped."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.web.resource import Resource
from twisted.web.server import Site
from twisted.web.util import Redirect

from openclaw.agents.tools.webfetch import is_public

ALLOW_LOCAL = {"tools": {"web": {"fetch": {"allowPrivateNetwork": True, "maxBytes": 1000}}}}


class Page(Resource):
    isLeaf = True

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body

    def render_GET(self, request):
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        return self.body


@pytest_twisted.async_yield_fixture
async def site(reactor):
    root = Resource()
    root.putChild(b"small", Page("héllo".encode()))
    root.putChild(b"big", Page(b"x" * 50_000))
    root.putChild(b"moved", Redirect(b"/small"))
    port = reactor.listenTCP(0, Site(root), interface="127.0.0.1")
    yield f"http://127.0.0.1:{port.getHost().port}"
    await port.stopListening()


@pytest.mark.parametrize("address,public", [
    ("127.0.0.1", False), ("10.1.2.3", False), ("192.168.0.1", False), ("172.16.5.4", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False),
    ("::1", False), ("fe80::1", False), ("fd00::1", False), ("::ffff:127.0.0.1", False),
    ("93.184.216.34", True), ("2606:4700::1111", True),
])
def test_public_addresses(address, public):
    assert is_public(address) is public


@pytest_twisted.ensureDeferred
async def test_a_loopback_target_is_refused_by_default(invoke, site):
    result = await invoke("web_fetch", {"url": f"{site}/small"})
    assert result.isError and "private or local address" in result.text


@pytest_twisted.ensureDeferred
async def test_a_name_resolving_to_loopback_is_refused(invoke, site):
    port = site.rsplit(":", 1)[1]
    result = await invoke("web_fetch", {"url": f"http://localhost:{port}/small"})
    assert result.isError and "localhost" in result.text


@pytest_twisted.ensureDeferred
async def test_allowed_by_setting_the_page_comes_back_as_text(invoke, site):
    result = await invoke("web_fetch", {"url": f"{site}/small"}, config=ALLOW_LOCAL)
    assert (result.isError, result.text, result.details["status"]) == (False, "héllo", 200)


@pytest_twisted.ensureDeferred
async def test_redirects_are_followed_and_checked(invoke, site):
    result = await invoke("web_fetch", {"url": f"{site}/moved"}, config=ALLOW_LOCAL)
    assert result.text == "héllo" and result.details["url"].endswith("/small")


@pytest_twisted.ensureDeferred
async def test_a_body_past_the_cap_is_cut(invoke, site):
    result = await invoke("web_fetch", {"url": f"{site}/big"}, config=ALLOW_LOCAL)
    assert result.details["truncated"] and result.details["bytes"] == 1000
    assert result.text == "x" * 1000 + "\n[truncated at 1000 bytes]"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/", "/relative", "http://"])
@pytest_twisted.ensureDeferred
async def test_only_absolute_http_urls(invoke, url):
    result = await invoke("web_fetch", {"url": url})
    assert result.isError and "absolute http or https URL" in result.text


@pytest_twisted.ensureDeferred
async def test_web_fetch_denied_by_profile(invoke):
    from openclaw.agents.tools.registry import ToolUnavailable

    with pytest.raises(ToolUnavailable) as caught:
        await invoke("web_fetch", {"url": "http://example.com/"}, config={"tools": {"profile": "messaging"}})
    assert caught.value.decision.layer == "profile"


@pytest_twisted.ensureDeferred
async def test_the_download_is_reported_as_it_arrives(make_context, site):
    from dataclasses import replace

    from openclaw.agents.tools.registry import default_registry

    partials = []
    context = replace(make_context(ALLOW_LOCAL), onUpdate=partials.append)
    result = await default_registry().invoke("web_fetch", {"url": f"{site}/big"}, context)
    assert result.details["bytes"] == 1000 and result.details["truncated"]
    assert partials and [p.details["bytes"] for p in partials] == sorted(p.details["bytes"] for p in partials)
    assert partials[-1].details == {"status": "receiving", "url": f"{site}/big", "bytes": 1000}
    assert partials[-1].text == f"received 1000 bytes of {site}/big"
