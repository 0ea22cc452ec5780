"""
What every RPC command of the C{openclaw} CLI shares: the gateway-client
options, the local config as the CLI sees it, the target and credentials
(C{spec/cli.md} §0, C{spec/auth.md} §4), opening a connection, and turning
failures into OpenClaw's messages, JSON envelopes and exit codes.

A command looks like::

    class HealthOptions(ClientOptions):
        defaultTimeoutMs = 10000

    def main(argv, environ):
        options = parse(HealthOptions, argv, environ, "health")
        async def body(reactor):
            target = resolve_target(options)
            client = await open_client(reactor, target, options.timeoutMs, "health")
            ...
            return 0
        return run_cli(options, body)
"""

from __future__ import annotations

import getopt
import os
import sys
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Awaitable, Callable, Mapping, MutableMapping, TypeVar
from urllib.parse import urlsplit

import orjson
from twisted.internet import error as netError
from twisted.internet.defer import TimeoutError, ensureDeferred
from twisted.internet.threads import deferToThread
from twisted.python import usage
from twisted.python.failure import Failure

from openclaw.bindhost import is_loopback
from openclaw.cli.client import ConnectRejected, GatewayCallError, GatewayClient, GatewayClosed, connect
from openclaw.config.environ import config_environ
from openclaw.config.load import ConfigError, load_config, lookup, read_config
from openclaw.config.secrets import SecretResolutionError, as_ref, resolve_ref
from openclaw.logs.family import log_family
from openclaw.paths import Paths, configured_port, is_placeholder

#: What the CLI asks for on its own connections (C{spec/cli.md} §0).
OPERATOR_SCOPES = (
    "operator.admin",
    "operator.read",
    "operator.write",
    "operator.approvals",
    "operator.questions",
    "operator.pairing",
    "operator.talk.secrets",
)

DIAGNOSE_HINT = "Run openclaw gateway status --deep to diagnose."


