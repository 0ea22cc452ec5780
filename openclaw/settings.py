"""
From options, environment and config file to one frozen L{GatewaySettings}.

Every start-up refusal of the runbook is raised here as L{StartupError} with its exact
text and exit code (78 for configuration, 1 for bad flags), before anything listens.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from openclaw import paths as P
from openclaw.agents.models import ModelConfigError, ModelsSettings
from openclaw.agents.settings import AgentsSettings, QueueSettings, SessionSettings
from openclaw.agents.tools.policy import ToolsSettings
from openclaw.agents.workspace import BootstrapLimits
from openclaw.channels.settings import ChannelsSettings
from openclaw.config.authprofiles import agent_keys
from openclaw.config.load import ConfigError, ConfigSource, contents_digest, files_digest, load_source, lookup
from openclaw.config.secrets import SecretResolutionError, SecretsSnapshot, resolve_secrets
from openclaw.config.outcome import DEFAULT_MODE
from openclaw.config.watch import DEFAULT_DEBOUNCE_MS
from openclaw.hooksettings import HooksConfigError, HooksSettings
from openclaw.http_settings import HttpSettings
from openclaw import atomicfile, bindhost
from openclaw.config import configfile
from openclaw.logs.sink import LogSettings

EX_CONFIG = 78

BIND_MODES = ("loopback", "lan", "tailnet", "auto", "custom")
AUTH_MODES = ("none", "token", "password", "trusted-proxy")
WS_LOG_MODES = ("auto", "full", "compact")


class StartupError(Exception):
    """The gateway must not start: print C{message} to stderr, exit with C{exitCode}."""

    def __init__(self, message: str, exitCode: int) -> None:
        super().__init__(message)
        self.message = message
        self.exitCode = exitCode


class SecretsUnavailable(StartupError):
    """An active SecretRef did not resolve; C{detail} says which and why (never a value)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"Startup failed: required secrets are unavailable. {detail}", 1)
        self.detail = detail


@dataclass(frozen=True)
class RateLimit:
    maxAttempts: int = 10
    windowMs: int = 60_000
    lockoutMs: int = 300_000
    exemptLoopback: bool = True


@dataclass(frozen=True)
class ReloadSettings:
    """C{gateway.reload.*}, and whether restart signals are allowed (C{commands.restart})."""

    mode: str = DEFAULT_MODE
    debounceMs: int = DEFAULT_DEBOUNCE_MS
    deferralTimeoutMs: int = 300_000
    signalRestarts: bool = True

    @classmethod
    def fromConfig(cls, config: Mapping[str, Any]) -> "ReloadSettings":
        section = lookup(config, "gateway.reload", {})
        section = section if isinstance(section, Mapping) else {}
        return cls(
            mode=section.get("mode", cls.mode),
            debounceMs=section.get("debounceMs", cls.debounceMs),
            deferralTimeoutMs=section.get("deferralTimeoutMs", cls.deferralTimeoutMs),
            signalRestarts=lookup(config, "commands.restart") is not False,
        )


@dataclass(frozen=True)
class ControlUiSettings:
    """
    C{gateway.controlUi.*}: the Control UI is served under C{basePath} from the
    user's asset dir (C{root}, relative to the config file) when one is configured,
    else the gateway's own (C{openclaw/controlui}); browsers from C{allowedOrigins}
    may connect.
    """

    enabled: bool = True
    root: str | None = None
    basePath: str = ""
    allowedOrigins: tuple[str, ...] = ()

    @classmethod
    def fromConfig(cls, config: Mapping[str, Any], configPath: str, warnings: list[str]) -> "ControlUiSettings":
        """A root without an C{index.html} is not served; C{warnings} gets a line saying so."""
        return cls(
            enabled=lookup(config, "gateway.controlUi.enabled", True) is not False,
            root=_control_ui_root(config, configPath, warnings),
            basePath=_base_path(lookup(config, "gateway.controlUi.basePath", "") or ""),
            allowedOrigins=tuple(lookup(config, "gateway.controlUi.allowedOrigins", ()) or ()),
        )


