"""
The Control UI: a static web app served under C{gateway.controlUi.basePath}, with
the SPA fallback to C{index.html} and the authenticated bootstrap
C{control-ui-config.json} the app reads first. The app is our own (the package's
C{openclaw/controlui/} directory) unless C{gateway.controlUi.root} names another
build (such as the OpenClaw web app's), which then wins.

Files are read in a thread, never on the reactor.
"""

from __future__ import annotations

import base64
import hashlib
import html
import mimetypes
import os
import re
from typing import Any
from urllib.parse import unquote

from klein import Klein
from twisted.internet import threads
from twisted.internet.defer import Deferred
from twisted.python.filepath import FilePath, InsecurePath
from twisted.web import http
from twisted.web.iweb import IRequest

import openclaw
from openclaw import VERSION
from openclaw.gateway.http.auth import BearerAuth, refuse
from openclaw.gateway.http.responses import json_response, not_found

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".mjs": "application/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".webmanifest": "application/manifest+json; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".wasm": "application/wasm",
}
_IMMUTABLE = b"public, max-age=31536000, immutable"
_CSP = (
    "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; "
    "frame-src 'self' http: https:; script-src 'self'{scripts}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' data: blob:; font-src 'self'; worker-src 'self'; "
    "connect-src 'self' ws: wss: data:"
)
_PERMISSIONS = b"camera=(self), microphone=*, geolocation=*, clipboard-write=*"
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_HTML_TAG = re.compile(rb"<html\b", re.IGNORECASE)
_RELATIVE_REF = re.compile(rb'(\s(?:src|href)=")\./')
_CONFIG_NAMES = ("/control-ui-config.json", "/__openclaw/control-ui-config.json")
_ROOT_ONLY_CONFIG_NAME = "/__openclaw__/control-ui-config.json"
#: The Control UI this package ships (hand-written modules, no build step).
BUNDLED_ROOT = os.path.join(os.path.dirname(openclaw.__file__), "controlui")


def content_type(name: str) -> str:
    ext = os.path.splitext(name)[1].lower()
    return _CONTENT_TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def accepts_html(accept: str | None) -> bool:
    """Whether C{Accept} admits an HTML answer: missing, C{*/*}, C{text/*} or C{text/html}, unless q=0."""
    if not accept:
        return True
    for part in accept.split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        if kind.lower() not in ("text/html", "text/*", "*/*"):
            continue
        q = next((p.partition("=")[2] for p in params if p.lower().startswith("q=")), "1")
        try:
            if float(q) > 0:
                return True
        except ValueError:
            continue
    return False


def prepare_index(raw: bytes, basePath: str) -> tuple[bytes, str]:
    """
    The app's C{index.html} with the attributes the app reads on C{<html>} (base
    path; no terminal here), its relative references anchored at the base path (so a
    deep link such as C{/settings/devices} loads C{/assets/…}, not
    C{/settings/assets/…}), and the CSP that admits exactly its inline scripts.
    """
    attrs = (
        f' data-openclaw-control-ui-base-path="{html.escape(basePath)}"'
        ' data-openclaw-terminal-enabled="false"'
    ).encode()
    body = _HTML_TAG.sub(lambda m: m.group(0) + attrs, raw, count=1)
    body = _RELATIVE_REF.sub(lambda m: m.group(1) + basePath.encode() + b"/", body)
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(body)
    )
    return body, _CSP.format(scripts=hashes + " 'wasm-unsafe-eval'")


def _read(path: str) -> tuple[bytes, float] | None:
    """A file's bytes and mtime, or None when there is no readable file (runs in a thread)."""
    try:
        with open(path, "rb") as f:
            return f.read(), os.fstat(f.fileno()).st_mtime
    except (OSError, ValueError):  # missing, a directory, unreadable, a name with a NUL (%00)
        return None


