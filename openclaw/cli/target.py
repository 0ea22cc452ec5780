"""
Which gateway an RPC command talks to and with which secret
(C{spec/cli.md} §0, C{spec/auth.md} §4): explicit flags, C{OPENCLAW_GATEWAY_URL},
the configured remote, or the local loopback gateway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from openclaw.bindhost import is_loopback
from openclaw.cli.errors import CliError
from openclaw.cli.localconfig import LocalConfig
from openclaw.cli.options import ClientOptions
from openclaw.config.secrets import SecretResolutionError, as_ref, resolve_ref
from openclaw.paths import configured_port, is_placeholder


@dataclass(frozen=True)
class Target:
    url: str
    #: C{--url}, C{OPENCLAW_GATEWAY_URL}, C{config gateway.remote.url} or C{local loopback}.
    source: str
    mode: str
    token: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    #: Where this CLI keeps its device identity and the device tokens it was given.
    stateDir: str | None = None
    #: C{OPENCLAW_ALLOW_INSECURE_PRIVATE_WS=1}: plaintext C{ws://} to a host that is not loopback is allowed.
    allowInsecureWs: bool = False

    @property
    def auth(self) -> str:
        return "token" if self.token else "password" if self.password else "none"

    @property
    def explicit(self) -> bool:
        return self.source == "--url"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def isLoopback(self) -> bool:
        """The host is literally C{localhost} or a loopback address (never resolved)."""
        return is_loopback(self.host)

    @property
    def insecurePlaintext(self) -> bool:
        """Plain C{ws://} to a host that is not literally loopback (refused unless allowed)."""
        return self.url.startswith("ws://") and not self.isLoopback

    def describe(self) -> dict[str, str]:
        return {"url": self.url, "urlSource": self.source}


def _text(value: Any) -> str | None:
    """A configured secret, or None for unset/placeholder/non-literal values."""
    return value if isinstance(value, str) and value and not is_placeholder(value) else None


def local_url(local: LocalConfig, port: int | None = None) -> str:
    """C{ws(s)://127.0.0.1:<port>} for the locally configured gateway."""
    if port is None:
        port, _ = configured_port(local.environ, local.config)
    scheme = "wss" if local.get("gateway.tls.enabled") is True else "ws"
    return f"{scheme}://127.0.0.1:{port}"


def make_target(local: LocalConfig, url: str, source: str, mode: str, token: str | None, password: str | None) -> Target:
    """A L{Target} with what this install adds: its state dir and the insecure-ws opt-in."""
    allow = local.environ.get("OPENCLAW_ALLOW_INSECURE_PRIVATE_WS") == "1"
    return Target(url, source, mode, token, password, local.paths.stateDir, allow)


def resolve_target(options: ClientOptions, probe: bool = False) -> Target:
    """
    Where to connect and with which secret (explicit flags win; C{--url} never
    reuses config or environment credentials).

    C{probe}: the narrower credentials of OpenClaw's gateway probes (C{gateway
    status}, C{gateway probe}): the local gateway is probed with its own secret
    only, never C{gateway.remote.*}; a remote one with C{gateway.remote.token}
    only (a password may still come from the environment).
    """
    local = options.local
    env = local.environ
    flagToken, flagPassword = options["token"], options["password"]
    if options["url"]:
        if not (flagToken or flagPassword):
            raise CliError(
                "gateway url override requires explicit credentials\n"
                "Fix: pass --token or --password with --url.\n"
                "For the default local or SSH-tunneled Gateway, remove --url to use the configured target."
            )
        return make_target(local, options["url"], "--url", "explicit", flagToken, flagPassword)
    envToken = _text(env.get("OPENCLAW_GATEWAY_TOKEN"))
    envPassword = _text(env.get("OPENCLAW_GATEWAY_PASSWORD"))
    envUrl = _text(env.get("OPENCLAW_GATEWAY_URL"))
    if envUrl and options["port"] is None:
        return make_target(local, envUrl, "OPENCLAW_GATEWAY_URL", "env", flagToken or envToken, flagPassword or envPassword)
    remote = local.get("gateway.mode") == "remote" and options["port"] is None
    if remote and _text(local.get("gateway.remote.url")):
        secret = lambda dotted: configured_secret(local, dotted)  # noqa: E731
        if probe:
            token = flagToken or secret("gateway.remote.token")
            password = flagPassword or envPassword or secret("gateway.remote.password")
        else:
            token = flagToken or secret("gateway.remote.token") or envToken or secret("gateway.auth.token")
            password = flagPassword or envPassword or secret("gateway.remote.password") or secret("gateway.auth.password")
        return make_target(local, local.get("gateway.remote.url"), "config gateway.remote.url", "remote", token, password)
    token, password = local_secrets(local, remoteFallback=not probe)
    url = local_url(local, options["port"])
    return make_target(local, url, "local loopback", "local", flagToken or token, flagPassword or password)


def configured_secret(local: LocalConfig, dotted: str) -> str | None:
    """A configured secret: plaintext, or its SecretRef resolved here (None when it does not resolve)."""
    value = local.get(dotted)
    ref = as_ref(value)
    if ref is None:
        return _text(value)
    try:
        return resolve_ref(local.config, ref, local.environ)
    except SecretResolutionError:
        return None


def local_secrets(local: LocalConfig, remoteFallback: bool = True) -> tuple[str | None, str | None]:
    """
    Token and password for the local gateway: config, then environment (so a stale
    C{OPENCLAW_GATEWAY_TOKEN} does not shadow the config's), then, with
    C{remoteFallback}, the remote ones.
    """
    env = local.environ

    def remote(dotted: str) -> str | None:
        return configured_secret(local, dotted) if remoteFallback else None

    token = (
        configured_secret(local, "gateway.auth.token")
        or _text(env.get("OPENCLAW_GATEWAY_TOKEN"))
        or remote("gateway.remote.token")
    )
    password = (
        configured_secret(local, "gateway.auth.password")
        or _text(env.get("OPENCLAW_GATEWAY_PASSWORD"))
        or remote("gateway.remote.password")
    )
    return token, password


def require_credentials(target: Target, local: LocalConfig, command: str) -> None:
    """Refuse before connecting when there is nothing to authenticate with."""
    if target.auth == "none" and local.get("gateway.auth.mode") != "none":
        raise CliError(
            f"gateway {command} requires credentials before opening a websocket\n"
            "Fix: configure gateway.auth token/password, pair this device, or pass --token/--password.\n"
            f"Config: {local.paths.configPath}",
            "gateway_credentials_required",
        )
