"""How provider errors are read: kinds, the waits providers ask for, the backoff when they do not say."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import openai
import pytest

from concierge.tools.llm.failover import RetryPolicy, classify, retry_after_s

REQUEST = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")


def rate_limit(headers: dict[str, str]) -> openai.RateLimitError:
    return openai.RateLimitError("slow down", response=httpx.Response(429, headers=headers, request=REQUEST), body=None)


def test_retry_after_in_seconds_milliseconds_or_as_a_date() -> None:
    assert retry_after_s(rate_limit({"retry-after": "2"})) == 2.0
    assert retry_after_s(rate_limit({"retry-after": "2", "retry-after-ms": "250"})) == 0.25, "the finer one wins"
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 27 <= retry_after_s(rate_limit({"retry-after": when})) <= 30
    assert retry_after_s(rate_limit({})) is None
    assert retry_after_s(rate_limit({"retry-after": "soon"})) is None


def test_kinds_from_the_sdk_errors_and_plain_transport_errors() -> None:
    assert classify(rate_limit({})) == "rate_limit"
    server = openai.InternalServerError("boom", response=httpx.Response(503, request=REQUEST), body=None)
    assert classify(server) == "server"
    assert classify(TimeoutError()) == "timeout"
    assert classify(httpx.RemoteProtocolError("peer closed connection")) == "connection"
    assert classify(ValueError("This model's maximum context length is 8192 tokens")) == "context_length"
    assert classify(RuntimeError("?")) == "other"


@pytest.mark.parametrize("retry", [0, 1, 2, 5])
def test_backoff_doubles_with_jitter_up_to_a_cap(retry: int) -> None:
    policy = RetryPolicy(base_backoff_s=0.5, max_backoff_s=2.0)
    full = min(0.5 * 2**retry, 2.0)
    assert all(full / 2 <= policy.backoff_s(retry, None) <= full for _ in range(50))
    assert policy.backoff_s(retry, 7.0) == 7.0, "the provider's own wait wins"
