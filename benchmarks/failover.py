"""Fault injection: 200 turns through the whole graph, the primary provider failing ~30% of calls, the secondary 10%.

Both providers are loopback stubs of the OpenAI and Gemini APIs, called through the real LangChain clients. The
primary (openai/gpt-4o) fails with 500s, 429s (Retry-After), hangs past the timeout and streams that die after a
few tokens, in two outages and as background noise; the secondary (google_genai/gemini-2.5-flash) fails 10% with
500s and 429s; the local answerer closes the chain. Each turn must end with exactly one whole answer from one
model: `lost` counts turns without one, `duplicated` turns with more than one answer or one spliced from two.

The same fault schedule (drawn per turn and call, seeded) runs twice in the same process: with the circuit
breaker and, as the peer, without it, so the calls the breaker saved and the latency it spared are measured.
Time is compressed (a turn takes milliseconds), so the health window and cooldown are scaled down (printed).

Preconditions, checked after each run: every turn ran, faults were injected, both providers answered turns, and
failover happened. If one does not hold (a stub the client no longer reaches, a peer that did not run), the
benchmark exits 1 with one line saying which, and prints no figures: the local answerer closing the chain would
otherwise keep `answered_pct` at 100 while measuring nothing.

    concierge bench failover [--turns 200] [--seed 7] [--timeout 0.3]
"""

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from langchain_core.messages import AIMessage, AIMessageChunk  # noqa: E402
from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph.runtime import Runtime  # noqa: E402

from concierge.graph.graph import build_graph  # noqa: E402
from concierge.nodes.route_model import route_model  # noqa: E402
from concierge.state import Context  # noqa: E402
from concierge.state.conversation import DISCARDED_EVENT  # noqa: E402
from concierge.tools.analysis.query import analyze  # noqa: E402
from concierge.tools.demo.seed import seed_demo  # noqa: E402
from concierge.tools.llm.failover import RetryPolicy  # noqa: E402
from concierge.tools.llm.health import HealthPolicy, HealthTracker  # noqa: E402
from concierge.tools.llm.providers import LOCAL_MODEL, ProviderConfig  # noqa: E402
from concierge.tools.llm.usage import percentile  # noqa: E402
from concierge.tools.settings import Settings  # noqa: E402
from concierge.tools.toolbox import Toolbox  # noqa: E402
from tests.provider_stubs import (  # noqa: E402
    GeminiStub,
    OpenAIStub,
    Reply,
    answer,
    breaks_after,
    hang,
    rate_limited,
    server_error,
)

PRIMARY, SECONDARY = "openai/gpt-4o", "google_genai/gemini-2.5-flash"
QUESTIONS = [
    "How much is the Kestrel fountain pen?",
    "Can I return opened perfume?",
    "Any perfume consultation slots on Friday?",
    "When is the book club?",
    "Is the Lumen clip light in stock?",
    "Do you gift wrap?",
    "Which notebook is better for fountain pens, and why?",
    "What are your opening hours?",
]
OUTAGES = [(0.20, 0.35), (0.65, 0.75)]
"""Shares of the run during which the primary is mostly down (turns 40-69 and 130-149 of 200)."""
MIN_TURNS = 10
"""Fewer turns leave no room for an outage."""


def require(condition: bool, why: str) -> None:
    """A figure is printed only when it was measured: a precondition that does not hold ends the run, exit 1."""
    if not condition:
        raise SystemExit(f"concierge bench failover: {why}; no figures printed")


