"""The failover benchmark runs and ends with its figures (a short run: the full one is `concierge bench failover`),
and refuses to print figures when what it injects did not reach the providers."""

import pytest

from concierge.cli.bench import run_benchmark
from tests.provider_stubs import GeminiStub


def test_failover_benchmark_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    run_benchmark("failover", ["--turns", "12"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = dict(pair.split("=", 1) for pair in last.split())
    assert {"answered_pct", "lost", "duplicated", "router_us", "p95_added_ms", "breaker_saved_calls"} <= set(figures)
    assert figures["answered_pct"] == "100.0" and figures["lost"] == "0" and figures["duplicated"] == "0"
    assert int(figures["secondary_calls"]) > 0 and int(figures["secondary_answers"]) > 0, "failover reached Gemini"
    assert int(figures["primary_answers"]) > 0 and int(figures["failovers"]) > 0


def test_a_provider_that_served_no_calls_fails_the_benchmark(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The Gemini stub answering an API version the client does not call: every Gemini call is a 404, and the local
    # answerer still closes every turn. The benchmark must say so instead of printing answered_pct=100.0.
    monkeypatch.setattr(GeminiStub, "versions", ("v1alpha",))
    with pytest.raises(SystemExit, match=r"gemini-2.5-flash\) served no calls in the breaker run; no figures"):
        run_benchmark("failover", ["--turns", "12"])
    assert "answered_pct=" not in capsys.readouterr().out