class ControlUi:
    """
    Serves one asset directory under its base path; it is the last surface, so it
    answers every path no other surface routed (GET/HEAD under the base path, else 404).
    """

    app = Klein()
    maxBodyBytes = 0

    def __init__(self, hub, bearer: BearerAuth, reactor: Any, root: str, basePath: str) -> None:
        self._hub = hub
        self._bearer = bearer
        self._reactor = reactor
        self._root = FilePath(root)
        self.basePath = basePath

    @classmethod
    def configured(cls, hub, bearer: BearerAuth, reactor: Any) -> "ControlUi | None":
        """The Control UI the settings ask for (the configured root, else ours), or None when it is off."""
        ui = hub.settings.controlUi
        if not ui.enabled:
            return None
        return cls(hub, bearer, reactor, ui.root or BUNDLED_ROOT, ui.basePath)

    def handles(self, path: str) -> bool:
        base = self.basePath
        return not base or path == base or path.startswith(base + "/")

    @app.route("/", branch=True, methods=None)
    def serve(self, request: IRequest):
        """The answer for a GET/HEAD under the base path (a Deferred for files); else 404."""
        path = request.path.decode("latin-1")
        if request.method not in (b"GET", b"HEAD") or not self.handles(path):
            return not_found(request)
        rel = path[len(self.basePath):] or "/"
        assets = rel.find("/assets/")
        if assets > 0:  # a relative asset reference resolved under a deep link
            rel = rel[assets:]
        if rel in _CONFIG_NAMES or (not self.basePath and rel == _ROOT_ONLY_CONFIG_NAME):
            return Deferred.fromCoroutine(self._bootstrap(request))
        segments = [unquote(s) for s in rel.split("/") if s]
        if not segments:
            return self._index(request)
        try:
            target = self._root.descendant(segments)
        except InsecurePath:
            return not_found(request)
        # hashed build assets and ?v=<build> references never change under their name
        immutable = rel.startswith("/assets/") or b"v" in (request.args or {})
        d = self._inThread(_read, target.path)
        d.addCallback(self._file, request, target.basename(), immutable)
        return d

    # answers -----------------------------------------------------------------

    def _inThread(self, f, *args):
        return threads.deferToThreadPool(self._reactor, self._reactor.getThreadPool(), f, *args)

    def _file(self, found: tuple[bytes, float] | None, request: IRequest, name: str, immutable: bool):
        if found is None:
            if accepts_html((request.getHeader(b"accept") or b"").decode("latin-1")):
                return self._index(request)
            return not_found(request)
        body, mtime = found
        self._assetHeaders(request)
        request.setHeader(b"Content-Type", content_type(name).encode())
        request.setHeader(b"Cache-Control", _IMMUTABLE if immutable else b"no-cache")
        if request.setLastModified(mtime) is http.CACHED:
            return b""
        return body

    def _index(self, request: IRequest):
        d = self._inThread(_read, self._root.child("index.html").path)

        def render(found):
            if found is None:  # removed since start-up
                return not_found(request)
            body, csp = prepare_index(found[0], self.basePath)
            self._assetHeaders(request)
            request.setHeader(b"Content-Security-Policy", csp.encode())
            request.setHeader(b"Content-Type", b"text/html; charset=utf-8")
            request.setHeader(b"Cache-Control", b"no-cache")
            return body

        return d.addCallback(render)

    async def _bootstrap(self, request: IRequest) -> bytes:
        verdict = await self._bearer.sharedOrDevice(request)
        if not verdict.allowed:
            return refuse(request, verdict)
        default = next(a for a in self._hub.agents.healthSummary()["agents"] if a["isDefault"])
        name = default.get("name") or "Assistant"
        body = json_response(
            request,
            200,
            {
                "basePath": self.basePath,
                "assistantName": name,
                "assistantAvatar": name[:1].upper(),
                "assistantAgentId": default["agentId"],
                "serverVersion": VERSION,
                "embedSandbox": "scripts",
                "allowExternalEmbedUrls": False,
                "automaticallyFetchFavicons": False,
                "terminalEnabled": False,
                "cliAgentsEnabled": False,
                "pluginAssetsRequireAuth": True,
                "pluginFrameGrants": [],
            },
        )
        request.setHeader(b"Cache-Control", b"no-cache")
        return body

    @staticmethod
    def _assetHeaders(request: IRequest) -> None:
        request.setHeader(b"X-Frame-Options", b"DENY")
        request.setHeader(b"Permissions-Policy", _PERMISSIONS)