@dataclass
class Faults:
    """The primary's and secondary's reply for call k of turn t, the same in every run with the same seed."""

    seed: int
    timeout_s: float
    turns: int
    turn: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)

    def _rng(self, who: str, k: int) -> random.Random:
        return random.Random(f"{self.seed}:{who}:{self.turn}:{k}")

    def primary(self, model: str, n: int) -> Reply:
        k = self._count("primary")
        rng = self._rng("primary", k)
        down = any(round(a * self.turns) <= self.turn < round(b * self.turns) for a, b in OUTAGES)
        if rng.random() >= (0.80 if down else 0.06):
            return answer(f"Primary answer to turn {self.turn}, all of it [1].")
        self.failed["primary"] = self.failed.get("primary", 0) + 1
        kind = rng.choices(["500", "429", "hang", "break"], weights=[35, 30, 20, 15])[0]
        if kind == "500":
            return server_error()
        if kind == "429":
            return rate_limited(retry_after_ms=50)
        if kind == "hang":
            return hang(self.timeout_s * 4)
        return breaks_after(3, f"Primary answer to turn {self.turn}, all of it [1].")

    def secondary(self, model: str, n: int) -> Reply:
        k = self._count("secondary")
        rng = self._rng("secondary", k)
        if rng.random() >= 0.10:
            return answer(f"Secondary answer to turn {self.turn}, whole [1].")
        self.failed["secondary"] = self.failed.get("secondary", 0) + 1
        return server_error() if rng.random() < 0.5 else rate_limited(retry_after_ms=50)

    def _count(self, who: str) -> int:
        k = self.calls.get(f"{who}:{self.turn}", 0)
        self.calls[f"{who}:{self.turn}"] = k + 1
        self.calls[who] = self.calls.get(who, 0) + 1
        return k


@dataclass
class Outcome:
    answered: int = 0
    lost: int = 0
    duplicated: int = 0
    discarded: int = 0
    failovers: int = 0
    answered_by: Counter[str] = field(default_factory=Counter)
    """Whole answers per model (`provider/model`, or the local answerer)."""
    latencies_clean: list[float] = field(default_factory=list)
    latencies_failed_over: list[float] = field(default_factory=list)
    primary_calls: int = 0
    primary_failed: int = 0
    secondary_calls: int = 0
    secondary_failed: int = 0
    saved: int = 0
    seconds: float = 0.0


async def run(settings: Settings, turns: int, seed: int, timeout_s: float, breaker: bool) -> Outcome:
    openai, gemini = OpenAIStub().start(), GeminiStub().start()
    faults = Faults(seed, timeout_s, turns)
    openai.default, gemini.default = faults.primary, faults.secondary
    tools = await Toolbox.from_settings(settings).open()
    tools.models.providers = {
        "openai": ProviderConfig("openai", "openai", "sk-bench", openai.base_url),
        "google_genai": ProviderConfig("google_genai", "google_genai", "g-bench", gemini.base_url),
    }
    tools.retry = RetryPolicy(retries=2, base_backoff_s=0.02, max_backoff_s=0.1, max_wait_s=1.0)
    policy = HealthPolicy(window_s=1.5, failure_rate=0.5, min_calls=4, cooldown_s=0.5)
    tools.health = HealthTracker(policy if breaker else replace(policy, failure_rate=1.01))
    ctx = Context(
        tenant_id="demo", business_name="Inkwell & Oak", models=[PRIMARY, SECONDARY], generation_timeout_s=timeout_s
    )
    ctx.tools = tools
    graph = build_graph(InMemorySaver())
    out = Outcome()
    started = time.perf_counter()
    try:
        for t in range(turns):
            faults.turn = t
            await _turn(graph, ctx, t, out)
    finally:
        out.seconds = time.perf_counter() - started
        out.saved = tools.health.calls_saved()
        await tools.close()
        openai.stop()
        gemini.stop()
    out.primary_calls, out.secondary_calls = faults.calls.get("primary", 0), faults.calls.get("secondary", 0)
    out.primary_failed, out.secondary_failed = faults.failed.get("primary", 0), faults.failed.get("secondary", 0)
    return out


