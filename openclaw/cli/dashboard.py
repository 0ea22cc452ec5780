"""
C{openclaw dashboard}: the Control UI's URL for the local gateway, with the shared
token in the fragment (a fragment never reaches the server or its logs), opened in
a browser when there is a desktop to open it on.
"""

from __future__ import annotations

import sys
import webbrowser
from typing import Mapping, MutableMapping
from urllib.parse import quote

from openclaw.cli.errors import CliError
from openclaw.cli.localconfig import LocalConfig, read_local_config
from openclaw.cli.options import CommandOptions, parse
from openclaw.cli.output import fail, print_json
from openclaw.cli.target import local_secrets
from openclaw.paths import configured_port
from openclaw.settings import ControlUiSettings


class DashboardOptions(CommandOptions):
    synopsis = "Usage: openclaw dashboard [--no-open] [--json]"
    optFlags = [["no-open", None, "Print the URL only; do not open a browser."]]


def dashboard_url(local: LocalConfig) -> str:
    """C{http(s)://127.0.0.1:<port><basePath>/}, plus C{#token=…} when the gateway uses a token."""
    ui = ControlUiSettings.fromConfig(local.config, local.paths.configPath, [])
    if not ui.enabled:
        raise CliError("The Control UI is disabled (gateway.controlUi.enabled is false).")
    port, _ = configured_port(local.environ, local.config)
    scheme = "https" if local.get("gateway.tls.enabled") is True else "http"
    url = f"{scheme}://127.0.0.1:{port}{ui.basePath}/"
    token, _ = local_secrets(local, remoteFallback=False)
    if token and local.get("gateway.auth.mode") in (None, "token"):
        url += "#token=" + quote(token, safe="")
    return url


def has_desktop(environ: Mapping[str, str], platform: str = sys.platform) -> bool:
    """A browser can be shown: macOS, Windows, or an X11/Wayland session."""
    return platform in ("darwin", "win32") or bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(DashboardOptions, argv, environ, "dashboard")
    try:
        url = dashboard_url(read_local_config(environ))
    except CliError as e:
        return fail(e, options["json"])
    opened = not options["no-open"] and has_desktop(environ) and webbrowser.open(url)
    if options["json"]:
        print_json({"url": url, "opened": bool(opened)})
        return 0
    sys.stdout.write(f"Dashboard URL: {url}\n")
    sys.stdout.write("Opened in your browser.\n" if opened else "Open it in a browser on this machine.\n")
    return 0
