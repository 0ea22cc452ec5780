"""
A headless Chromium the browser tests drive one command at a time, run as a child
process (Playwright's sync API blocks, so it must not run on the test's reactor).

    python driver.py --chromium /usr/bin/chromium --artefacts DIR

Each stdin line is a JSON command C{{"seq": n, "op": ..., ...}}; each answer is one
stdout line C{@@<n> <json>}: C{{"ok": true, "result": ...}} or C{{"ok": false,
"error": ..., "screenshots": [...]}}, a failed command saving a screenshot of every
open page under the artefact directory. Every page records its WebSocket frames
(parsed), console errors, uncaught page errors and failed HTTP requests, for the
C{report} command.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

#: A name this browser resolves to 127.0.0.1 (nothing else does): an origin the gateway must refuse.
HOSTILE_HOST = "ui.example.test"


class Pages:
    """The browser contexts and pages the test named, and what each one recorded."""

    def __init__(self, browser, artefacts: Path) -> None:
        self.browser = browser
        self.artefacts = artefacts
        self.pages: dict[str, object] = {}
        self.records: dict[str, dict] = {}

    # commands --------------------------------------------------------------

    def open(self, page: str, url: str, viewport: list[int] | None = None, colorScheme: str = "light",
             headers: dict[str, str] | None = None) -> dict:
        """
        A new browser context (its own storage: another device) with one page at C{url};
        C{headers} go with every request, the WebSocket upgrade included.
        """
        size = {"width": viewport[0], "height": viewport[1]} if viewport else {"width": 1200, "height": 800}
        context = self.browser.new_context(viewport=size, color_scheme=colorScheme, extra_http_headers=headers or {})
        p = context.new_page()
        record = {"frames": [], "console": [], "pageErrors": [], "failedRequests": [], "bytes": 0}
        self.records[page] = record
        self.pages[page] = p
        p.on("websocket", lambda ws: self._recordSocket(ws, record))
        p.on("dialog", lambda dialog: dialog.accept())  # the person says yes to every confirm()
        p.on("console", lambda m: record["console"].append(f"{m.type}: {m.text}") if m.type == "error" else None)
        p.on("pageerror", lambda e: record["pageErrors"].append(str(e)))
        p.on("requestfailed", lambda r: record["failedRequests"].append({"url": r.url, "failure": r.failure}))
        p.on("response", lambda r: record["failedRequests"].append({"url": r.url, "status": r.status}) if r.status >= 400 else None)
        started = time.monotonic()
        p.goto(url)
        return {"loadMs": round((time.monotonic() - started) * 1000)}

    def goto(self, page: str, url: str) -> None:
        self.pages[page].goto(url)

    def reload(self, page: str) -> None:
        self.pages[page].reload()

    def waitText(self, page: str, text: str, selector: str = "body", timeout: float = 30) -> str:
        """Wait until C{selector}'s text contains C{text}; return that text."""
        p = self.pages[page]
        deadline = time.monotonic() + timeout
        while True:
            found = p.locator(selector).first
            content = found.inner_text() if found.count() else ""
            if text in content:
                return content
            if time.monotonic() > deadline:
                raise AssertionError(f"{selector} never showed {text!r}; it shows:\n{content[:2000]}")
            p.wait_for_timeout(100)

    def waitAnswers(self, page: str, method: str, count: int, timeout: float = 30) -> None:
        """Wait until C{count} requests of C{method} the page sent have been answered."""
        p, record = self.pages[page], self.records[page]
        deadline = time.monotonic() + timeout
        while True:
            asked = {f["frame"]["id"] for f in record["frames"] if f["dir"] == "sent" and f.get("frame", {}).get("method") == method}
            answered = [f for f in record["frames"] if f["dir"] == "received" and f.get("frame", {}).get("id") in asked]
            if len(answered) >= count:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(answered)} of {count} {method} requests answered")
            p.wait_for_timeout(50)

    def click(self, page: str, selector: str) -> None:
        self.pages[page].locator(selector).first.click()

    def fill(self, page: str, selector: str, value: str) -> None:
        self.pages[page].locator(selector).first.fill(value)

    def press(self, page: str, selector: str, key: str) -> None:
        self.pages[page].locator(selector).first.press(key)

    def keyboard(self, page: str, keys: list[str]) -> list[str]:
        """Press C{keys} in turn; return the focused element's description after each."""
        p = self.pages[page]
        seen = []
        for key in keys:
            p.keyboard.press(key)
            seen.append(p.evaluate("() => { const e = document.activeElement; return `${e.tagName.toLowerCase()}#${e.id}:${(e.textContent || '').trim().slice(0, 30)}`; }"))
        return seen

    def text(self, page: str, selector: str) -> str:
        return self.pages[page].locator(selector).first.inner_text()

    def count(self, page: str, selector: str) -> int:
        return self.pages[page].locator(selector).count()

    def evaluate(self, page: str, script: str):
        return self.pages[page].evaluate(script)

    def screenshot(self, page: str, path: str, fullPage: bool = False) -> str:
        self.pages[page].screenshot(path=path, full_page=fullPage)
        return path

    def metrics(self, page: str) -> dict:
        """Bytes transferred and timings of the page's first load (Navigation and Resource Timing)."""
        return self.pages[page].evaluate(
            """() => {
                const nav = performance.getEntriesByType("navigation")[0];
                const resources = performance.getEntriesByType("resource");
                const transferred = nav.transferSize + resources.reduce((n, r) => n + r.transferSize, 0);
                const decoded = nav.decodedBodySize + resources.reduce((n, r) => n + r.decodedBodySize, 0);
                return {transferred, decoded, requests: resources.length + 1,
                        domContentLoadedMs: nav.domContentLoadedEventEnd, loadMs: nav.loadEventEnd};
            }"""
        )

    def report(self, page: str) -> dict:
        return self.records[page]

    def close(self, page: str) -> None:
        self.pages.pop(page).context.close()

    # plumbing --------------------------------------------------------------

    @staticmethod
    def _recordSocket(ws, record: dict) -> None:
        def recorder(direction):
            def handler(payload):
                try:
                    record["frames"].append({"dir": direction, "url": ws.url, "frame": json.loads(payload)})
                except (TypeError, ValueError):
                    record["frames"].append({"dir": direction, "url": ws.url, "raw": str(payload)[:200]})
            return handler

        ws.on("framesent", recorder("sent"))
        ws.on("framereceived", recorder("received"))

    def screenshots(self, label: str) -> list[str]:
        saved = []
        for name, p in self.pages.items():
            path = self.artefacts / f"failure-{label}-{name}.png"
            try:
                p.screenshot(path=str(path), full_page=True)
                saved.append(str(path))
            except Exception:  # a page that crashed or closed: nothing to show
                continue
        return saved


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--chromium", required=True)
    parser.add_argument("--artefacts", required=True)
    args = parser.parse_args(argv)
    artefacts = Path(args.artefacts)
    artefacts.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as pw:
        # HOSTILE_HOST is loopback under a name that is not: a page served from another origin
        browser = pw.chromium.launch(
            executable_path=args.chromium, headless=True,
            args=["--no-sandbox", f"--host-resolver-rules=MAP {HOSTILE_HOST} 127.0.0.1"],
        )
        pages = Pages(browser, artefacts)
        for line in sys.stdin:
            command = json.loads(line)
            seq, op = command.pop("seq"), command.pop("op")
            if op == "quit":
                break
            try:
                answer = {"ok": True, "result": getattr(pages, op)(**command)}
            except Exception as e:
                answer = {"ok": False, "error": f"{type(e).__name__}: {e}", "screenshots": pages.screenshots(f"{seq}-{op}")}
            sys.stdout.write(f"@@{seq} {json.dumps(answer)}\n")
            sys.stdout.flush()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
