"""
C{openclaw message send --channel <id> --target <chat> --message <text>
[--account <id>]}: one message to a chat through a channel account of the running
gateway (C{send}), the way the gateway's replies go out.
"""

from __future__ import annotations

import uuid
from typing import Any, MutableMapping

from twisted.python import usage

from openclaw.cli.connect import rpc
from openclaw.cli.options import ClientOptions, parse
from openclaw.cli.output import print_json
from openclaw.cli.runner import run_cli, subcommand

USAGE = """Usage: openclaw message <command> [options]

Commands:
  send    --channel <id> --target <chat> --message <text> [--account <id>]
"""


class SendOptions(ClientOptions):
    synopsis = "Usage: openclaw message send --channel <id> --target <chat> --message <text> [--account <id>] [--json]"
    defaultTimeoutMs = 30000
    optParameters = [
        ["channel", None, None, "The channel (irc, telegram); may be left out when only one is configured."],
        ["target", "t", None, "The chat: an IRC #channel or nick, a Telegram chat id or @username."],
        ["message", "m", None, "The text to send."],
        ["account", None, None, "The channel account (default: the channel's default account)."],
    ]

    def postOptions(self) -> None:
        super().postOptions()
        if not self["target"]:
            raise usage.UsageError("message send needs --target")
        if not (self["message"] or "").strip():
            raise usage.UsageError("message send needs --message")


def _send(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(SendOptions, argv, environ, "message send")

    async def body(reactor: Any) -> int:
        params = {"to": options["target"], "message": options["message"], "idempotencyKey": str(uuid.uuid4())}
        for key, name in (("channel", "channel"), ("accountId", "account")):
            if options[name]:
                params[key] = options[name]
        result = await rpc(reactor, options, "message send", "send", params)
        if options["json"]:
            print_json(result)
        else:
            account = f" ({result['accountId']})" if result.get("accountId") else ""  # WebChat has no account
            print(f"Sent to {options['target']} via {result['channel']}{account}.")
        return 0

    return run_cli(options, body)


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    return subcommand("message", {"send": _send}, USAGE, argv, environ)
