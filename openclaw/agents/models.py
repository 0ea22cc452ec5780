"""
The models section: which providers exist (built in, merged with or replaced by
C{models.providers}), their keys, and how a model ref names one of their models.

Built once per settings snapshot by L{ModelsSettings.fromConfig} from the loaded
config (C{${VAR}} already substituted), the resolved secrets snapshot, the
environment and the keys of the agents' auth profiles; nothing reads the config,
the environment or a store after that.

A provider's key is, first to last: the agent's auth profile for the provider
(L{openclaw.config.authprofiles.agent_keys}), C{models.providers.<id>.apiKey}, the
built-in provider's environment variable. C{providers} hold the default agent's
keys; L{ModelsSettings.forAgent} gives another agent's view.

Model refs are C{provider/model}. Only the first slash separates: C{openrouter/qwen/qwen3}
is model C{qwen/qwen3} of provider C{openrouter}. A bare id is looked up as an alias,
then as the id of exactly one configured model, then (deprecated) under the default
provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping

from openclaw.config.authprofiles import ProfileKeys
from openclaw.config.secrets import SecretsSnapshot

#: The wire APIs this gateway speaks, one module each under C{openclaw.agents.providers}.
SUPPORTED_APIS = ("openai-completions", "openai-responses", "anthropic-messages", "ollama")

DEFAULT_PROVIDER = "anthropic"
DEFAULT_MODEL = "anthropic/claude-opus-4-6"

#: Idle watchdog defaults: a hosted API answers fast, a local server may load a model first.
HOSTED_IDLE_SECONDS = 120
SELF_HOSTED_IDLE_SECONDS = 300


class ModelConfigError(ValueError):
    """The models config (or a model ref) cannot be used; the message names the path, never a key."""


@dataclass(frozen=True)
class BuiltinProvider:
    api: str
    baseUrl: str
    envKey: str
    selfHosted: bool = False


#: Providers known without any config; their key comes from the environment variable.
BUILTIN_PROVIDERS: Mapping[str, BuiltinProvider] = MappingProxyType({
    "openai": BuiltinProvider("openai-responses", "https://api.openai.com/v1", "OPENAI_API_KEY"),
    "anthropic": BuiltinProvider("anthropic-messages", "https://api.anthropic.com", "ANTHROPIC_API_KEY"),
    "ollama": BuiltinProvider("ollama", "http://127.0.0.1:11434", "OLLAMA_API_KEY", selfHosted=True),
})


@dataclass(frozen=True)
class ModelEntry:
    id: str
    name: str
    maxTokens: int | None = None
    contextWindow: int | None = None
    reasoning: bool = False
    #: C{compat.maxTokensField}: some OpenAI-compatible servers want C{max_completion_tokens}.
    maxTokensField: str | None = None
    supportsTools: bool = True


@dataclass(frozen=True)
class ProviderSettings:
    id: str
    api: str
    baseUrl: str
    apiKey: str | None = field(default=None, repr=False)
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    idleTimeoutSeconds: float = HOSTED_IDLE_SECONDS
    maxTokens: int | None = None
    models: tuple[ModelEntry, ...] = ()

    def model(self, modelId: str) -> ModelEntry | None:
        return next((m for m in self.models if m.id == modelId), None)


@dataclass(frozen=True)
class ModelRef:
    provider: str
    model: str

    def __str__(self) -> str:
        return f"{self.provider}/{self.model}"


@dataclass(frozen=True)
class ModelChoice:
    """An agent's model: the primary, then the fallbacks tried in order (none when strict)."""

    primary: str
    fallbacks: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelsSettings:
    mode: str
    providers: Mapping[str, ProviderSettings]
    default: ModelChoice
    #: alias → model ref text, from C{agents.defaults.models[ref].alias}.
    aliases: Mapping[str, str]
    #: agent id → its providers, for the agents whose auth-profile keys differ from the default agent's.
    agentProviders: Mapping[str, Mapping[str, ProviderSettings]] = field(
        default_factory=lambda: MappingProxyType({}), repr=False
    )

    @classmethod
    def fromConfig(
        cls,
        config: Mapping[str, Any],
        secrets: SecretsSnapshot,
        environ: Mapping[str, str],
        profileKeys: ProfileKeys = ProfileKeys(),
    ) -> "ModelsSettings":
        models = config_object(config.get("models"), "models")
        mode = models.get("mode", "merge")
        if mode not in ("merge", "replace"):
            raise ModelConfigError(f'models.mode must be "merge" or "replace" (got {mode!r})')
        configured = config_object(models.get("providers"), "models.providers")
        providers: dict[str, ProviderSettings] = {}
        if mode == "merge":
            for pid, builtin in BUILTIN_PROVIDERS.items():
                if pid not in configured:
                    providers[pid] = _builtin(pid, builtin, environ)
        for pid, raw in configured.items():
            providers[pid] = _provider(pid, config_object(raw, f"models.providers.{pid}"), secrets, environ)
        defaults = config_object(config_object(config.get("agents"), "agents").get("defaults"), "agents.defaults")
        return cls(
            mode=mode,
            providers=_with_keys(providers, profileKeys.default),
            default=model_choice(defaults.get("model"), "agents.defaults.model") or ModelChoice(DEFAULT_MODEL),
            aliases=MappingProxyType(_aliases(config_object(defaults.get("models"), "agents.defaults.models"))),
            agentProviders=MappingProxyType(
                {agentId: _with_keys(providers, keys) for agentId, keys in profileKeys.agents.items()}
            ),
        )

    def forAgent(self, agentId: str | None) -> "ModelsSettings":
        """These settings with C{agentId}'s provider keys (the default agent's: these)."""
        providers = self.agentProviders.get(agentId) if agentId is not None else None
        return self if providers is None else replace(self, providers=providers, agentProviders=MappingProxyType({}))

    def resolve(self, text: str) -> ModelRef:
        """The model ref named by C{text} (see the module docstring for the lookup order)."""
        text = text.strip()
        if not text:
            raise ModelConfigError("empty model ref")
        if "/" in text:
            provider, model = text.split("/", 1)
            if not provider or not model:
                raise ModelConfigError(f"invalid model ref {text!r}: expected provider/model")
            return ModelRef(provider.lower(), model)
        alias = self.aliases.get(text.lower())
        if alias is not None:
            return self.resolve(alias)
        matches = [p.id for p in self.providers.values() if p.model(text) is not None]
        if len(matches) == 1:
            return ModelRef(matches[0], text)
        if len(matches) > 1:
            raise ModelConfigError(f"model {text!r} is ambiguous: use one of " + ", ".join(f"{p}/{text}" for p in matches))
        return ModelRef(DEFAULT_PROVIDER, text)

    def plan(self, choice: ModelChoice | None = None) -> tuple[ModelRef, ...]:
        """The refs one turn tries in order: primary, then fallbacks (duplicates dropped)."""
        choice = choice or self.default
        plan: list[ModelRef] = []
        for text in (choice.primary, *choice.fallbacks):
            ref = self.resolve(text)
            if ref not in plan:
                plan.append(ref)
        return tuple(plan)

    def provider(self, ref: ModelRef) -> ProviderSettings:
        try:
            return self.providers[ref.provider]
        except KeyError:
            raise ModelConfigError(f"unknown model provider {ref.provider!r} (in {ref})") from None