class CliError(Exception):
    """
    A failure the user sees as C{message} (stderr), or in JSON mode as
    C{{"ok": false, "error": {"type": errorType, "message": ..., **extra}}} on stdout.
    """

    def __init__(self, message: str, errorType: str = "cli_error", exitCode: int = 1, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.errorType = errorType
        self.exitCode = exitCode
        self.extra = extra

    def envelope(self) -> dict[str, Any]:
        return {"ok": False, "error": {"type": self.errorType, "message": self.message, **self.extra}}


# the local config, as the CLI sees it ------------------------------------------


@dataclass(frozen=True)
class LocalConfig:
    """The CLI's config: usable even when the file is missing or invalid."""

    paths: Paths
    environ: Mapping[str, str]
    config: Mapping[str, Any]
    exists: bool
    issues: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.issues

    def get(self, dotted: str, default: Any = None) -> Any:
        return lookup(self.config, dotted, default)


def read_local_config(environ: Mapping[str, str]) -> LocalConfig:
    """
    The validated config; an invalid one still yields what it says (unvalidated)
    so that targets and credentials keep working, with C{issues} set.
    """
    paths = Paths.fromEnvironment(environ)
    layered = config_environ(environ, paths.stateDir, os.getcwd())
    exists = os.path.exists(paths.configPath)
    try:
        return LocalConfig(paths, layered, load_config(paths.configPath, layered) or {}, exists)
    except ConfigError as e:
        issues = tuple(e.issues)
    try:
        raw = read_config(paths.configPath, layered) or {}
    except ConfigError:
        raw = {}
    return LocalConfig(paths, layered, raw, exists, issues)


# options -----------------------------------------------------------------------


class CommandOptions(usage.Options):
    """What every command's options share: C{--json}, and the environment."""

    optFlags = [["json", None, "Print one JSON document on stdout."]]

    def __init__(self, environ: MutableMapping[str, str]) -> None:
        super().__init__()
        self.environ = environ

    def opt_version(self) -> None:  # -V belongs to the global flags only
        raise usage.UsageError("unknown option --version")

    def parseOptions(self, options: list[str] | None = None) -> None:
        """Options may also follow the arguments (C{devices remove <id> --json}), as in OpenClaw."""
        if options is not None:
            try:
                found, args = getopt.gnu_getopt(options, self.shortOpt, self.longOpt)
            except getopt.GetoptError as e:
                raise usage.UsageError(str(e))
            flat = [f"{name}={value}" if f"{name[2:]}=" in self.longOpt else name for name, value in found]
            options = [*flat, "--", *args]
        super().parseOptions(options)


class ClientOptions(CommandOptions):
    """The gateway-client options of an RPC command; subclass per command."""

    #: C{--timeout} when not given, in milliseconds.
    defaultTimeoutMs = 30000

    optParameters = [
        ["url", None, None, "Gateway WebSocket URL (needs --token or --password)."],
        ["port", None, None, "Local loopback gateway port (not with --url)."],
        ["token", None, None, "Gateway token."],
        ["password", None, None, "Gateway password."],
        ["timeout", None, None, "Timeout in milliseconds."],
    ]

    def __init__(self, environ: MutableMapping[str, str]) -> None:
        super().__init__(environ)
        self._local: LocalConfig | None = None

    def postOptions(self) -> None:
        self.timeoutMs = positive_int("--timeout", self["timeout"], self.defaultTimeoutMs)
        if self["port"] is not None:
            self["port"] = positive_int("--port", self["port"], 0)
            if self["url"]:
                raise usage.UsageError("Use either --url or --port, not both.")

    @property
    def local(self) -> LocalConfig:
        if self._local is None:
            self._local = read_local_config(self.environ)
        return self._local


def positive_int(flag: str, raw: str | None, default: int) -> int:
    if raw is None:
        return default
    text = str(raw).strip()
    if not text.isdigit() or int(text) <= 0:
        raise usage.UsageError(f"Invalid {flag}: {raw} (expected a positive integer)")
    return int(text)


O = TypeVar("O", bound=usage.Options)


def parse(cls: type[O], argv: list[str], environ: MutableMapping[str, str], command: str) -> O:
    """
    Parse C{argv}; a usage error (or a L{CliError} from C{postOptions}) is
    printed by L{fail} (as the envelope when C{--json} was given) and exits.
    """
    options = cls(environ)
    try:
        options.parseOptions(argv)
    except usage.UsageError as e:
        raise SystemExit(fail(CliError(f"{e}\nTry: openclaw {command} --help"), "--json" in argv))
    except CliError as e:  # a postOptions refusal with its own wording
        raise SystemExit(fail(e, "--json" in argv))
    return options


def subcommand(
    group: str,
    table: Mapping[str, Callable[[list[str], MutableMapping[str, str]], int]],
    usageText: str,
    argv: list[str],
    environ: MutableMapping[str, str],
) -> int:
    """Run C{openclaw <group> <name> ...} from C{table}; help or an unknown name prints the usage."""
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(usageText)
        return 0 if argv else 1
    command = table.get(argv[0])
    if command is None:
        sys.stderr.write(f"error: unknown command '{group} {argv[0]}'\n\n{usageText}")
        return 1
    return command(argv[1:], environ)


# target and credentials --------------------------------------------------------


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

    def describe(self) -> dict[str, str]:
        return {"url": self.url, "urlSource": self.source}


def _text(value: Any) -> str | None:
    """A configured secret, or None for unset/placeholder/non-literal values."""
    return value if isinstance(value, str) and value and not is_placeholder(value) else None


def log_file(local: LocalConfig) -> str:
    """Today's file of the local gateway's file log (C{logging.file} or the rolling default)."""
    family = log_family(local.paths.profile, local.get("logging.file"), environ=local.environ)
    return family.pathFor(date.today())


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


def resolve_target(options: ClientOptions) -> Target:
    """
    Where to connect and with which secret (explicit flags win; C{--url} never
    reuses config or environment credentials).
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
        token = flagToken or secret("gateway.remote.token") or envToken or secret("gateway.auth.token")
        password = flagPassword or envPassword or secret("gateway.remote.password") or secret("gateway.auth.password")
        return make_target(local, local.get("gateway.remote.url"), "config gateway.remote.url", "remote", token, password)
    token, password = local_secrets(local)
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


def local_secrets(local: LocalConfig) -> tuple[str | None, str | None]:
    """Token and password for the local gateway: config, then environment, then the remote ones."""
    env = local.environ
    token = (
        configured_secret(local, "gateway.auth.token")
        or _text(env.get("OPENCLAW_GATEWAY_TOKEN"))
        or configured_secret(local, "gateway.remote.token")
    )
    password = (
        configured_secret(local, "gateway.auth.password")
        or _text(env.get("OPENCLAW_GATEWAY_PASSWORD"))
        or configured_secret(local, "gateway.remote.password")
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


# connecting --------------------------------------------------------------------


def _transport_reason(failure: BaseException, target: Target) -> tuple[str, str]:
    """(kind, reason) for a failed connection, in Node's words where they exist."""
    parts = urlsplit(target.url)
    where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'wss' else 80)}"
    if isinstance(failure, netError.ConnectionRefusedError):
        return "refused", f"connect ECONNREFUSED {where}"
    if isinstance(failure, (TimeoutError, netError.TimeoutError)):
        return "timeout", f"connect ETIMEDOUT {where}"
    if isinstance(failure, netError.DNSLookupError):
        return "dns", f"getaddrinfo ENOTFOUND {parts.hostname}"
    if isinstance(failure, GatewayClosed):
        return "closed", str(failure)
    return "error", str(failure) or type(failure).__name__


