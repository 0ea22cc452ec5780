"""
First match wins across the HTTP surfaces (http-api.md §1.4).

Each surface is one klein class; the router asks each surface's own route map, in
order, whether it has a route for the path, and lets the first that does render the
request (a route for the path but not the method still matches: the surface
answers its 405). A surface whose paths come from the settings (hooks under
C{hooks.path}) says itself which paths are its own, with C{handles(path)}. No
surface matching is a plain 404.
"""

from __future__ import annotations

from functools import partial
from typing import Callable, Protocol, Sequence

from klein import Klein
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from openclaw.gateway.http.responses import not_found


class Surface(Protocol):
    """One HTTP API surface: a klein class instance."""

    #: The instance's klein app (C{app = Klein()} on the class).
    app: Klein
    #: The largest request body any of its routes reads (0: it reads none).
    maxBodyBytes: int


def _has_route(app: Klein, path: str) -> bool:
    try:
        app.url_map.bind("gateway", path_info=path).match()
    except (RequestRedirect, MethodNotAllowed):
        return True
    except NotFound:
        return False
    return True


class SurfaceRouter(Resource):
    isLeaf = True

    def __init__(self, surfaces: Sequence[Surface]) -> None:
        super().__init__()
        self._routes: list[tuple[Callable[[str], bool], IResource]] = [
            (getattr(s, "handles", None) or partial(_has_route, s.app), s.app.resource()) for s in surfaces
        ]
        self.maxBodyBytes = max((s.maxBodyBytes for s in surfaces), default=0)

    def render(self, request: IRequest):
        path = request.path.decode("latin-1")  # twisted.web admits only ASCII request lines
        for handles, resource in self._routes:
            if handles(path):
                return resource.render(request)
        return not_found(request)


__all__ = ["Surface", "SurfaceRouter"]