def model_choice(raw: Any, path: str) -> ModelChoice | None:
    """
    An agent's C{model} setting. A plain string is strict (no fallbacks); an object
    gives C{primary} and C{fallbacks}. None when unset.
    """
    if raw is None:
        return None
    if isinstance(raw, str):
        return ModelChoice(raw)
    raw = config_object(raw, path)
    primary = raw.get("primary")
    if not isinstance(primary, str) or not primary.strip():
        raise ModelConfigError(f"{path}.primary must be a model ref")
    fallbacks = raw.get("fallbacks", [])
    if not isinstance(fallbacks, list) or not all(isinstance(f, str) and f.strip() for f in fallbacks):
        raise ModelConfigError(f"{path}.fallbacks must be a list of model refs")
    return ModelChoice(primary, tuple(fallbacks))


def config_object(raw: Any, path: str) -> Mapping[str, Any]:
    """C{raw} when it is an object, {} when unset; else a L{ModelConfigError} naming C{path}."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ModelConfigError(f"{path} must be an object")
    return raw


def _aliases(entries: Mapping[str, Any]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for ref, entry in entries.items():
        alias = config_object(entry, f"agents.defaults.models.{ref}").get("alias")
        if alias is None:
            continue
        if not isinstance(alias, str) or not alias.strip() or "/" in alias:
            raise ModelConfigError(f"agents.defaults.models.{ref}.alias must be a name without '/'")
        aliases[alias.strip().lower()] = ref
    return aliases


def _with_keys(providers: Mapping[str, ProviderSettings], keys: Mapping[str, str]) -> Mapping[str, ProviderSettings]:
    """C{providers} with the auth-profile C{keys} in place of their own (a profile comes first)."""
    return MappingProxyType({pid: replace(p, apiKey=keys[pid]) if pid in keys else p for pid, p in providers.items()})


def _builtin(pid: str, builtin: BuiltinProvider, environ: Mapping[str, str]) -> ProviderSettings:
    return ProviderSettings(
        id=pid,
        api=builtin.api,
        baseUrl=builtin.baseUrl,
        apiKey=environ.get(builtin.envKey) or None,
        idleTimeoutSeconds=SELF_HOSTED_IDLE_SECONDS if builtin.selfHosted else HOSTED_IDLE_SECONDS,
    )


def _provider(
    pid: str, raw: Mapping[str, Any], secrets: SecretsSnapshot, environ: Mapping[str, str]
) -> ProviderSettings:
    path = f"models.providers.{pid}"
    builtin = BUILTIN_PROVIDERS.get(pid)
    baseUrl = raw.get("baseUrl", builtin.baseUrl if builtin else None)
    if not isinstance(baseUrl, str) or not baseUrl.startswith(("http://", "https://")):
        raise ModelConfigError(f"{path}.baseUrl must be an http(s) URL")
    api = raw.get("api", builtin.api if builtin else "openai-completions")
    if api not in SUPPORTED_APIS:
        raise ModelConfigError(f"{path}.api {api!r} is not supported (use one of {', '.join(SUPPORTED_APIS)})")
    selfHosted = builtin.selfHosted if builtin else False
    idle = raw.get("timeoutSeconds", SELF_HOSTED_IDLE_SECONDS if selfHosted else HOSTED_IDLE_SECONDS)
    if not isinstance(idle, (int, float)) or isinstance(idle, bool) or idle <= 0:
        raise ModelConfigError(f"{path}.timeoutSeconds must be a positive number")
    headers = config_object(raw.get("headers"), f"{path}.headers")
    keyFromEnv = environ.get(builtin.envKey) if builtin else None
    return ProviderSettings(
        id=pid,
        api=api,
        baseUrl=baseUrl.rstrip("/"),
        apiKey=_secret(raw.get("apiKey"), f"{path}.apiKey", secrets) or keyFromEnv or None,
        headers=MappingProxyType({str(k): _secret(v, f"{path}.headers.{k}", secrets) or "" for k, v in headers.items()}),
        idleTimeoutSeconds=float(idle),
        maxTokens=_positive(raw.get("maxTokens"), f"{path}.maxTokens"),
        models=tuple(_model(m, f"{path}.models[{i}]") for i, m in enumerate(raw.get("models") or ())),
    )


def _secret(value: Any, path: str, secrets: SecretsSnapshot) -> str | None:
    """A plain string as written (C{${VAR}} already substituted), a SecretRef by its resolved value."""
    if value is None or isinstance(value, str):
        return value or None
    resolved = secrets.get(path)
    if resolved is None:
        raise ModelConfigError(f"{path} is a SecretRef that did not resolve")
    return resolved


def _positive(value: Any, path: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ModelConfigError(f"{path} must be a positive integer")
    return value


def _model(raw: Any, path: str) -> ModelEntry:
    raw = config_object(raw, path)
    mid = raw.get("id")
    if not isinstance(mid, str) or not mid:
        raise ModelConfigError(f"{path}.id must be a non-empty string")
    compat = config_object(raw.get("compat"), f"{path}.compat")
    field_ = compat.get("maxTokensField")
    if field_ is not None and field_ not in ("max_tokens", "max_completion_tokens"):
        raise ModelConfigError(f"{path}.compat.maxTokensField must be max_tokens or max_completion_tokens")
    return ModelEntry(
        id=mid,
        name=str(raw.get("name") or mid),
        maxTokens=_positive(raw.get("maxTokens"), f"{path}.maxTokens"),
        contextWindow=_positive(raw.get("contextWindow"), f"{path}.contextWindow"),
        reasoning=bool(raw.get("reasoning", False)),
        maxTokensField=field_,
        supportsTools=compat.get("supportsTools", True) is not False,
    )
