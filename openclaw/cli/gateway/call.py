"""C{openclaw gateway call <method> [--params <json>]}: one RPC, its answer printed as JSON."""

from __future__ import annotations

from typing import Any, MutableMapping

import json5
from twisted.python import usage

from openclaw.cli.connect import rpc
from openclaw.cli.options import ClientOptions, parse
from openclaw.cli.output import print_json
from openclaw.cli.runner import run_cli


class CallOptions(ClientOptions):
    synopsis = "Usage: openclaw gateway call <method> [--params <json>] [--url <url> --token <t>] [--timeout <ms>]"
    optParameters = [["params", None, "{}", "The params object (JSON or JSON5)."]]

    def parseArgs(self, method: str) -> None:
        self["method"] = method

    def postOptions(self) -> None:
        super().postOptions()
        try:
            self["params"] = json5.loads(self["params"])
        except ValueError as e:
            raise usage.UsageError(f"--params is not valid JSON: {e}")


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(CallOptions, argv, environ, "gateway call")

    async def body(reactor: Any) -> int:
        print_json(await rpc(reactor, options, "call", options["method"], options["params"]))
        return 0

    return run_cli(options, body)
