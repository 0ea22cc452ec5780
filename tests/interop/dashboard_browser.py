"""
Open the Control UI in headless Chromium and report what happened, as one JSON
object on stdout. Run as a child process by the interop tests (Playwright's sync
API blocks, so it must not run on the test's reactor).

    python dashboard_browser.py URL --chromium /usr/bin/chromium --wait-text TEXT... \
        [--send MESSAGE --expect TEXT...] [--timeout S] [--screenshot PNG]

With C{--send}, once every C{--wait-text} appeared the message is typed into the
chat composer and sent with Enter; then each C{--expect} text is waited for in
turn, and a line C{expected: TEXT} goes to stderr the moment it shows, so the test
can act while the page is in that state (release a held upstream, say).

The report: every WebSocket frame (C{sent}/C{received}, parsed JSON), the page's
visible text at the end (or when the timeout passed), console errors, and the HTTP
requests that failed (status >= 400).
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--chromium", required=True)
    parser.add_argument("--wait-text", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--send")
    parser.add_argument("--expect", action="append", default=[])
    parser.add_argument("--screenshot")
    args = parser.parse_args(argv)

    frames: list[dict] = []
    console: list[str] = []
    failed: list[dict] = []

    def on_socket(ws) -> None:
        def record(direction):
            def handler(payload):
                try:
                    frames.append({"dir": direction, "frame": json.loads(payload)})
                except (TypeError, ValueError):
                    frames.append({"dir": direction, "raw": str(payload)[:200]})
            return handler

        ws.on("framesent", record("sent"))
        ws.on("framereceived", record("received"))

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("websocket", on_socket)
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
        page.on("response", lambda r: failed.append({"url": r.url, "status": r.status, "authorization": bool(r.request.headers.get("authorization"))}) if r.status >= 400 else None)
        page.goto(args.url)
        deadline = time.monotonic() + args.timeout

        def wait_for(texts: list[str]) -> str:
            while True:
                text = page.inner_text("body")
                if all(w in text for w in texts) or time.monotonic() > deadline:
                    return text
                page.wait_for_timeout(100)

        text = wait_for(args.wait_text)
        if args.send is not None:
            # the visible composer (the page keeps other, hidden text areas around)
            composer = page.locator("textarea[placeholder^='Message']:visible").first
            composer.fill(args.send, timeout=max(1.0, deadline - time.monotonic()) * 1000)
            composer.press("Enter")
            for expected in args.expect:
                text = wait_for([expected])
                if expected not in text:
                    break
                print(f"expected: {expected}", file=sys.stderr, flush=True)
        if args.screenshot:
            page.screenshot(path=args.screenshot)
        browser.close()
    json.dump({"frames": frames, "text": text, "console": console, "failedRequests": failed}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
