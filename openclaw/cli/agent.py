"""
C{openclaw agent --message <text> [--agent <id>] [--session-key <key>] [--json]}:
one agent turn on the running gateway (the two-stage C{agent} call), its reply
written to stdout as the run's C{agent} assistant events bring it; with C{--json}
the final answer as one document instead.

Exit 0 when the run completed, 1 when it failed, was stopped or timed out (the
reason on stderr), as OpenClaw's CLI does. Ctrl-C stops the run on the gateway
(C{chat.abort}) and exits 130; a second one ends the CLI at once.
"""

from __future__ import annotations

import os
import signal
import sys
import uuid
from typing import Any, MutableMapping

from twisted.internet.defer import TimeoutError
from twisted.python import usage

from openclaw.cli.client import GatewayCallError, GatewayClosed
from openclaw.cli.connect import open_client
from openclaw.cli.errors import CliError
from openclaw.cli.options import ClientOptions, parse, positive_int
from openclaw.cli.output import print_json
from openclaw.cli.runner import run_cli
from openclaw.cli.target import require_credentials, resolve_target

#: The run's own timeout when C{--timeout} is not given (seconds), as in OpenClaw's CLI.
DEFAULT_RUN_TIMEOUT = 600
#: How long past the run's timeout the CLI waits for the final answer (seconds).
FINAL_ANSWER_GRACE = 30
#: C{--message-file} larger than this is refused.
MESSAGE_FILE_MAX = 4 * 1024 * 1024


class AgentOptions(ClientOptions):
    synopsis = (
        "Usage: openclaw agent --message <text> [--agent <id>] [--session-key <key>] [--model <ref>] "
        "[--timeout <seconds>] [--json]"
    )
    optFlags = [["deliver", None, "Send the reply back to the session's channel."]]
    optParameters = [
        ["message", "m", None, "The message for the agent."],
        ["message-file", None, None, "Read the message from a UTF-8 file (at most 4 MiB)."],
        ["agent", None, None, "The agent id (default: the default agent)."],
        ["session-key", None, None, "The session key (agent:<id>:<key>, or a key of --agent)."],
        ["model", None, None, "A model for this run (provider/model or a configured name)."],
        ["thinking", None, None, "Thinking level, where the model supports one."],
        ["timeout", None, None, f"The run's timeout in seconds (default {DEFAULT_RUN_TIMEOUT})."],
    ]

    def postOptions(self) -> None:
        runTimeout, self["timeout"] = self["timeout"], None  # here --timeout is the run's, in seconds
        super().postOptions()
        self.runTimeoutSeconds = positive_int("--timeout", runTimeout, DEFAULT_RUN_TIMEOUT)
        if self["message"] is not None and self["message-file"] is not None:
            raise usage.UsageError("Use either --message or --message-file, not both.")
        if self["message-file"] is not None:
            self["message"] = _read_message(self["message-file"])
        if not (self["message"] or "").strip():
            raise usage.UsageError("agent needs --message (or --message-file)")

    def params(self, runId: str) -> dict[str, Any]:
        """The C{agent} request."""
        params: dict[str, Any] = {
            "message": self["message"], "deliver": bool(self["deliver"]), "timeout": self.runTimeoutSeconds,
            "idempotencyKey": runId,
        }
        for key, name in (("agentId", "agent"), ("sessionKey", "session-key"), ("model", "model"), ("thinking", "thinking")):
            if self[name]:
                params[key] = self[name]
        return params


def _read_message(path: str) -> str:
    try:
        if os.path.getsize(path) > MESSAGE_FILE_MAX:
            raise usage.UsageError(f"--message-file {path} is larger than 4 MiB")
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise usage.UsageError(f"cannot read --message-file {path}: {e}") from None


