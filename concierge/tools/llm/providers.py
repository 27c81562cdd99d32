"""The chat models generation may use, by `provider/model` name, with what each costs.

The local answerer is always present; remote providers join when their keys are configured
(routed generation with failover deepens this).
"""

from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel

from concierge.tools.llm.local import LocalAnswerer

LOCAL_MODEL = "local/extractive"
GENERATION_TIMEOUT_S = 30.0
"""How long one provider may take for a whole answer before the next one is tried."""

# The router's default model for each tier of question; a tenant's `models` setting overrides them.
TIER_MODELS = {
    "fast": "google_genai/gemini-2.5-flash",
    "balanced": "openai/gpt-4o",
    "reasoning": "openai/o4-mini",
    "long_context": "google_genai/gemini-2.5-pro",
}

# USD per million input / output tokens.
PRICES: dict[str, tuple[float, float]] = {
    LOCAL_MODEL: (0.0, 0.0),
}


def cost_usd(model: str, input_tokens: int, output_tokens: int) -> float:
    price_in, price_out = PRICES.get(model, (0.0, 0.0))
    return (input_tokens * price_in + output_tokens * price_out) / 1_000_000


@dataclass
class ProviderRegistry:
    """Chat models by name; asking for one that is not configured is a KeyError."""

    models: dict[str, BaseChatModel] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.models.setdefault(LOCAL_MODEL, LocalAnswerer())

    def available(self, name: str) -> bool:
        return name in self.models

    def chat_model(self, name: str) -> BaseChatModel:
        return self.models[name]