def insecure_plaintext(target: Target) -> bool:
    """Plain C{ws://} to a host that is not literally loopback (refused unless allowed)."""
    return target.url.startswith("ws://") and not target.isLoopback


async def _device_signer(target: Target, role: str) -> tuple[Callable | None, str | None, Any]:
    """
    (sign, deviceToken, identity) for a connection: the device identity is left
    out when a shared secret goes to a literally-loopback host, as OpenClaw's CLI
    does; without a shared secret the cached device token (if any) goes along.
    """
    if target.stateDir is None or (target.isLoopback and target.auth != "none"):
        return None, None, None
    from openclaw.cli import identity as ids

    try:
        device = await deferToThread(ids.load_or_create, target.stateDir)
    except ids.IdentityError as e:
        raise CliError(str(e), "device_identity_error") from None
    cached = None
    if target.auth == "none":
        cached = await deferToThread(ids.load_token, target.stateDir, device.deviceId, role)

    def sign(params: dict[str, Any], challenge: dict[str, Any]) -> dict[str, Any]:
        return ids.device_block(device, params, challenge.get("nonce", ""), challenge.get("ts", 0))

    return sign, (cached or {}).get("token"), device


async def open_client(
    reactor: Any,
    target: Target,
    timeoutMs: int,
    *,
    scopes: tuple[str, ...] | list[str] = OPERATOR_SCOPES,
    mode: str = "cli",
    clientId: str = "cli",
    minProtocol: int = 4,
    onEvent: Callable[[dict], None] | None = None,
) -> GatewayClient:
    """
    Connect and complete the handshake, signing with this CLI's device identity
    when the target needs it (and keeping the device token the gateway issues).
    A refused handshake and a dead target both become a L{CliError}:
    C{gateway_auth_error} or C{gateway_transport_error}.
    """
    if insecure_plaintext(target) and not target.allowInsecureWs:
        raise CliError(
            f"Refusing plaintext ws:// to {target.host}: use wss://, an SSH tunnel to 127.0.0.1, "
            "or set OPENCLAW_ALLOW_INSECURE_PRIVATE_WS=1 on a trusted private network."
        )
    sign, deviceToken, device = await _device_signer(target, "operator")
    try:
        client = await connect(
            reactor,
            target.url,
            timeout=timeoutMs / 1000,
            onEvent=onEvent,
            sign=sign,
            token=target.token,
            password=target.password,
            deviceToken=deviceToken,
            clientId=clientId,
            mode=mode,
            scopes=scopes,
            minProtocol=minProtocol,
        )
    except ConnectRejected as e:
        if deviceToken and isinstance(e.details, dict) and e.details.get("code") == "AUTH_DEVICE_TOKEN_MISMATCH":
            from openclaw.cli import identity as ids

            await deferToThread(ids.clear_token, target.stateDir, device.deviceId, "operator")  # not re-sent next time
        raise CliError(
            f"gateway connect failed: {e.message}\nGateway target: {target.url} ({target.source})",
            "gateway_auth_error" if e.code == "INVALID_REQUEST" else "gateway_error",
            code=e.code,
            details=e.details,
        )
    except Exception as e:
        kind, reason = _transport_reason(e, target)
        raise CliError(
            f"gateway connect failed: {reason}\nGateway target: {target.url} ({target.source})\n{DIAGNOSE_HINT}",
            "gateway_transport_error",
            kind=kind,
            timeoutMs=timeoutMs,
        )
    issued = ((client.hello or {}).get("auth") or {}).get("deviceToken")
    if device is not None and issued:
        from openclaw.cli import identity as ids

        await deferToThread(ids.store_token, target.stateDir, device.deviceId, "operator", issued, client.scopes)
    return client


