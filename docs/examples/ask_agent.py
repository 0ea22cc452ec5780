"""
A Twisted application that embeds the gateway and asks its agent one question,
printing the reply as it streams and then how the run ended.

    python docs/examples/ask_agent.py "Name three colours." [--session-key colours]

The gateway is the one `openclaw gateway` would run (same config, state dir and
environment: OPENCLAW_STATE_DIR, OPENCLAW_CONFIG_PATH, ...), listening on a free
port beside the run, so clients may watch it. The run needs no WebSocket: it goes
through the gateway's agent runtime directly (openclaw.agents.embed).
"""

from __future__ import annotations

import argparse
import sys

from twisted.internet.defer import ensureDeferred
from twisted.internet.task import react

from openclaw.agents.embed import AgentRuns, RunRefused
from openclaw.gateway.service import Options, makeService
from openclaw.settings import StartupError


async def ask(reactor, message: str, sessionKey: str | None) -> int:
    options = Options()
    options.parseOptions(["--port", "0"])
    try:
        gateway = makeService(options, reactor=reactor)
        gateway.privilegedStartService()
    except StartupError as e:
        print(f"the gateway did not start: {e.message}", file=sys.stderr)
        return e.exitCode
    gateway.startService()
    try:
        try:
            run = AgentRuns(gateway).start(message, sessionKey=sessionKey)
        except RunRefused as e:
            print(f"refused: {e}", file=sys.stderr)
            return 2
        print(f"[run {run.runId} in {run.sessionKey}; gateway on {gateway.url}]", file=sys.stderr)
        async for event in run.events():
            if event.delta:
                sys.stdout.write(event.delta)
                sys.stdout.flush()
            elif event.stream == "tool":
                data = event.payload["data"]
                print(f"[tool {data['name']}: {data['phase']}]", file=sys.stderr)
        result = await run.result()
        print()
        if not result.ok:
            print(f"[run {result.status}: {result.error or result.stopReason}]", file=sys.stderr)
            return 1
        print(f"[{result.provider}/{result.model}, {result.usage['totalTokens'] if result.usage else 0} tokens]",
              file=sys.stderr)
        return 0
    finally:
        await gateway.stopService()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="Ask the embedded gateway's agent one question.")
    parser.add_argument("message")
    parser.add_argument("--session-key", default=None)
    args = parser.parse_args(argv)

    async def run(reactor) -> None:
        code = await ask(reactor, args.message, args.session_key)
        if code:
            raise SystemExit(code)

    react(lambda reactor: ensureDeferred(run(reactor)))


if __name__ == "__main__":
    main(sys.argv[1:])
