"""
The HTTP connection pools of the gateway's outbound clients (model
providers, the Telegram Bot API, web_fetch).

Twisted's pool makes one client factory per connection, and a factory logs
"Starting factory" and "Stopping factory" at info level each time: one line per
upstream connection in the operator's log, and a cost on every streamed request.
"""

from __future__ import annotations

from typing import Any

from twisted.web.client import HTTPConnectionPool, _HTTP11ClientFactory


class _QuietFactory(_HTTP11ClientFactory):
    noisy = False


def quiet_pool(reactor: Any, persistent: bool = True) -> HTTPConnectionPool:
    """A pool whose connections open and close without log lines."""
    pool = HTTPConnectionPool(reactor, persistent=persistent)
    pool._factory = _QuietFactory
    return pool


__all__ = ["quiet_pool"]
