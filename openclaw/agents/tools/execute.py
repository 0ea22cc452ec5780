"""
C{exec}: a shell command run through the reactor (C{spawnProcess}), never
blocking it. The command starts in the workspace (or a directory inside it),
in a session of its own so that on timeout the whole process group is killed;
its output (stdout and stderr, as they arrive) is kept up to the configured cap,
and each piece is reported as the call's partial result (the last
L{UPDATE_TAIL} bytes so far; the run paces these into C{tool} C{update} events).

The confinement is of the working directory and of the arguments this tool
takes; a shell command can still name paths elsewhere (sandboxing is later).
"""

from __future__ import annotations

import os
import signal
from typing import Any, Callable, Mapping

from twisted.internet.defer import Deferred
from twisted.internet.protocol import ProcessProtocol

from openclaw.agents.tools.base import AgentTool, ToolContext, ToolResult, int_arg, string_arg

#: What a command's environment keeps of the gateway's: nothing secret.
_PASSED_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "TERM")


#: Seconds between attempts to collect the exit status of a child whose pipes have closed.
_REAP_INTERVAL = 0.05

#: How much of the output so far (bytes, its end) a partial result carries.
UPDATE_TAIL = 8192


class _Collect(ProcessProtocol):
    """
    Keeps the output up to C{cap} bytes. Once every pipe has closed, the exit status
    is collected by polling as well: a reactor run without signal handlers (an
    embedding application, the tests) never hears SIGCHLD.
    """

    def __init__(self, cap: int, reactor: Any, onOutput: Callable[[], None] = lambda: None) -> None:
        self.cap = cap
        self._onOutput = onOutput
        self.output = bytearray()
        self.dropped = 0
        #: Cancelling it (the run was stopped) kills the command.
        self.ended: Deferred = Deferred(lambda _: self.kill())
        self._reactor = reactor
        self._open = 3
        self._reaping: Any = None

    def connectionMade(self) -> None:
        self.transport.closeStdin()

    def childDataReceived(self, fd: int, data: bytes) -> None:
        room = self.cap - len(self.output)
        self.output += data[:max(room, 0)]
        self.dropped += max(len(data) - max(room, 0), 0)
        if room > 0:
            self._onOutput()

    def childConnectionLost(self, fd: int) -> None:
        self._open -= 1
        if self._open == 0 and not self.ended.called:
            self._reaping = self._reactor.callLater(_REAP_INTERVAL, self._reap)

    def _reap(self) -> None:
        self._reaping = None
        self.transport.reapProcess()
        if not self.ended.called:
            self._reaping = self._reactor.callLater(_REAP_INTERVAL, self._reap)

    def kill(self) -> None:
        """SIGKILL the command's process group, and the process itself in case it has not made its group yet."""
        pid = self.transport.pid
        if pid is None:
            return  # it ended meanwhile
        for killer in (os.killpg, os.kill):
            try:
                killer(pid, signal.SIGKILL)
            except OSError:
                pass

    def processEnded(self, reason: Any) -> None:
        if self._reaping is not None:
            self._reaping.cancel()
            self._reaping = None
        if not self.ended.called:  # (a cancelled call has its answer already)
            self.ended.callback(reason.value)


def _partial(proto: _Collect) -> ToolResult:
    """The output so far, as a running call's partial result."""
    tail = bytes(proto.output[-UPDATE_TAIL:]).decode("utf-8", errors="replace")
    return ToolResult(tail, {"status": "running", "outputBytes": len(proto.output)})


class ExecTool(AgentTool):
    name = "exec"
    description = (
        "Run a shell command in the workspace and return its output and exit code. "
        "Optional workdir (inside the workspace) and timeout (seconds)."
    )
    parameters = {
        "type": "object",
        "properties": {"command": {"type": "string"}, "workdir": {"type": "string"}, "timeout": {"type": "integer"}},
        "required": ["command"],
    }

    def run(self, args: Mapping[str, Any], context: ToolContext) -> Deferred:
        command = string_arg(args, "command")
        workdir = string_arg(args, "workdir", required=False)
        cwd = context.inWorkspace(workdir) if workdir else os.path.realpath(context.workspace)
        limits = context.settings.exec
        timeout = int_arg(args, "timeout", None, 1, int(limits.timeoutSeconds)) or limits.timeoutSeconds
        env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
        env["HOME"] = os.path.realpath(context.workspace)
        proto = _Collect(limits.maxOutputBytes, context.reactor, lambda: context.update(_partial(proto)))
        context.reactor.spawnProcess(
            proto, "/usr/bin/setsid", ["setsid", "/bin/sh", "-c", command], env=env, path=cwd,
            childFDs={0: "w", 1: "r", 2: "r"},
        )
        timedOut: list[bool] = []

        def kill() -> None:
            timedOut.append(True)
            proto.kill()

        timer = context.clock.callLater(timeout, kill)

        def stopTimer(result: Any) -> Any:
            if timer.active():
                timer.cancel()
            return result

        return proto.ended.addBoth(stopTimer).addCallback(self._result, proto, timedOut, timeout)

    @staticmethod
    def _result(ended: Any, proto: _Collect, timedOut: list[bool], timeout: float) -> ToolResult:
        text = proto.output.decode("utf-8", errors="replace")
        code = getattr(ended, "exitCode", None)
        details: dict[str, Any] = {"exitCode": code, "truncated": proto.dropped > 0}
        if proto.dropped:
            text += f"\n[output truncated: {proto.dropped} more bytes]"
        if timedOut:
            details["timedOut"] = True
            return ToolResult(f"{text}\n[killed after {timeout:g} s]".lstrip("\n"), details, isError=True)
        return ToolResult(text if code == 0 else f"{text}\n[exit code {code}]".lstrip("\n"), details, isError=code != 0)