@dataclass(frozen=True)
class GatewaySettings:
    paths: P.Paths
    config: Mapping[str, Any]
    port: int
    portSource: str
    bindMode: str
    bindHosts: tuple[str, ...]
    authMode: str
    token: str | None = field(repr=False)
    password: str | None = field(repr=False)
    tokenGenerated: bool = False
    rateLimit: RateLimit = RateLimit()
    controlUi: ControlUiSettings = ControlUiSettings()
    #: C{gateway.trustedProxies}: peers whose forwarding headers name the client's address.
    trustedProxies: tuple[str, ...] = ()
    handshakeTimeoutMs: int = 15_000
    tickIntervalMs: int = 30_000
    verbose: bool = False
    wsLog: str = "auto"
    notices: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: The accepted config file: its content hash, the files it includes (the watch set)
    #: and the digest of all their contents as loaded (what the reload watcher accepts).
    configHash: str | None = None
    includedFiles: tuple[str, ...] = ()
    configDigest: str = ""
    #: The resolved SecretRefs this settings object was built with (one immutable snapshot).
    secrets: SecretsSnapshot = field(default_factory=SecretsSnapshot, repr=False)
    #: The typed sections each service takes (built once, from C{config}).
    reload: ReloadSettings = ReloadSettings()
    #: What to log where; C{console} is False here (the process that runs the gateway decides).
    logging: LogSettings = LogSettings(console=False)
    agents: AgentsSettings = AgentsSettings()
    models: ModelsSettings = field(default_factory=lambda: ModelsSettings.fromConfig({}, SecretsSnapshot(), {}))
    session: SessionSettings = SessionSettings()
    queue: QueueSettings = QueueSettings()
    tools: ToolsSettings = ToolsSettings()
    bootstrap: BootstrapLimits = BootstrapLimits()
    channels: ChannelsSettings = ChannelsSettings()
    hooks: HooksSettings = HooksSettings()
    #: C{gateway.http.*}: read per request, so its changes apply without a restart.
    http: HttpSettings = HttpSettings()

    @property
    def secret(self) -> str | None:
        """The shared secret clients must present, by auth mode."""
        return {"token": self.token, "password": self.password}.get(self.authMode)

    @property
    def primaryHost(self) -> str:
        return self.bindHosts[0]

    @property
    def isLoopback(self) -> bool:
        return all(bindhost.is_loopback(h) for h in self.bindHosts)



def _parse_port(raw: str) -> int:
    """A port number; 0 asks the OS for a free one (tests, embedding)."""
    if not raw.isdigit() or not 0 <= int(raw) < 65536:
        raise StartupError(f"Invalid --port: {raw}", 1)
    return int(raw)


def resolve_port(cliPort: str | None, environ: Mapping[str, str], config: Mapping[str, Any]) -> tuple[int, str]:
    """C{--port} → C{OPENCLAW_GATEWAY_PORT} → C{gateway.port} → 18789, with the source."""
    if cliPort is not None:
        return _parse_port(str(cliPort)), "--port"
    return P.configured_port(environ, config)


def _mode_guard(config: Mapping[str, Any] | None, allowUnconfigured: bool) -> None:
    if allowUnconfigured:
        return
    if config is None:
        raise StartupError(
            "Missing config. Run `openclaw setup` or set gateway.mode=local "
            "(or pass --allow-unconfigured).",
            EX_CONFIG,
        )
    mode = lookup(config, "gateway.mode")
    if mode == "local":
        return
    if mode is None:
        raise StartupError(
            "Gateway start blocked: existing config is missing gateway.mode. Treat this as "
            "suspicious or clobbered config. Re-run `openclaw onboard --mode local` or "
            "`openclaw setup`, set gateway.mode=local manually, or pass --allow-unconfigured.",
            EX_CONFIG,
        )
    raise StartupError(
        f"Gateway start blocked: set gateway.mode=local (current: {mode}) "
        "or pass --allow-unconfigured.",
        EX_CONFIG,
    )


def _secret(
    cliValue: str | None, configValue: Any, envName: str, name: str, environ: Mapping[str, str], resolved: SecretsSnapshot
) -> str | None:
    """CLI > plaintext config > env; an env var also wins over a configured SecretRef."""
    flag = name.rsplit(".", 1)[1]
    if cliValue is not None:
        if P.is_placeholder(cliValue):
            raise StartupError(f"Invalid --{flag}: empty or a placeholder ({cliValue!r} is not a secret).", 1)
        return cliValue
    envValue = environ.get(envName)
    if envValue is not None and P.is_placeholder(envValue):
        envValue = None  # an unset variable expanded by a shell or a unit file
    if configValue is None or (envValue and not isinstance(configValue, str)):
        return envValue
    if isinstance(configValue, str):
        return configValue
    # an inactive ref (say, auth mode password for the token) has no value
    return resolved.get(name) or envValue


def _read_password_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except OSError as e:
        raise StartupError(f"Could not read --password-file {path}: {e.strerror}", 1)


