#!/usr/bin/env python3
"""Config parsing time: the reference JSON5 parser against the config codec.

    python3 benchmarks/config_parse.py [--sizes 20,100] [--repeat 5]

Builds realistic JSON5 configs of about the given sizes in kB (comments, unquoted
keys, single quotes, trailing commas, an agents list), checks that both parsers
give the same value, and prints the best of --repeat runs of each, in ms.
Run it with the project's venv (it imports openclaw.config.codec).
"""
from __future__ import annotations

import argparse
import json
import time

import json5

from openclaw.config import codec


def agent(i: int) -> str:
    return (
        f"    {{ id: 'agent-{i}', name: \"Agent {i}\", enabled: {str(i % 2 == 0).lower()}, // agent {i}\n"
        f"      model: {{ primary: 'provider/model-{i % 7}', fallbacks: ['provider/fallback-a', 'provider/fallback-b'] }},\n"
        f"      limits: {{ maxTokens: {4096 + i}, temperature: 0.7, topP: .95, budget: 1.5e3, }},\n"
        f"      tools: {{ allow: ['read', 'write', 'exec'], deny: [] }},\n"
        f"      workspace: '~/.openclaw/workspace-{i}', note: \"it's agent #{i} ({hex(i)})\", }},\n"
    )


def config_of_size(kilobytes: int) -> str:
    head = (
        "// generated for the parse benchmark\n{\n"
        "  gateway: { mode: 'local', port: 18789, bind: 'loopback', auth: { token: '${OPENCLAW_GATEWAY_TOKEN}' }, },\n"
        "  /* the agents */\n  agents: {\n    list: [\n"
    )
    tail = "    ],\n  },\n}\n"
    body, i = "", 0
    while len(head) + len(body) + len(tail) < kilobytes * 1000:
        body += agent(i)
        i += 1
    return head + body + tail


def best_ms(parse, text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        parse(text)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,100", help="config sizes in kB, comma-separated")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print("| size | json5 (reference) ms | codec ms | speed-up |")
    print("|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        text = config_of_size(size)
        assert json.dumps(codec.loads(text)) == json.dumps(json5.loads(text))
        reference = best_ms(json5.loads, text, args.repeat)
        fast = best_ms(codec.loads, text, args.repeat)
        print(f"| {len(text) / 1000:.0f} kB | {reference:.1f} | {fast:.2f} | {reference / fast:.0f}x |")


if __name__ == "__main__":
    main()
