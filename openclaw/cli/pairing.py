"""
C{openclaw pairing list [channel] [--account <id>]} and C{openclaw pairing
approve <channel> <code> [--account <id>] [--notify]}: the DM pairing requests
of the chat channels, over C{channels.pairing.*} on the running gateway.
"""

from __future__ import annotations

from typing import Any, MutableMapping

from twisted.python import usage

from openclaw.cli.connect import rpc
from openclaw.cli.options import ClientOptions, parse
from openclaw.cli.output import print_json
from openclaw.cli.runner import run_cli, subcommand
from openclaw.cli.table import table

USAGE = """Usage: openclaw pairing <command> [options]

Commands:
  list [channel]               Pending DM pairing requests (--account <id>)
  approve <channel> <code>     Let the sender of a pairing code talk to the bot (--account <id>, --notify)
"""


class _PairingOptions(ClientOptions):
    defaultTimeoutMs = 10000
    optParameters = [["account", None, None, "The channel account (default: the channel's default account)."]]


class ListOptions(_PairingOptions):
    synopsis = "Usage: openclaw pairing list [channel] [--account <id>] [--json]"
    channel: str | None = None

    def parseArgs(self, channel: str | None = None) -> None:
        self.channel = channel


class ApproveOptions(_PairingOptions):
    synopsis = "Usage: openclaw pairing approve <channel> <code> [--account <id>] [--notify] [--json]"
    optFlags = [["notify", None, "Tell the sender they were approved."]]

    def parseArgs(self, channel: str = "", code: str = "") -> None:
        if not channel.strip() or not code.strip():
            raise usage.UsageError("pairing approve needs a channel and a code")
        self.channel, self.code = channel.strip().lower(), code.strip().upper()


def _list(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(ListOptions, argv, environ, "pairing list")

    async def body(reactor: Any) -> int:
        params = {k: v for k, v in (("channel", options.channel), ("accountId", options["account"])) if v}
        result = await rpc(reactor, options, "pairing list", "channels.pairing.list", params)
        if options["json"]:
            print_json(result)
            return 0
        requests = result["requests"]
        if not requests:
            print("No pending pairing requests.")
            return 0
        rows = [[r["channel"], r["accountId"], r["requestId"], r["senderLabel"], r["senderId"], r["expiresAt"]]
                for r in requests]
        print("\n".join(table(["Channel", "Account", "Code", "Sender", "Id", "Expires"], rows)))
        return 0

    return run_cli(options, body)


def _approve(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(ApproveOptions, argv, environ, "pairing approve")

    async def body(reactor: Any) -> int:
        accountId = options["account"]
        if accountId is None:
            status = await rpc(reactor, options, "pairing approve", "channels.status", {"channel": options.channel})
            accountId = status["channelDefaultAccountId"].get(options.channel, "default")
        params = {"channel": options.channel, "accountId": accountId, "requestId": options.code,
                  "notify": bool(options["notify"])}
        result = await rpc(reactor, options, "pairing approve", "channels.pairing.approve", params)
        if options["json"]:
            print_json(result)
        else:
            print(f"Approved {options.channel} sender {result['senderId']}.")
        return 0

    return run_cli(options, body)


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    return subcommand("pairing", {"list": _list, "approve": _approve}, USAGE, argv, environ)