def resolve_auth(
    options: Mapping[str, Any], config: Mapping[str, Any], environ: Mapping[str, str], resolved: SecretsSnapshot
) -> tuple[str, str | None, str | None]:
    """Auth mode, token and password, by the precedence of the auth spec."""
    if options.get("password") and options.get("password-file"):
        raise StartupError("Use either --password or --password-file.", 1)
    cliMode = options.get("auth")
    if cliMode is not None and cliMode not in AUTH_MODES:
        raise StartupError('Invalid --auth. Use "none", "token", "password", or "trusted-proxy".', 1)
    cliPassword = options.get("password")
    if options.get("password-file"):
        cliPassword = _read_password_file(options["password-file"])
    token = _secret(options.get("token"), lookup(config, "gateway.auth.token"),
                    "OPENCLAW_GATEWAY_TOKEN", "gateway.auth.token", environ, resolved)
    password = _secret(cliPassword, lookup(config, "gateway.auth.password"),
                       "OPENCLAW_GATEWAY_PASSWORD", "gateway.auth.password", environ, resolved)

    mode = cliMode or lookup(config, "gateway.auth.mode")
    if mode is None:  # (both secrets in the config with no mode is a config error already)
        mode = "password" if password else "token"
    if mode == "trusted-proxy":
        raise StartupError(
            "gateway auth mode=trusted-proxy is not supported by this gateway yet; "
            "use token or password auth.",
            EX_CONFIG,
        )
    if mode == "password" and not password:
        raise StartupError(
            "Gateway auth is set to password, but no password is configured.\n"
            "Set gateway.auth.password (or OPENCLAW_GATEWAY_PASSWORD), or pass --password.",
            EX_CONFIG,
        )
    return mode, token, password


def _flag_choices(options: Mapping[str, Any]) -> None:
    if options.get("ws-log", "auto") not in WS_LOG_MODES:
        raise StartupError('Invalid --ws-log. Use "auto", "full", or "compact".', 1)
    tailscale = options.get("tailscale")
    if tailscale not in (None, "off", "serve", "funnel"):
        raise StartupError('Invalid --tailscale. Use "off", "serve", or "funnel".', 1)
    if tailscale in ("serve", "funnel"):
        raise StartupError(f"Gateway failed to start: --tailscale {tailscale} is not supported by this gateway yet.", EX_CONFIG)


