"""The chat models generation may use, by `provider/model` name: what each costs, how much it reads, who serves it.

Remote providers go through their real LangChain clients (`langchain-openai`, `langchain-google-genai`); any
OpenAI-compatible server (Ollama, vLLM, llama.cpp) goes through `ChatOpenAI` with its base URL. A provider joins
when its key is configured, in the environment or in the tenant's settings; the local answerer is always present
and closes every chain.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # the clients load on first use: `concierge keys list` only parses provider settings
    import httpx
    from langchain_core.language_models import BaseChatModel

LOCAL_MODEL = "local/extractive"
GENERATION_TIMEOUT_S = 30.0
"""How long one provider may take for a whole answer before the next one is tried."""

ProviderKind = Literal["openai", "google_genai", "openai_compatible"]


@dataclass(frozen=True)
class ModelInfo:
    """Price in USD per million input / output tokens, and the context window in tokens."""

    price_in: float
    price_out: float
    context_window: int


# The price table, in one place: list prices of each vendor (2026), USD per million tokens.
# A model missing here is never used unless the deployment (CONCIERGE_MODEL_PRICES) or the tenant's settings
# (`prices`) price it: a name a client makes up must not run at an unknown cost, nor count as "cheapest".
MODELS: dict[str, ModelInfo] = {
    LOCAL_MODEL: ModelInfo(0.0, 0.0, 10_000_000),
    "google_genai/gemini-2.5-flash-lite": ModelInfo(0.10, 0.40, 1_048_576),
    "google_genai/gemini-2.5-flash": ModelInfo(0.30, 2.50, 1_048_576),
    "google_genai/gemini-2.5-pro": ModelInfo(1.25, 10.00, 1_048_576),
    "openai/gpt-4o-mini": ModelInfo(0.15, 0.60, 128_000),
    "openai/gpt-4o": ModelInfo(2.50, 10.00, 128_000),
    "openai/gpt-4.1-mini": ModelInfo(0.40, 1.60, 1_047_576),
    "openai/gpt-4.1": ModelInfo(2.00, 8.00, 1_047_576),
    "openai/o4-mini": ModelInfo(1.10, 4.40, 200_000),
    "openai/o3": ModelInfo(2.00, 8.00, 200_000),
    "openai/gpt-5-pro": ModelInfo(15.00, 120.00, 400_000),
}
DEFAULT_CONTEXT_WINDOW = 128_000

# The router's default model for each tier of question; a tenant's `tier_models` or `models` setting overrides them.
TIER_MODELS = {
    "fast": "google_genai/gemini-2.5-flash",
    "balanced": "openai/gpt-4o",
    "reasoning": "openai/o4-mini",
    "long_context": "google_genai/gemini-2.5-pro",
}
# What each tier falls back to before the local answerer: another vendor of the same class first.
TIER_FALLBACKS = {
    "fast": ["openai/gpt-4o-mini"],
    "balanced": ["google_genai/gemini-2.5-flash"],
    "reasoning": ["google_genai/gemini-2.5-pro", "openai/gpt-4o"],
    "long_context": ["openai/gpt-4.1"],
}


def price_of(name: str, prices: dict[str, dict[str, float]] | None = None) -> ModelInfo | None:
    """The model's price and window: the table's, else one set in `prices`; None for an unpriced model."""
    if name in MODELS:
        return MODELS[name]
    raw = (prices or {}).get(name)
    if not raw:
        return None
    window = int(raw.get("context_window") or DEFAULT_CONTEXT_WINDOW)
    return ModelInfo(float(raw["input"]), float(raw["output"]), window)


def model_info(name: str, prices: dict[str, dict[str, float]] | None = None) -> ModelInfo:
    """Price and window for bookkeeping; an unpriced model (never called) reads as free with the default window."""
    return price_of(name, prices) or ModelInfo(0.0, 0.0, DEFAULT_CONTEXT_WINDOW)


def cost_usd(
    model: str, input_tokens: int, output_tokens: int, prices: dict[str, dict[str, float]] | None = None
) -> float:
    info = model_info(model, prices)
    return (input_tokens * info.price_in + output_tokens * info.price_out) / 1_000_000


def key_fingerprint(config: ProviderConfig) -> str:
    """A short hash of how a provider is reached (key and URL): names a credential without revealing it."""
    return hashlib.sha256(f"{config.kind}\0{config.api_key}\0{config.base_url}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class ProviderConfig:
    """How to reach one provider. An OpenAI-compatible server needs a base URL; the others need a key."""

    name: str
    kind: ProviderKind
    api_key: str = ""
    base_url: str | None = None

    @property
    def usable(self) -> bool:
        return bool(self.base_url) if self.kind == "openai_compatible" else bool(self.api_key)

    @classmethod
    def parse(cls, name: str, raw: dict[str, Any] | str) -> ProviderConfig:
        """From settings: `{"api_key": ..., "base_url": ..., "kind": ...}`, or a bare key (or, for others, URL)."""
        if isinstance(raw, str):
            raw = {"base_url": raw} if raw.startswith("http") else {"api_key": raw}
        kind = raw.get("kind") or (name if name in ("openai", "google_genai") else "openai_compatible")
        if kind not in ("openai", "google_genai", "openai_compatible"):
            raise ValueError(f"provider {name!r}: unknown kind {kind!r}")
        return cls(name=name, kind=kind, api_key=str(raw.get("api_key") or ""), base_url=raw.get("base_url") or None)


def build_chat_model(
    config: ProviderConfig, model: str, timeout_s: float, http_client: httpx.AsyncClient | None = None
) -> BaseChatModel:
    """The provider's real LangChain client, with its own retries off: `generate` retries and fails over itself.

    `http_client` replaces langchain-openai's process-wide cached one, which is bound to the first event loop.
    """
    if config.kind == "google_genai":
        from langchain_google_genai import ChatGoogleGenerativeAI

        # max_retries=1 means one request and no retry in the Google SDK (0 would mean its default).
        return ChatGoogleGenerativeAI(
            model=model, api_key=config.api_key, base_url=config.base_url, max_retries=1, timeout=timeout_s
        )
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model,
        api_key=config.api_key or "not-needed",
        base_url=config.base_url,
        max_retries=0,
        timeout=timeout_s,
        stream_usage=True,
        http_async_client=http_client,
    )


@dataclass
class ProviderRegistry:
    """Chat models by `provider/model` name; asking for one that is not configured is a KeyError.

    `models` holds ready instances (the local answerer, or anything a test hands in); `providers` holds the
    deployment's configured providers, whose clients are built on first use and kept. A tenant's own provider
    settings (`Context.providers`) add to or replace the deployment's.
    """

    models: dict[str, BaseChatModel] = field(default_factory=dict)
    providers: dict[str, ProviderConfig] = field(default_factory=dict)
    timeout_s: float = GENERATION_TIMEOUT_S
    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    """The deployment's prices of models missing from `MODELS`; a tenant's own `prices` add to them."""
    _clients: dict[tuple[str, str, int], BaseChatModel] = field(default_factory=dict, repr=False)
    _http: dict[int, httpx.AsyncClient] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        from concierge.tools.llm.local import LocalAnswerer

        self.models.setdefault(LOCAL_MODEL, LocalAnswerer())

    @classmethod
    def from_settings(cls, settings: Any) -> ProviderRegistry:
        configs = [
            ProviderConfig("openai", "openai", settings.openai_api_key or "", settings.openai_base_url),
            ProviderConfig("google_genai", "google_genai", settings.google_api_key or "", settings.google_base_url),
            *(ProviderConfig.parse(n, raw) for n, raw in (settings.compatible_providers or {}).items()),
        ]
        return cls(
            providers={c.name: c for c in configs if c.usable},
            timeout_s=settings.generation_timeout_s,
            prices=dict(getattr(settings, "model_prices", None) or {}),
        )

    def _config(self, provider: str, tenant: dict[str, Any] | None) -> ProviderConfig | None:
        if tenant and provider in tenant:
            config = ProviderConfig.parse(provider, tenant[provider])
            return config if config.usable else None
        return self.providers.get(provider)

    def available(self, name: str, tenant: dict[str, Any] | None = None) -> bool:
        return name in self.models or self._config(name.split("/", 1)[0], tenant) is not None

    def price(self, name: str, tenant_prices: dict[str, dict[str, float]] | None = None) -> ModelInfo | None:
        """The model's price: the table's, the tenant's, the deployment's; None when nobody priced it."""
        return price_of(name, {**self.prices, **(tenant_prices or {})})

    def usable(
        self,
        name: str,
        tenant: dict[str, Any] | None = None,
        tenant_prices: dict[str, dict[str, float]] | None = None,
    ) -> bool:
        """Configured and priced: the only models a chain may hold."""
        return self.available(name, tenant) and (name in self.models or self.price(name, tenant_prices) is not None)

    def health_key(self, name: str, tenant: dict[str, Any] | None = None) -> str:
        """What the circuit breaker counts under: the model and the credential that reaches it, so a tenant's
        revoked key opens the breaker for that tenant's key only, never for everyone on the model."""
        config = None if name in self.models else self._config(name.partition("/")[0], tenant)
        return name if config is None else f"{name}#{key_fingerprint(config)}"

    def configured(self, tenant: dict[str, Any] | None = None) -> list[str]:
        """Names of the providers a tenant reaches: the deployment's, with the tenant's own added or removed."""
        return sorted(p for p in {*self.providers, *(tenant or {})} if self._config(p, tenant) is not None)

    def fingerprints(self, tenant: dict[str, Any] | None = None) -> dict[str, str]:
        """Fingerprint -> whose key it is (`tenant` or `deployment`), for the providers this tenant reaches."""
        out: dict[str, str] = {}
        for name in {*self.providers, *(tenant or {})}:
            config = self._config(name, tenant)
            if config is not None:
                out[key_fingerprint(config)] = "tenant" if tenant and name in tenant else "deployment"
        return out

    def chat_model(self, name: str, tenant: dict[str, Any] | None = None) -> BaseChatModel:
        """The model if it is ready; building a remote client is `achat_model`'s job (it reads certificates)."""
        if name in self.models:
            return self.models[name]
        key = self._key(name, tenant)
        if key in self._clients:
            return self._clients[key]
        raise KeyError(name)

    async def achat_model(self, name: str, tenant: dict[str, Any] | None = None) -> BaseChatModel:
        """The chat model for `name`, building its client on first use, in a worker thread: creating an HTTP
        client loads TLS certificates from disk, which must not block the event loop."""
        if name in self.models:
            return self.models[name]
        provider, _, model = name.partition("/")
        config = self._config(provider, tenant)
        if config is None or not model:
            raise KeyError(name)
        # Clients hold connections bound to an event loop: one set per loop (a server has one; tests many).
        loop = id(asyncio.get_running_loop())
        key = self._key(name, tenant, config)
        if key not in self._clients:
            if loop not in self._http:
                import httpx

                self._http[loop] = await asyncio.to_thread(httpx.AsyncClient, timeout=self.timeout_s)
            http = self._http[loop]
            self._clients[key] = await asyncio.to_thread(build_chat_model, config, model, self.timeout_s, http)
        return self._clients[key]

    def _key(
        self, name: str, tenant: dict[str, Any] | None, config: ProviderConfig | None = None
    ) -> tuple[str, str, int]:
        config = config or self._config(name.partition("/")[0], tenant)
        try:
            loop = id(asyncio.get_running_loop())
        except RuntimeError:
            loop = 0
        return name, hashlib.sha256(repr(config).encode()).hexdigest(), loop

    async def aclose(self) -> None:
        """Close the HTTP connections opened on the running loop."""
        loop = id(asyncio.get_running_loop())
        client = self._http.pop(loop, None)
        self._clients = {k: v for k, v in self._clients.items() if k[2] != loop}
        if client is not None:
            await client.aclose()

    def cheapest(
        self,
        names: list[str],
        tenant: dict[str, Any] | None = None,
        tenant_prices: dict[str, dict[str, float]] | None = None,
    ) -> list[str]:
        """The configured, priced models among `names`, cheapest output first, then input."""
        prices = {**self.prices, **(tenant_prices or {})}
        usable = [n for n in dict.fromkeys(names) if self.usable(n, tenant, tenant_prices)]
        return sorted(usable, key=lambda n: (model_info(n, prices).price_out, model_info(n, prices).price_in))
