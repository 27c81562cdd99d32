"""What a provider's failure means for the chain: retry the same model, move to the next, or to a longer one.

Errors are read through LangChain's provider-neutral taxonomy (`langchain_core.exceptions.ModelError` and its
subclasses, which `langchain-openai` and `langchain-google-genai` both raise), with the HTTP status and the
transport errors underneath as a fallback.
"""

import email.utils
import random
import re
import time
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

ErrorKind = Literal[
    "rate_limit", "server", "timeout", "context_length", "connection", "auth", "invalid", "empty", "other"
]
RETRY_SAME: frozenset[str] = frozenset({"rate_limit", "server"})
"""Kinds worth another try on the same model (429 and 5xx); the rest move down the chain at once."""
NOT_HEALTH: frozenset[str] = frozenset({"context_length"})
"""Kinds that say nothing about the provider's health: the request was too big for that model."""

_SERVER_ERROR_TYPES = ("server_error", "api_error", "overloaded_error")
_STREAM_SERVER_ERROR = re.compile(r"^(?:server_error|api_error|overloaded_error):|\bcode='server_error'")
_CONTEXT_WORDS = re.compile(
    r"context_length_exceeded|context length|context window|maximum number of tokens|token limit|prompt is too long",
    re.I,
)


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 2
    """Further tries of one model after a 429 or 5xx, before the next model."""
    base_backoff_s: float = 0.25
    max_backoff_s: float = 4.0
    max_wait_s: float = 10.0
    """A Retry-After longer than this is not waited for: the next provider answers instead."""

    def backoff_s(self, retry: int, retry_after: float | None) -> float:
        """Wait before retry number `retry` (0-based): the server's Retry-After, else capped, jittered doubling."""
        if retry_after is not None:
            return retry_after
        return min(self.base_backoff_s * 2**retry, self.max_backoff_s) * random.uniform(0.5, 1.0)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _status(exc: BaseException) -> int | None:
    for e in _chain(exc):
        for attr in ("status_code", "code"):
            value = getattr(e, attr, None)
            if isinstance(value, int) and 100 <= value < 600:
                return value
    return None


def classify(exc: BaseException) -> ErrorKind:
    """One word for what went wrong, the same for every provider."""
    chain = _chain(exc)
    if any(isinstance(e, ContextOverflowError) for e in chain) or _CONTEXT_WORDS.search(str(exc)):
        return "context_length"
    for e in chain:
        if isinstance(e, ModelRateLimitError):
            return "rate_limit"
        if isinstance(e, TimeoutError | ModelTimeoutError | httpx.TimeoutException):
            return "timeout"
        if isinstance(e, ModelAuthenticationError | ModelPermissionDeniedError):
            return "auth"
        if isinstance(e, ModelInvalidRequestError | ModelNotFoundError):
            return "invalid"
        if isinstance(e, ModelAPIError):
            return "server"
        if isinstance(e, ModelConnectionError | httpx.TransportError | ConnectionError):
            return "connection"
    for e in chain:  # an error event inside a stream carries no HTTP status, only its body
        body = getattr(e, "body", None)
        if isinstance(body, dict) and body.get("type") in _SERVER_ERROR_TYPES:
            return "server"
        # The Responses API's `error` / `response.failed` events reach us as langchain-openai's ValueError
        # ("server_error: ..."), with the code only in the text.
        if isinstance(e, ValueError) and _STREAM_SERVER_ERROR.search(str(e)):
            return "server"
    status = _status(exc)
    if status == 429:
        return "rate_limit"
    if status is not None and status >= 500:
        return "server"
    if status in (401, 403):
        return "auth"
    if status is not None and status >= 400:
        return "invalid"
    return "other"


def _header_delay(headers: Any) -> float | None:
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(float(ms) / 1000, 0.0)
        value = headers.get("retry-after")
    except Exception:
        return None
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # neither seconds nor an HTTP date: as if the provider had said nothing
    return max(when.timestamp() - time.time(), 0.0)


def _retry_info_delay(details: Any) -> float | None:
    """Gemini puts the wait in the error body: `{"@type": ".../google.rpc.RetryInfo", "retryDelay": "1.5s"}`."""
    if not isinstance(details, dict):
        return None
    error = details.get("error", details)
    for item in (error or {}).get("details", []) if isinstance(error, dict) else []:
        if isinstance(item, dict) and str(item.get("@type", "")).endswith("RetryInfo"):
            raw = str(item.get("retryDelay", "")).rstrip("s")
            try:
                return max(float(raw), 0.0)
            except ValueError:
                return None
    return None


def retry_after_s(exc: BaseException) -> float | None:
    """How long the provider asked us to wait (Retry-After, retry-after-ms, Gemini's RetryInfo), if it said."""
    for e in _chain(exc):
        response = getattr(e, "response", None)
        delay = _header_delay(getattr(response, "headers", None))
        if delay is None:
            delay = _retry_info_delay(getattr(e, "details", None) or getattr(e, "body", None))
        if delay is not None:
            return delay
    return None


def describe(exc: BaseException) -> str:
    text = str(exc).strip().replace("\n", " ")
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__
