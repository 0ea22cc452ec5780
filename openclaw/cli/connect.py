"""
Talking to a gateway as an operator: open a connection (signing with this CLI's
device identity when the target needs it), call, close. Every command's
connection goes through L{session}; a command that needs one answer uses L{rpc}.

    async def body(reactor):
        health = await rpc(reactor, options, "health", "health")

    async def body(reactor):
        target = resolve_target(options)
        async with session(reactor, target, options.timeoutMs) as client:
            status = await call(client, "status", None, options.timeoutMs)
            channels = await call(client, "channels.status", {}, options.timeoutMs)
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable
from urllib.parse import urlsplit

from twisted.internet import error as netError
from twisted.internet.defer import TimeoutError
from twisted.internet.threads import deferToThread

from openclaw.cli import identity as ids
from openclaw.cli.client import ConnectRejected, GatewayCallError, GatewayClient, GatewayClosed, connect
from openclaw.cli.errors import CliError
from openclaw.cli.options import ClientOptions
from openclaw.cli.target import Target, require_credentials, resolve_target

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


async def _device_signer(target: Target, role: str) -> tuple[Callable | None, str | None, Any]:
    """
    (sign, deviceToken, identity) for a connection: the device identity is left
    out when a shared secret goes to a literally-loopback host, as OpenClaw's CLI
    does; without a shared secret the cached device token (if any) goes along.
    """
    if target.stateDir is None or (target.isLoopback and target.auth != "none"):
        return None, None, None
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
    if target.insecurePlaintext and not target.allowInsecureWs:
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
        await deferToThread(ids.store_token, target.stateDir, device.deviceId, "operator", issued, client.scopes)
    return client


@asynccontextmanager
async def session(
    reactor: Any, target: Target, timeoutMs: int, scopes: tuple[str, ...] | list[str] = OPERATOR_SCOPES
) -> AsyncIterator[GatewayClient]:
    """A connection (see L{open_client}) for the block's calls, closed when the block ends."""
    client = await open_client(reactor, target, timeoutMs, scopes=scopes)
    try:
        yield client
    finally:
        client.close()


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
    async with session(reactor, target, options.timeoutMs, scopes) as client:
        return await call(client, method, params, options.timeoutMs)