class ReplyPrinter:
    """Writes the run's reply text to stdout as its C{agent} assistant events arrive."""

    def __init__(self, runId: str, stream: Any) -> None:
        self._runId = runId
        self._stream = stream
        self.printed = ""

    def __call__(self, frame: dict[str, Any]) -> None:
        payload = frame.get("payload") or {}
        if frame.get("event") != "agent" or payload.get("runId") != self._runId or payload.get("stream") != "assistant":
            return
        delta = (payload.get("data") or {}).get("delta") or ""
        if delta:
            self._stream.write(delta)
            self._stream.flush()
            self.printed += delta

    def finish(self, answer: dict[str, Any]) -> None:
        """End the streamed reply; print the answer's payloads when nothing was streamed."""
        if self.printed:
            if not self.printed.endswith("\n"):
                self._stream.write("\n")
            return
        texts = [p["text"] for p in (answer.get("result") or {}).get("payloads") or [] if p.get("text")]
        if texts:
            self._stream.write("\n".join(texts) + "\n")
        elif answer.get("status") == "ok":
            self._stream.write("No reply from agent.\n")


class Interrupt:
    """
    SIGINT while the run goes: stop it on the gateway (C{chat.abort} with the session
    the C{accepted} answer named) instead of leaving it running; the handler before
    it is back for a second SIGINT. Before the run was accepted it just stops the CLI.
    """

    def __init__(self, reactor: Any, client: Any, runId: str) -> None:
        self._reactor = reactor
        self._client = client
        self._runId = runId
        self.requested = False
        self._previous = signal.signal(signal.SIGINT, self._received)

    def restore(self) -> None:
        if not self.requested:
            signal.signal(signal.SIGINT, self._previous)

    def _received(self, signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, self._previous)
        self.requested = True
        self._reactor.callFromThread(self._abort)

    def _accepted(self) -> dict[str, Any] | None:
        """The first answer to the C{agent} request, once it came."""
        client = self._client
        for frame in client.frames:
            payload = frame.get("payload") or {}
            if frame.get("type") == "res" and client.methods.get(frame["id"]) == "agent" and payload.get("status") == "accepted":
                return payload
        return None

    def _abort(self) -> None:
        accepted = self._accepted()
        if accepted is None:
            self._reactor.stop()
            return
        d = self._client.call("chat.abort", {"sessionKey": accepted["sessionKey"], "runId": self._runId}, timeout=10)
        d.addErrback(lambda f: sys.stderr.write(f"Interrupted; run {self._runId} was not confirmed stopped: {f.getErrorMessage()}\n"))


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(AgentOptions, argv, environ, "agent")

    async def body(reactor: Any) -> int:
        target = resolve_target(options)
        require_credentials(target, options.local, "agent")
        runId = str(uuid.uuid4())
        printer = None if options["json"] else ReplyPrinter(runId, sys.stdout)
        client = await open_client(reactor, target, options.timeoutMs, onEvent=printer)
        interrupt = Interrupt(reactor, client, runId)
        try:
            answer = await client.call(
                "agent", options.params(runId), timeout=options.runTimeoutSeconds + FINAL_ANSWER_GRACE, expectFinal=True,
            )
        except GatewayCallError as e:  # refused, or the run failed: the gateway's words
            if printer is not None and printer.printed:
                sys.stdout.write("\n")
            raise CliError(e.message, "gateway_error", code=e.code, runId=runId) from None
        except (TimeoutError, GatewayClosed) as e:
            reason = "no final answer in time" if isinstance(e, TimeoutError) else str(e)
            raise CliError(
                f"Gateway agent call ended without its result ({reason}); the gateway may still be running run "
                f"{runId}: check the session before sending the message again.",
                "gateway_transport_error", runId=runId,
            ) from None
        finally:
            interrupt.restore()
            client.close()
        if printer is None:
            print_json(answer)
        else:
            printer.finish(answer)
        if interrupt.requested:
            sys.stderr.write(f"Interrupted; run {runId} stopped.\n")
            return 130
        if printer is not None and answer.get("status") != "ok":
            sys.stderr.write(f"Run {answer.get('status')}: {answer.get('stopReason') or answer.get('summary')}\n")
        return 0 if answer.get("status") == "ok" else 1

    return run_cli(options, body)
