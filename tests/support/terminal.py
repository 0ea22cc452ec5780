"""
A child process on a pseudo-terminal, for driving interactive commands as an
operator would: wait for a prompt (it need not end a line), type an answer.

    term = spawn_terminal(reactor, [OPENCLAW, "secrets", "configure"], env, cwd)
    await term.answer("Provider alias: ", "vault")
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from twisted.internet.defer import Deferred, succeed

from tests.e2e.processes import TIMEOUT, ChildFailed, ChildProcess


class Terminal(ChildProcess):
    """A child on a pty: wait for a prompt (no newline needed), type an answer."""

    def __init__(self, reactor: Any, argv: list[str]) -> None:
        super().__init__(reactor, argv, "terminal")
        self._seen = 0
        self._waiter: tuple[re.Pattern[str], Deferred] | None = None

    def childDataReceived(self, childFD: int, data: bytes) -> None:
        super().childDataReceived(childFD, data)
        if self._waiter is not None:
            regex, d = self._waiter
            match = self._search(regex)
            if match is not None:
                self._waiter = None
                d.callback(match)

    def _search(self, regex: re.Pattern[str]) -> re.Match[str] | None:
        match = regex.search(self.stdout, self._seen)
        if match is not None:
            self._seen = match.end()
        return match

    def expect(self, text: str, timeout: float = TIMEOUT) -> Deferred:
        regex = re.compile(re.escape(text))
        match = self._search(regex)
        if match is not None:
            return succeed(match)
        if self.ended:
            raise ChildFailed(f"exited before prompting {text!r}\n{self.describe()}")
        d: Deferred = Deferred()
        self._waiter = (regex, d)
        return self._bounded(d, timeout, repr(text))

    def processEnded(self, reason: Any) -> None:
        super().processEnded(reason)
        if self._waiter is not None:
            regex, d = self._waiter
            self._waiter = None
            d.errback(ChildFailed(f"exited before prompting {regex.pattern!r}\n{self.describe()}"))

    async def answer(self, prompt: str, text: str) -> None:
        await self.expect(prompt)
        self.transport.write(text.encode() + b"\r")  # Enter on a terminal


def spawn_terminal(reactor: Any, argv: list[str], env: Mapping[str, str], cwd: Any) -> Terminal:
    """Start C{argv} on a new pty with exactly C{env}."""
    term = Terminal(reactor, argv)
    reactor.spawnProcess(term, argv[0], argv, env=dict(env), path=str(cwd), usePTY=True)
    return term