def _bind_mode(options: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    mode = options.get("bind") or lookup(config, "gateway.bind") or "loopback"
    if mode not in BIND_MODES:
        raise StartupError(
            'Invalid --bind. Use "loopback", "lan", "tailnet", "auto", or "custom".', 1
        )
    return mode


def resolve(options: Mapping[str, Any], environ: Mapping[str, str]) -> GatewaySettings:
    """
    The start-up guard, in OpenClaw's order: config, port and bind flags, the
    C{gateway.mode} guard, secrets, auth, and the refusal to bind beyond loopback
    without auth. Start-up may write the config file (dev bootstrap, generated token).
    """
    paths = P.Paths.fromEnvironment(environ)
    atomicfile.sweep_stale(os.path.dirname(paths.configPath))  # temp files of writers killed mid-write
    notices: list[str] = []
    _flag_choices(options)
    isDev = bool(options.get("dev")) or paths.profile == P.DEV_PROFILE
    if options.get("reset"):
        if not isDev:
            raise StartupError("Use --reset with --dev.", 1)
        notices += configfile.reset_dev(paths)
    if isDev and not os.path.exists(paths.configPath):
        notices += configfile.write_dev_config(paths)
    try:
        source = load_source(paths.configPath, environ)
    except ConfigError as e:
        raise StartupError(
            f"Gateway failed to start: Invalid config at {e.path}:\n{e}", EX_CONFIG
        )
    return build(options, environ, paths, source, notices)


def build(
    options: Mapping[str, Any],
    environ: Mapping[str, str],
    paths: P.Paths,
    source: ConfigSource | None,
    notices: list[str] | None = None,
    runtimeToken: str | None = None,
    persist: bool = True,
    runExec: bool = True,
) -> GatewaySettings:
    """
    Settings from a loaded config. A reload passes the running gateway's
    C{runtimeToken}: a token generated at start-up then stays in use instead of a
    new one being generated and written. With C{persist} false (validating a config
    that is not the file on disk yet) a generated token is never written; with
    C{runExec} false (the CLI checking an edit) exec secret providers are checked
    but not run. Blocking
    (secret providers, the token write): reloads call it in a thread.
    """
    notices = list(notices or ())
    config = None if source is None else source.config
    effective = config or {}
    port, portSource = resolve_port(options.get("port"), environ, effective)
    bindMode = _bind_mode(options, effective)
    _mode_guard(config, bool(options.get("allow-unconfigured")))
    warnings = _unsupported(effective)
    try:
        resolved = resolve_secrets(effective, environ, runExec=runExec)
    except SecretResolutionError as e:
        raise SecretsUnavailable(str(e)) from None
    authMode, token, password = resolve_auth(options, effective, environ, resolved)
    customHost = lookup(effective, "gateway.customBindHost")
    if bindMode == "custom" and not customHost:
        raise StartupError("gateway.bind=custom requires gateway.customBindHost", EX_CONFIG)
    try:
        hosts = bindhost.hosts_for(bindMode, customHost)
    except ValueError:
        raise StartupError(
            f"gateway.bind=custom requires a valid IPv4 customBindHost (got {customHost})", EX_CONFIG
        )
    loopback = all(bindhost.is_loopback(h) for h in hosts)

    configHash = None if source is None else source.hash
    configDigest = contents_digest([None]) if source is None else source.digest
    tokenGenerated = False
    if authMode == "token" and not token:
        if not loopback:
            _refuse_without_auth(bindMode, hosts[0], port)
        tokenGenerated = True
        if runtimeToken is not None:
            token = runtimeToken
        else:
            token = secrets.token_hex(24)
            if config is None or not persist:  # (--allow-unconfigured without a config file writes nothing)
                notices.append(
                    "Gateway auth token was missing. Generated a runtime token for this startup "
                    "without changing config; restart will generate a different token."
                )
            else:
                notices.append(configfile.persist_token(paths.configPath, token))
                effective, configHash, configDigest = _as_saved(paths.configPath, environ, source, token)
    if not loopback and (authMode == "none" or not (token if authMode == "token" else password)):
        _refuse_without_auth(bindMode, hosts[0], port)

    controlUi = ControlUiSettings.fromConfig(effective, paths.configPath, warnings)
    try:
        agents = AgentsSettings.fromConfig(effective, paths.stateDir, environ)
        profileKeys, profileWarnings = agent_keys(
            paths.stateDir, (a.id for a in agents.agents), agents.defaultAgentId, effective, environ,
            time.time() * 1000, runExec,
        )
        models = ModelsSettings.fromConfig(effective, resolved, environ, profileKeys)
        session = SessionSettings.fromConfig(effective)
        queue = QueueSettings.fromConfig(effective)
        tools = ToolsSettings.fromConfig(effective)
        bootstrap = BootstrapLimits.fromConfig(effective)
        hooks = HooksSettings.fromConfig(effective, warnings)
        http = HttpSettings.fromConfig(effective)
    except (ModelConfigError, HooksConfigError) as e:
        raise StartupError(f"Gateway failed to start: Invalid config: {e}", EX_CONFIG) from None
    rl = lookup(effective, "gateway.auth.rateLimit", {}) or {}
    timeout = environ.get("OPENCLAW_HANDSHAKE_TIMEOUT_MS", "")
    return GatewaySettings(
        paths=paths,
        config=effective,
        port=port,
        portSource=portSource,
        bindMode=bindMode,
        bindHosts=hosts,
        authMode=authMode,
        token=token,
        password=password,
        tokenGenerated=tokenGenerated,
        rateLimit=RateLimit(**{k: v for k, v in rl.items() if k in RateLimit.__dataclass_fields__}),
        controlUi=controlUi,
        trustedProxies=tuple(lookup(effective, "gateway.trustedProxies", ()) or ()),
        handshakeTimeoutMs=int(timeout) if timeout.isdigit() and int(timeout) > 0 else 15_000,
        verbose=bool(options.get("verbose")),
        wsLog=options.get("ws-log", "auto"),
        notices=tuple(notices),
        warnings=tuple(warnings) + resolved.warnings + tuple(profileWarnings),
        configHash=configHash,
        includedFiles=() if source is None else source.included,
        configDigest=configDigest,
        secrets=resolved,
        reload=ReloadSettings.fromConfig(effective),
        logging=LogSettings.fromConfig(
            effective, environ=environ, verbose=bool(options.get("verbose")), console=False, logLevel=options.get("log-level")
        ),
        agents=agents,
        models=models,
        session=session,
        queue=queue,
        tools=tools,
        bootstrap=bootstrap,
        channels=ChannelsSettings.fromConfig(effective, environ, resolved, session, agents),
        hooks=hooks,
        http=http,
    )


def _as_saved(path: str, environ: Mapping[str, str], source: ConfigSource, token: str) -> tuple[Mapping[str, Any], str, str]:
    """
    The config, hash and digest after the generated C{token} was saved: the file read
    again, so the next reload compares against what is on disk and the gateway's own
    write is not a change. A file that did not take the token (it includes its
    gateway section) keeps the config as loaded.
    """
    saved = load_source(path, environ)
    if saved is not None and lookup(saved.config, "gateway.auth.token") == token:
        return saved.config, saved.hash, saved.digest
    return source.config, configfile.current_hash(path), files_digest((path, *source.included))


def _base_path(raw: str) -> str:
    """C{/openclaw/} → C{/openclaw}; empty (or C{/}) serves the Control UI at the root."""
    stripped = raw.strip().strip("/")
    return f"/{stripped}" if stripped else ""


def _control_ui_root(config: Mapping[str, Any], configPath: str, warnings: list[str]) -> str | None:
    """The Control UI asset dir (relative to the config file), or None with a warning when unusable."""
    raw = lookup(config, "gateway.controlUi.root")
    if not raw:
        return None
    root = os.path.join(os.path.dirname(configPath), os.path.expanduser(raw))
    if not os.path.isfile(os.path.join(root, "index.html")):
        warnings.append(f"gateway.controlUi.root has no index.html ({root}); the gateway's own Control UI is served instead.")
        return None
    return os.path.realpath(root)


#: Accepted config that this gateway does not act on yet: it says so at start-up.
_NOT_YET_ACTIVE = (
    "gateway.remote", "gateway.nodes",
    "gateway.channelHealthCheckMinutes", "cron",
)
#: Settings that would change what a client can rely on (encryption, exposure):
#: refused rather than ignored until they are implemented.
_REFUSED = {"gateway.tls.enabled": True, "gateway.tailscale.mode": ("serve", "funnel")}


def _unsupported(config: Mapping[str, Any]) -> list[str]:
    for dotted, bad in _REFUSED.items():
        value = lookup(config, dotted)
        if value is not None and (value is bad or (isinstance(bad, tuple) and value in bad)):
            raise StartupError(
                f"Gateway failed to start: {dotted}={json.dumps(value)} is not supported by this gateway yet.",
                EX_CONFIG,
            )
    return [
        f"{dotted} is configured but not served by this gateway version yet; ignoring it."
        for dotted in _NOT_YET_ACTIVE
        if lookup(config, dotted) is not None
    ]


def _refuse_without_auth(bindMode: str, host: str, port: int) -> None:
    shown = f"[{host}]" if ":" in host else host
    raise StartupError(
        f"Refusing to bind gateway to {bindMode} without auth.\n"
        "Set gateway.auth.token/password (or OPENCLAW_GATEWAY_TOKEN/OPENCLAW_GATEWAY_PASSWORD) "
        "or pass --token/--password.\n"
        f"Gateway failed to start: refusing to bind gateway to {shown}:{port} without auth "
        "(set gateway.auth.token/password, or set OPENCLAW_GATEWAY_TOKEN/OPENCLAW_GATEWAY_PASSWORD; "
        "legacy CLAWDBOT_* and MOLTBOT_* environment variables are ignored). "
        "Run openclaw gateway status --deep for diagnostics.",
        EX_CONFIG,
    )


# the settings build as a config check ---------------------------------------
#
# The settings build is the C{validate} step of the one config write
# (L{openclaw.config.write.write_config}): a config the gateway would refuse at
# reload is refused before it is written, with the text the reload would log.
# The gateway's own writes (C{config.set|patch|apply}) build with its flags,
# environment and runtime token. C{openclaw config set} builds as a gateway started
# from the same shell would (no flags; the shell's environment and dotenv files),
# never writes a generated token, and checks exec secret providers without running
# them: editing the config must not run programs or prompt for secrets.


def settings_check(
    buildSettings: Callable[[ConfigSource], GatewaySettings],
) -> Callable[[ConfigSource], GatewaySettings]:
    """C{buildSettings}, with its refusal (L{StartupError}) as a L{ConfigError}."""

    def check(source: ConfigSource) -> GatewaySettings:
        try:
            return buildSettings(source)
        except StartupError as e:
            raise ConfigError(source.path, [e.message]) from None

    return check


def offline_check(environ: Mapping[str, str], paths: P.Paths) -> Callable[[ConfigSource], GatewaySettings]:
    """The check C{openclaw config set|unset} runs (see above)."""
    return settings_check(lambda source: build({}, environ, paths, source, persist=False, runExec=False))

