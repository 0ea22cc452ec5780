"""
One IRC account's settings: the keys of C{channels.irc} (or one of its
C{accounts}), the C{IRC_*} environment for the default account, credentials from
config, SecretRefs or files. Secrets are kept out of C{repr}.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from openclaw.channels.accounts import DEFAULT_ACCOUNT
from openclaw.channels.credentials import CredentialFileError, read_credential_file
from openclaw.channels.policy import AccessPolicy

TEXT_CHUNK_LIMIT = 350
_ENV = {
    "host": "IRC_HOST", "port": "IRC_PORT", "tls": "IRC_TLS", "nick": "IRC_NICK",
    "username": "IRC_USERNAME", "realname": "IRC_REALNAME", "password": "IRC_PASSWORD", "channels": "IRC_CHANNELS",
}


@dataclass(frozen=True)
class NickServ:
    enabled: bool = False
    service: str = "NickServ"
    password: str | None = field(default=None, repr=False)
    register: bool = False
    registerEmail: str | None = None


@dataclass(frozen=True)
class IrcConfig:
    host: str
    port: int
    tls: bool
    nick: str
    username: str
    realname: str
    channels: tuple[str, ...]
    policy: AccessPolicy
    password: str | None = field(default=None, repr=False)
    nickserv: NickServ = NickServ()
    allowNameMatching: bool = False
    passwordSource: str = "none"

    def snapshot(self) -> dict[str, Any]:
        """What C{channels.status} may show of this account (no secrets)."""
        return {"baseUrl": f"{'ircs' if self.tls else 'irc'}://{self.host}:{self.port}", "port": self.port,
                "host": self.host, "tls": self.tls, "nick": self.nick, "credentialSource": self.passwordSource}


def normalise_id(raw: str) -> str:
    """An allowlist entry or sender id: C{irc:} prefix dropped, lower-cased."""
    raw = raw.strip()
    if raw.lower().startswith("irc:"):
        raw = raw[4:]
    return raw.lower()


def resolve(
    accountId: str, section: Mapping[str, Any], environ: Mapping[str, str], secret: Callable[[str], str | None], inbound: Any
) -> tuple[IrcConfig | None, str | None]:
    values = dict(section)
    if accountId == DEFAULT_ACCOUNT:
        for key, name in _ENV.items():
            if key not in values and environ.get(name):
                values[key] = environ[name]
        if environ.get("IRC_NICKSERV_PASSWORD") or environ.get("IRC_NICKSERV_REGISTER_EMAIL"):
            nickserv = dict(values.get("nickserv") or {})
            nickserv.setdefault("password", environ.get("IRC_NICKSERV_PASSWORD"))
            nickserv.setdefault("registerEmail", environ.get("IRC_NICKSERV_REGISTER_EMAIL"))
            values["nickserv"] = nickserv
    host, nick = str(values.get("host") or "").strip(), str(values.get("nick") or "").strip()
    if not host or not nick:
        return None, "missing host or nick"
    tls = _bool(values.get("tls"), True)
    try:
        port = int(values.get("port") or (6697 if tls else 6667))
    except (TypeError, ValueError):
        return None, f"port {values.get('port')!r} is not a number"
    if not 1 <= port <= 65535:
        return None, f"port {port} is out of range 1-65535"
    try:
        password, source = _password(values, secret, "password", "passwordFile")
        nickserv = _nickserv(values.get("nickserv"), secret)
    except CredentialFileError as e:
        return None, str(e)
    channels = values.get("channels") or ()
    if isinstance(channels, str):
        channels = [c for c in channels.split(",")]
    channels = tuple(c.strip() for c in channels if isinstance(c, str) and c.strip()[:1] in ("#", "&"))
    policy = AccessPolicy.fromSection(
        values, normalise_id, TEXT_CHUNK_LIMIT, "all", inbound.mentionPatterns if inbound is not None else ()
    )
    return IrcConfig(
        host=host, port=port, tls=tls, nick=nick,
        username=str(values.get("username") or nick or "openclaw"),
        realname=str(values.get("realname") or "OpenClaw"),
        channels=channels, policy=policy, password=password, nickserv=nickserv,
        allowNameMatching=values.get("dangerouslyAllowNameMatching") is True, passwordSource=source,
    ), None


def _bool(raw: Any, default: bool) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip():
        return raw.strip().lower() not in ("0", "false", "no", "off")
    return default


def _password(values: Mapping[str, Any], secret: Callable[[str], str | None], key: str, fileKey: str) -> tuple[str | None, str]:
    if values.get(fileKey):
        return read_credential_file(str(values[fileKey]), fileKey), "file"
    raw = values.get(key)
    if isinstance(raw, Mapping):
        resolved = secret(key)
        return resolved, "secretRef" if resolved else "none"
    return (str(raw), "config") if raw else (None, "none")


def _nickserv(raw: Any, secret: Callable[[str], str | None]) -> NickServ:
    if not isinstance(raw, Mapping):
        return NickServ()
    password, _ = _password(raw, lambda key: secret(f"nickserv.{key}"), "password", "passwordFile")
    return NickServ(
        enabled=raw.get("enabled", bool(password)) is not False and bool(password),
        service=str(raw.get("service") or "NickServ"),
        password=password,
        register=raw.get("register") is True and bool(raw.get("registerEmail")),
        registerEmail=raw.get("registerEmail") or None,
    )
