"""First match wins across HTTP surfaces, asked through each surface's own klein routes."""

from __future__ import annotations

import pytest_twisted
from klein import Klein
from treq.testing import StubTreq

from openclaw.gateway.http.routing import SurfaceRouter


class First:
    app = Klein()
    maxBodyBytes = 10

    @app.route("/shared")
    def shared(self, request):
        return b"first"

    @app.route("/tree/", branch=True)
    def tree(self, request):
        return b"first tree"


class Second:
    app = Klein()
    maxBodyBytes = 20

    @app.route("/shared")
    def shared(self, request):
        return b"second"

    @app.route("/post-only", methods=["POST"])
    def post_only(self, request):
        return b"posted"


async def fetch(router, method, path):
    response = await StubTreq(router).request(method, "http://gw.test" + path)
    return response.code, await response.content()


@pytest_twisted.ensureDeferred
async def test_first_surface_with_a_route_answers():
    router = SurfaceRouter([First(), Second()])
    assert await fetch(router, "GET", "/shared") == (200, b"first")
    assert await fetch(router, "GET", "/tree/deep/link") == (200, b"first tree")
    assert await fetch(router, "POST", "/post-only") == (200, b"posted")
    assert router.maxBodyBytes == 20


@pytest_twisted.ensureDeferred
async def test_a_route_for_another_method_still_belongs_to_its_surface():
    code, _ = await fetch(SurfaceRouter([First(), Second()]), "GET", "/post-only")
    assert code == 405


@pytest_twisted.ensureDeferred
async def test_no_route_anywhere_is_a_plain_404():
    router = SurfaceRouter([First(), Second()])
    assert await fetch(router, "GET", "/nowhere") == (404, b"Not Found")
    assert await fetch(SurfaceRouter([]), "GET", "/shared") == (404, b"Not Found")