async def call(client: GatewayClient, method: str, params: Any, timeoutMs: int) -> Any:
    """One RPC; an error answer becomes a L{CliError} with the gateway's code."""
    try:
        return await client.call(method, params, timeout=timeoutMs / 1000)
    except GatewayCallError as e:
        raise CliError(f"{method} failed: {e.message}", "gateway_error", code=e.code)
    except (TimeoutError, GatewayClosed) as e:
        reason = f"timed out after {timeoutMs} ms" if isinstance(e, TimeoutError) else str(e)
        raise CliError(f"{method} failed: {reason}", "gateway_transport_error")


async def rpc(
    reactor: Any,
    options: ClientOptions,
    command: str,
    method: str,
    params: Any = None,
    scopes: tuple[str, ...] | list[str] = OPERATOR_SCOPES,
) -> Any:
    """One call on a connection of its own: target, credentials, connect, call, close."""
    target = resolve_target(options)
    require_credentials(target, options.local, command)
    client = await open_client(reactor, target, options.timeoutMs, scopes=scopes)
    try:
        return await call(client, method, params, options.timeoutMs)
    finally:
        client.close()


# running and printing ----------------------------------------------------------


def print_json(document: Any) -> None:
    sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()


def fail(error: CliError, asJson: bool) -> int:
    if asJson:
        print_json(error.envelope())
    else:
        sys.stderr.write(error.message + "\n")
    return error.exitCode


def run_cli(options: usage.Options, body: Callable[[Any], Awaitable[int | None]]) -> int:
    """
    Run C{body(reactor)} to completion on the reactor and return its exit code
    (None means 0); a L{CliError} is printed (see L{fail}).
    """
    from twisted.internet import reactor

    outcome: dict[str, Any] = {}

    def done(result: Any) -> None:
        outcome["result"] = result
        if reactor.running:
            reactor.stop()

    ensureDeferred(body(reactor)).addBoth(done)
    if "result" not in outcome:
        reactor.run()
    if "result" not in outcome:  # the reactor stopped first: SIGINT/SIGTERM (say, ending logs --follow)
        return 130
    result = outcome["result"]
    if isinstance(result, Failure):
        if isinstance(result.value, CliError):
            return fail(result.value, bool(options.get("json")))
        if isinstance(result.value, KeyboardInterrupt):
            return 130
        result.raiseException()
    return result or 0


class Style:
    """ANSI colour on a TTY only; C{NO_COLOR} turns it off, C{FORCE_COLOR} on."""

    def __init__(self, stream: Any = None, environ: Mapping[str, str] = os.environ) -> None:
        stream = sys.stdout if stream is None else stream
        if environ.get("NO_COLOR"):
            self.enabled = False
        elif environ.get("FORCE_COLOR") not in (None, "", "0"):
            self.enabled = True
        else:
            self.enabled = bool(getattr(stream, "isatty", lambda: False)())

    def _paint(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text

    def ok(self, text: str) -> str:
        return self._paint("32", text)

    def warn(self, text: str) -> str:
        return self._paint("33", text)

    def error(self, text: str) -> str:
        return self._paint("31", text)

    def muted(self, text: str) -> str:
        return self._paint("2", text)

    def accent(self, text: str) -> str:
        return self._paint("36", text)

    def bold(self, text: str) -> str:
        return self._paint("1", text)
