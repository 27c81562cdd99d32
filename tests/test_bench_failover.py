"""The failover benchmark runs and ends with its figures (a short run: the full one is `concierge bench failover`)."""

import pytest

from concierge.cli.bench import run_benchmark


def test_failover_benchmark_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    run_benchmark("failover", ["--turns", "12"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = dict(pair.split("=", 1) for pair in last.split())
    assert {"answered_pct", "lost", "duplicated", "router_us", "p95_added_ms", "breaker_saved_calls"} <= set(figures)
    assert figures["answered_pct"] == "100.0" and figures["lost"] == "0" and figures["duplicated"] == "0"
