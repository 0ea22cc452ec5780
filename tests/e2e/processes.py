"""
Real child processes for the end-to-end tests, driven by the test's reactor.

    proc = spawn(reactor, [openclaw, "gateway", "--port", "0"], env, cwd)
    match = await proc.line(r"listening on ws://127\\.0\\.0\\.1:(\\d+)")
    proc.signal("TERM")
    assert await proc.exited() == 0

Nothing here sleeps or polls: every wait is a Deferred fired by the child's output
or exit, bounded by C{addTimeout} so a hung child fails the test instead of CI.
"""

from __future__ import annotations

import re
import signal
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

from twisted.internet.defer import Deferred, TimeoutError, fail, succeed
from twisted.internet.error import ProcessExitedAlready
from twisted.internet.protocol import ProcessProtocol

#: Safety bound for any single wait on a child (seconds).
TIMEOUT = 20.0

_STREAMS = {"stdout": (1,), "stderr": (2,), "any": (1, 2)}

#: Where the console scripts of this virtualenv live (pytest runs from it).
BIN = Path(sys.executable).parent
OPENCLAW = str(BIN / "openclaw")
TWISTD = str(BIN / "twistd")
PYTHON = sys.executable
#: The checkout root (where C{twisted/plugins/openclaw_gateway.py} lives).
REPO = Path(__file__).resolve().parents[2]


class ChildFailed(AssertionError):
    """A wait on a child went wrong; the message carries everything it printed."""


class ChildProcess(ProcessProtocol):
    """
    Collects stdout/stderr (as bytes and as complete lines), fires line waiters
    when a line matches, and records the exit code (C{-N} when killed by signal N).
    """

    def __init__(self, reactor: Any, argv: Sequence[str], name: str | None = None) -> None:
        self.reactor = reactor
        self.argv = list(argv)
        self.name = name or Path(self.argv[0]).name
        self.pid: int | None = None
        self.exitCode: int | None = None
        self.ended = False
        self._raw = {1: bytearray(), 2: bytearray()}
        self._partial = {1: b"", 2: b""}
        self.lines: dict[int, list[str]] = {1: [], 2: []}
        self._lineWaiters: list[tuple[tuple[int, ...], re.Pattern[str], Deferred]] = []
        self._exitWaiters: list[Deferred] = []

    # output -------------------------------------------------------------------

    @property
    def stdout(self) -> str:
        return self._raw[1].decode("utf-8", "replace")

    @property
    def stderr(self) -> str:
        return self._raw[2].decode("utf-8", "replace")

    def describe(self) -> str:
        state = f"exit {self.exitCode}" if self.ended else "running"
        return (
            f"{self.name} (pid {self.pid}, {state}): {' '.join(self.argv)}\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )

    # ProcessProtocol ----------------------------------------------------------

    def connectionMade(self) -> None:
        self.pid = self.transport.pid

    def childDataReceived(self, childFD: int, data: bytes) -> None:
        if childFD not in self._raw:
            return
        self._raw[childFD] += data
        *complete, self._partial[childFD] = (self._partial[childFD] + data).split(b"\n")
        for raw in complete:
            self._addLine(childFD, raw)

    def _addLine(self, fd: int, raw: bytes) -> None:
        line = raw.decode("utf-8", "replace").rstrip("\r")
        self.lines[fd].append(line)
        for waiter in list(self._lineWaiters):
            fds, regex, d = waiter
            if fd in fds:
                match = regex.search(line)
                if match is not None:
                    self._lineWaiters.remove(waiter)
                    d.callback(match)

    def processEnded(self, reason: Any) -> None:
        for fd in (1, 2):
            if self._partial[fd]:
                self._addLine(fd, self._partial[fd])
                self._partial[fd] = b""
        value = reason.value
        self.exitCode = value.exitCode if value.exitCode is not None else -(value.signal or 0)
        self.ended = True
        waiters, self._lineWaiters = self._lineWaiters, []
        for _, regex, d in waiters:
            d.errback(ChildFailed(f"exited before printing /{regex.pattern}/\n{self.describe()}"))
        exits, self._exitWaiters = self._exitWaiters, []
        for d in exits:
            d.callback(self.exitCode)

    # waiting ------------------------------------------------------------------

    def _bounded(self, d: Deferred, timeout: float, what: str) -> Deferred:
        d.addTimeout(timeout, self.reactor)

        def timedOut(failure):
            failure.trap(TimeoutError)
            raise ChildFailed(f"timed out after {timeout}s waiting for {what}\n{self.describe()}")

        return d.addErrback(timedOut)

    def line(self, pattern: str, stream: str = "any", timeout: float = TIMEOUT, since: dict[int, int] | None = None) -> Deferred:
        """
        Fire with the C{re.Match} of the first line (already printed or still to
        come) on C{stream} ("stdout", "stderr" or "any") that matches C{pattern}.
        C{since} (from L{mark}) skips the lines printed before that mark.
        """
        fds = _STREAMS[stream]
        regex = re.compile(pattern)
        for fd in fds:
            for line in self.lines[fd][(since or {}).get(fd, 0):]:
                match = regex.search(line)
                if match is not None:
                    return succeed(match)
        if self.ended:
            return fail(ChildFailed(f"exited without printing /{pattern}/\n{self.describe()}"))
        waiter: tuple[tuple[int, ...], re.Pattern[str], Deferred]

        def cancel(d: Deferred) -> None:
            if waiter in self._lineWaiters:
                self._lineWaiters.remove(waiter)

        d: Deferred = Deferred(cancel)
        waiter = (fds, regex, d)
        self._lineWaiters.append(waiter)
        return self._bounded(d, timeout, f"a line matching /{pattern}/")

    def mark(self) -> dict[int, int]:
        """How many lines each stream has printed so far (for C{line(since=...)})."""
        return {fd: len(lines) for fd, lines in self.lines.items()}

    def exited(self, timeout: float = TIMEOUT) -> Deferred:
        """A new Deferred firing with the exit code (C{-N} if signal N killed it)."""
        if self.ended:
            return succeed(self.exitCode)

        def cancel(d: Deferred) -> None:
            if d in self._exitWaiters:
                self._exitWaiters.remove(d)

        d: Deferred = Deferred(cancel)
        self._exitWaiters.append(d)
        return self._bounded(d, timeout, "exit")

    # control ------------------------------------------------------------------

    def signal(self, name: str) -> None:
        """Send C{SIG<name>} ("TERM", "INT", "KILL", "USR1", …)."""
        self.transport.signalProcess(getattr(signal, f"SIG{name}"))

    def closeStdin(self) -> None:
        self.transport.closeStdin()

    async def kill(self) -> None:
        """SIGKILL unless it already ended; wait for the exit (teardown helper)."""
        if self.ended:
            return
        try:
            self.signal("KILL")
        except ProcessExitedAlready:
            pass
        await self.exited(timeout=10)


def spawn(
    reactor: Any,
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: str | Path,
    name: str | None = None,
    keepStdin: bool = False,
) -> ChildProcess:
    """Start C{argv} with exactly C{env} (nothing inherited) in C{cwd}."""
    proto = ChildProcess(reactor, argv, name)
    reactor.spawnProcess(
        proto, argv[0], list(argv), env=dict(env), path=str(cwd),
        childFDs={0: "w", 1: "r", 2: "r"},
    )
    if not keepStdin:
        proto.closeStdin()
    return proto
