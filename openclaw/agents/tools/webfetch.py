"""
C{web_fetch}: GET one http(s) URL and return its body as text, up to a size cap.

The host is resolved first and every address it resolves to is checked: a
loopback, private, link-local, multicast or otherwise non-public address is
refused unless C{tools.web.fetch.allowPrivateNetwork} is set. The connection
then goes to the address that was checked (TLS still verifies the host name),
so a second, different DNS answer cannot slip past the check. Redirects are
followed by hand, each target checked the same way.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any, Callable, Mapping
from urllib.parse import urljoin, urlsplit

from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP6ClientEndpoint, wrapClientTLS
from twisted.internet.protocol import Protocol
from twisted.internet.ssl import optionsForClientTLS
from twisted.web.client import Agent, HTTPConnectionPool
from twisted.web.http_headers import Headers
from twisted.web.iweb import IAgentEndpointFactory
from zope.interface import implementer

from openclaw.httppool import quiet_pool
from openclaw.agents.tools.base import AgentTool, ToolContext, ToolError, ToolResult, string_arg

_REDIRECTS = {301, 302, 303, 307, 308}


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> list[tuple[int, str]]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise ToolError(f"cannot resolve host {host}") from None
    return [(family, sockaddr[0]) for family, _, _, _, sockaddr in infos]


@implementer(IAgentEndpointFactory)
class _Pinned:
    """Connects to the address that was checked, whatever the URL's host resolves to now."""

    def __init__(self, reactor: Any, host: str, address: str, family: int) -> None:
        self._reactor, self._host, self._address, self._family = reactor, host, address, family

    def endpointForURI(self, uri: Any) -> Any:
        tcp = TCP6ClientEndpoint if self._family == socket.AF_INET6 else TCP4ClientEndpoint
        endpoint = tcp(self._reactor, self._address, uri.port, timeout=10)
        if uri.scheme == b"https":
            endpoint = wrapClientTLS(optionsForClientTLS(self._host), endpoint)
        return endpoint


class _CappedBody(Protocol):
    """Reads a body up to C{cap} bytes, calling C{onProgress(received)} as pieces arrive."""

    def __init__(self, cap: int, onProgress: Callable[[int], None] = lambda _: None) -> None:
        self.cap = cap
        self._onProgress = onProgress
        self.body = bytearray()
        self.truncated = False
        self.done: Deferred = Deferred(lambda _: self.transport.stopProducing())

    def dataReceived(self, data: bytes) -> None:
        if self.truncated:
            return
        self.body += data
        if len(self.body) > self.cap:
            del self.body[self.cap:]
            self.truncated = True
            self.transport.stopProducing()
        self._onProgress(len(self.body))

    def connectionLost(self, reason: Any) -> None:
        if not self.done.called:
            self.done.callback(None)


def _progress(url: str, received: int) -> ToolResult:
    """A download under way, as the call's partial result."""
    return ToolResult(f"received {received} bytes of {url}", {"status": "receiving", "url": url, "bytes": received})


class WebFetchTool(AgentTool):
    name = "web_fetch"
    description = "Fetch an http(s) URL and return its content as text (size-capped)."
    parameters = {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]}

    def run(self, args: Mapping[str, Any], context: ToolContext) -> Deferred:
        url = string_arg(args, "url")
        return Deferred.fromCoroutine(self._fetch(url, context))

    async def _fetch(self, url: str, context: ToolContext) -> ToolResult:
        limits = context.settings.webFetch
        pool = quiet_pool(context.reactor, persistent=False)
        for _ in range(limits.maxRedirects + 1):
            response = await self._get(url, context, pool)
            location = response.headers.getRawHeaders(b"location")
            if response.code in _REDIRECTS and location:
                response.deliverBody(_CappedBody(0))
                url = urljoin(url, location[0].decode("latin-1"))
                continue
            body = _CappedBody(limits.maxBytes, lambda received: context.update(_progress(url, received)))
            response.deliverBody(body)
            await self._bounded(body.done, context)
            contentType = (response.headers.getRawHeaders(b"content-type") or [b""])[0].decode("latin-1")
            text = bytes(body.body).decode(_charset(contentType), errors="replace")
            if body.truncated:
                text += f"\n[truncated at {limits.maxBytes} bytes]"
            details = {"url": url, "status": response.code, "contentType": contentType, "bytes": len(body.body),
                       "truncated": body.truncated}
            return ToolResult(text, details, isError=response.code >= 400)
        raise ToolError(f"too many redirects (more than {limits.maxRedirects})")

    async def _get(self, url: str, context: ToolContext, pool: HTTPConnectionPool) -> Any:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ToolError("url must be an absolute http or https URL")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = await context.inThread(_resolve, parts.hostname, port)
        if not addresses:
            raise ToolError(f"cannot resolve host {parts.hostname}")
        if not context.settings.webFetch.allowPrivateNetwork:
            refused = sorted({a for _, a in addresses if not is_public(a)})
            if refused:
                raise ToolError(f"refusing to fetch {parts.hostname}: it resolves to a private or local address")
        family, address = addresses[0]
        agent = Agent.usingEndpointFactory(context.reactor, _Pinned(context.reactor, parts.hostname, address, family), pool)
        try:
            target = url.encode("ascii")
        except UnicodeEncodeError:
            raise ToolError("url must be ASCII (percent-encode other characters)") from None
        request = agent.request(b"GET", target, Headers({b"user-agent": [b"openclaw-gateway web_fetch"]}))
        return await self._bounded(request, context)

    @staticmethod
    async def _bounded(d: Deferred, context: ToolContext) -> Any:
        timeout = context.settings.webFetch.timeoutSeconds
        timer = context.clock.callLater(timeout, d.cancel)
        try:
            return await d
        except CancelledError:
            raise ToolError(f"fetch timed out after {timeout:g} s") from None
        finally:
            if timer.active():
                timer.cancel()


def _charset(contentType: str) -> str:
    for part in contentType.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            try:
                "".encode(value.strip('"'))
                return value.strip('"')
            except LookupError:
                break
    return "utf-8"