async def _turn(graph, ctx: Context, t: int, out: Outcome) -> None:
    config = {"configurable": {"thread_id": f"turn-{t}"}}
    question = {"messages": [{"role": "user", "content": QUESTIONS[t % len(QUESTIONS)]}]}
    streamed: dict[str, str] = {}
    discarded: set[str] = set()
    try:
        async for mode, chunk in graph.astream(question, config, context=ctx, stream_mode=["messages", "custom"]):
            if mode == "custom" and chunk.get("event") == DISCARDED_EVENT:
                discarded.add(chunk["message_id"])
            elif (
                mode == "messages"
                and isinstance(chunk[0], AIMessageChunk)
                and chunk[1].get("langgraph_node") == "generate"
            ):
                streamed[chunk[0].id] = streamed.get(chunk[0].id, "") + chunk[0].text
        values = (await graph.aget_state(config)).values
    except Exception as exc:
        print(f"turn {t}: lost ({type(exc).__name__}: {exc})", file=sys.stderr)
        out.lost += 1
        return
    answers = [m for m in values.get("messages", []) if isinstance(m, AIMessage)]
    record = values.get("generation")
    if not answers or record is None:
        out.lost += 1
        return
    kept = [i for i in streamed if i not in discarded]
    whole = {
        PRIMARY: f"Primary answer to turn {t}, all of it",
        SECONDARY: f"Secondary answer to turn {t}, whole",
    }
    generated = streamed.get(answers[0].id, "")
    # One answer, from one model, streamed whole under its own id; every other streamed message was withdrawn.
    one_model = answers[0].name == LOCAL_MODEL or generated.startswith(whole[answers[0].name])
    if len(answers) != 1 or kept != [answers[0].id] or not one_model:
        out.duplicated += 1
        return
    out.answered += 1
    out.answered_by[answers[0].name or "?"] += 1
    out.discarded += len(discarded)
    failed_over = any(not a["ok"] for a in record["attempts"])
    out.failovers += record.get("failed_over_from") is not None
    (out.latencies_failed_over if failed_over else out.latencies_clean).append(record["latency_ms"])


async def router_overhead_us(settings: Settings, rounds: int) -> float:
    """Mean time of the `route_model` node per turn (features, tiktoken prompt size, policy; no budget lookup)."""
    from datetime import date

    tools = await Toolbox.from_settings(settings).open()
    tools.models.providers = {
        "openai": ProviderConfig("openai", "openai", "sk"),
        "google_genai": ProviderConfig("google_genai", "google_genai", "g"),
    }
    runtime = Runtime(context=Context(tenant_id="demo", tools=tools))
    context_text = "The Kestrel Fountain Pen costs 48.00 EUR and has a steel nib. " * 40
    states = []
    for i, q in enumerate(QUESTIONS * 25):
        analysis = analyze(q, today=date(2026, 11, 21), depth=i % 5, available=["documents", "catalog"])
        states.append(
            {
                "messages": [
                    AIMessage(context_text[:400]),
                    AIMessage("Earlier answer [1]."),
                    {"role": "user", "content": q},
                ],
                "analysis": analysis,
                "context": {"tokens": 600, "text": context_text},
                "turn": i % 5 + 1,
            }
        )
    from langchain_core.messages import convert_to_messages

    for s in states:
        s["messages"] = convert_to_messages(s["messages"])
    await route_model(states[0], runtime)  # warm the tokenizer
    started = time.perf_counter()
    for _ in range(rounds):
        for s in states:
            await route_model(s, runtime)
    elapsed = time.perf_counter() - started
    await tools.close()
    return elapsed / (rounds * len(states)) * 1e6


def check(label: str, out: Outcome, turns: int) -> None:
    """What a run must have done for its figures to mean anything."""
    require(out.answered + out.lost + out.duplicated == turns, f"the {label} run ended after fewer than {turns} turns")
    require(out.primary_calls > 0, f"the primary ({PRIMARY}) served no calls in the {label} run")
    require(out.primary_failed > 0, f"no fault was injected into the primary in the {label} run")
    require(out.secondary_calls > 0, f"the secondary ({SECONDARY}) served no calls in the {label} run")
    for model in (PRIMARY, SECONDARY):
        require(out.answered_by[model] > 0, f"{model} answered no turn in the {label} run")
    require(out.failovers > 0 and out.latencies_failed_over, f"no turn failed over in the {label} run")
    require(bool(out.latencies_clean), f"no turn was answered without a failure in the {label} run")


def _p95_added(out: Outcome) -> float:
    base = statistics.median(out.latencies_clean) if out.latencies_clean else 0.0
    return percentile([lat - base for lat in out.latencies_failed_over], 95)


def _report(label: str, out: Outcome, turns: int) -> None:
    print(
        f"{label}: answered {out.answered}/{turns}, lost {out.lost}, duplicated {out.duplicated}, "
        f"primary calls {out.primary_calls} ({out.primary_failed} injected failures, "
        f"{100 * out.primary_failed / max(out.primary_calls, 1):.1f}%), secondary calls {out.secondary_calls} "
        f"({out.secondary_failed} failures, {100 * out.secondary_failed / max(out.secondary_calls, 1):.1f}%), "
        f"answers by model {dict(out.answered_by)}, failovers {out.failovers}, "
        f"discarded mid-stream {out.discarded}, calls skipped by the breaker {out.saved}, "
        f"median clean turn {statistics.median(out.latencies_clean or [0]):.0f} ms, "
        f"p95 added by failover {_p95_added(out):.0f} ms, {out.seconds:.1f} s"
    )


async def _main(args: argparse.Namespace) -> None:
    require(args.turns >= MIN_TURNS, f"--turns must be at least {MIN_TURNS} (the primary's outages need room)")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        tools = await Toolbox.from_settings(settings).open()
        await seed_demo(tools)
        await tools.close()
        print(
            f"{args.turns} turns, chain {PRIMARY} -> {SECONDARY} -> {LOCAL_MODEL}; provider timeout {args.timeout} s, "
            f"2 retries on 429/5xx; breaker: window 1.5 s, >50% of >=4 calls, cooldown 0.5 s (time-compressed)"
        )
        with_breaker = await run(settings, args.turns, args.seed, args.timeout, breaker=True)
        _report("with breaker   ", with_breaker, args.turns)
        check("breaker", with_breaker, args.turns)
        without = await run(settings, args.turns, args.seed, args.timeout, breaker=False)
        _report("without breaker", without, args.turns)
        check("peer (no breaker)", without, args.turns)
        require(
            without.primary_calls >= with_breaker.primary_calls,
            "the peer made fewer primary calls than the breaker run: it did not replay the same faults",
        )
        router_us = await router_overhead_us(settings, rounds=5)
    print(f"router decision (route_model node, tiktoken prompt size included): {router_us:.0f} us per turn")
    w = with_breaker  # injected failure shares are read from the peer, which makes every primary call
    print(
        f"turns={args.turns} answered_pct={100 * w.answered / args.turns:.1f} lost={w.lost} duplicated={w.duplicated} "
        f"primary_fail_pct={100 * without.primary_failed / max(without.primary_calls, 1):.1f} "
        f"secondary_fail_pct={100 * without.secondary_failed / max(without.secondary_calls, 1):.1f} "
        f"failovers={w.failovers} discarded={w.discarded} "
        f"p95_added_ms={_p95_added(w):.0f} p95_added_ms_no_breaker={_p95_added(without):.0f} "
        f"breaker_saved_calls={w.saved} primary_calls={w.primary_calls} "
        f"primary_calls_no_breaker={without.primary_calls} secondary_calls={w.secondary_calls} "
        f"primary_answers={w.answered_by[PRIMARY]} secondary_answers={w.answered_by[SECONDARY]} "
        f"local_answers={w.answered_by[LOCAL_MODEL]} router_us={router_us:.0f}"
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="concierge bench failover", description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=0.3, help="provider timeout in seconds")
    asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
