"""Serving over HTTP: turn latency, time to first token and throughput of `concierge serve` on the demo with the local
answerer, against `langgraph dev` serving the same graph in the same run, and on PostgreSQL.

Every server is its own process on a loopback port, driven by an asyncio client streaming Server-Sent Events
(`stream_mode` messages-tuple and updates), each turn on a fresh thread:
- one conversation at a time (`--turns`, after a warm-up): `p50_ms`, `p95_ms` are the time from the request to
  the end of its stream;
- `--concurrent` conversations at once, `--rounds` turns each (the first a question, the next ones the following
  question, which counts as "continued" feedback): `ttft_p95_ms` is the time from the request to the answer's
  first token, `throughput_rps` turns per second, `errors` failed turns (HTTP errors, `error` events, a stream
  without an answer);
- the same concurrent load against `langgraph dev` (in memory) serving the same graph:
  `ratio_vs_langgraph_dev` = its p95 turn latency / ours (above 1: ours is faster). Both servers run side by side
  and the loads alternate, ours / theirs / theirs / ours (`--repeats` times): a machine whose load drifts over the
  minutes of a run moves both halves alike, instead of favouring whichever went first;
- the same concurrent load on PostgreSQL (app database and checkpoints): `pg_p95_ms`, its p95 turn latency.

Preconditions (one line and exit 1 when one fails, no figures): every server starts, PostgreSQL is reachable,
every turn of the sequential run answers, and the peer completed its load.

    concierge bench serve [--turns 60] [--concurrent 50] [--rounds 2] [--repeats 2] [--skip-pg] [--skip-dev]
"""

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from concierge.tools.demo.seed import DEMO_KEYS_FILE, seed_demo  # noqa: E402
from concierge.tools.llm.usage import percentile  # noqa: E402
from concierge.tools.settings import Settings  # noqa: E402
from concierge.tools.toolbox import Toolbox  # noqa: E402
from tests.loopback import free_port  # noqa: E402
from tests.processes import stop_process_group  # noqa: E402

BIN = Path(sys.executable).parent
QUESTIONS = [
    "How much is the Kestrel fountain pen?",
    "Is the Lumen clip light in stock?",
    "When is the book club?",
    "Can I return opened perfume?",
    "Any perfume consultation slots on Friday?",
    "Do you sell fountain pen ink?",
]
PG_URL = os.environ.get("CONCIERGE_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def require(condition: bool, why: str) -> None:
    """A figure is printed only when it was measured: a precondition that does not hold ends the run, exit 1."""
    if not condition:
        raise SystemExit(f"concierge bench serve: {why}; no figures printed")


@dataclass
class Turn:
    ms: float = 0.0
    ttft_ms: float | None = None
    ok: bool = False
    error: str = ""


@dataclass
class Load:
    turns: list[Turn] = field(default_factory=list)
    seconds: float = 0.0

    def __add__(self, other: "Load") -> "Load":
        """Loads run one after another, pooled: their turns together, their seconds summed."""
        return Load(self.turns + other.turns, self.seconds + other.seconds)

    @property
    def errors(self) -> int:
        return sum(1 for t in self.turns if not t.ok)

    def p(self, q: float) -> float:
        return percentile([t.ms for t in self.turns if t.ok], q)

    def ttft(self, q: float) -> float:
        return percentile([t.ttft_ms for t in self.turns if t.ok and t.ttft_ms is not None], q)


class Server:
    """A server process: `concierge serve` or `langgraph dev`, started and stopped as a process group."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path, cwd: Path | None = None):
        self.name, self.command, self.env, self.log, self.cwd = name, command, env, log, cwd
        self.url = ""
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, port: int, health: str, timeout_s: float = 120) -> "Server":
        self.url = f"http://127.0.0.1:{port}"
        with self.log.open("w") as out:
            self._proc = subprocess.Popen(
                self.command, env=self.env, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout_s
        while True:
            require(self._proc.poll() is None, f"{self.name} exited at start (see {self.log})")
            try:
                if httpx.get(self.url + health, timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            require(time.monotonic() < deadline, f"{self.name} did not start in {timeout_s:.0f} s")
            time.sleep(0.3)

    def stop(self) -> None:
        if self._proc is not None:
            stop_process_group(self._proc)


async def turn(http: httpx.AsyncClient, thread_id: str, question: str) -> Turn:
    body = {
        "assistant_id": "concierge",
        "input": {"messages": [{"role": "user", "content": question}]},
        "stream_mode": ["messages-tuple", "updates"],
    }
    out = Turn()
    started = time.perf_counter()
    answered = False
    try:
        async with http.stream("POST", f"/threads/{thread_id}/runs/stream", json=body) as response:
            if response.status_code != 200:
                out.error = f"HTTP {response.status_code}: {(await response.aread())[:200].decode(errors='replace')}"
                return out
            event = None
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "messages":
                    if out.ttft_ms is None:
                        chunk, meta = json.loads(line[5:])
                        if meta.get("langgraph_node") == "generate" and chunk.get("content"):
                            out.ttft_ms = (time.perf_counter() - started) * 1000
                elif line.startswith("data:") and event == "updates" and '"attribute"' in line:
                    answered = True
                elif line.startswith("data:") and event == "error":
                    out.error = f"error event: {line[5:].strip()[:200]}"
    except httpx.HTTPError as exc:
        out.error = type(exc).__name__
        return out
    out.ms = (time.perf_counter() - started) * 1000
    out.ok = answered and not out.error
    if not answered and not out.error:
        out.error = "no answer"
    return out


async def new_thread(http: httpx.AsyncClient) -> str:
    response = await http.post("/threads", json={})
    response.raise_for_status()
    return response.json()["thread_id"]


async def sequential(url: str, key: str, turns: int, warmup: int = 5) -> Load:
    load = Load()
    async with httpx.AsyncClient(base_url=url, timeout=60, headers={"X-Api-Key": key}) as http:
        for i in range(warmup + turns):
            result = await turn(http, await new_thread(http), QUESTIONS[i % len(QUESTIONS)])
            if i >= warmup:
                load.turns.append(result)
    return load


async def concurrent(url: str, key: str, conversations: int, rounds: int) -> Load:
    load = Load()
    limits = httpx.Limits(max_connections=conversations * 2, max_keepalive_connections=conversations * 2)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits, headers={"X-Api-Key": key}) as http:
        await turn(http, await new_thread(http), QUESTIONS[0])  # warm

        async def conversation(k: int) -> None:
            try:
                thread_id = await new_thread(http)
            except httpx.HTTPError as exc:
                load.turns.extend(Turn(error=type(exc).__name__) for _ in range(rounds))
                return
            for r in range(rounds):
                load.turns.append(await turn(http, thread_id, QUESTIONS[(k + r) % len(QUESTIONS)]))

        started = time.perf_counter()
        await asyncio.gather(*(conversation(k) for k in range(conversations)))
        load.seconds = time.perf_counter() - started
    return load


async def seed(data: Path) -> None:
    tools = await Toolbox.from_settings(Settings(data_dir=data)).open()
    try:
        await seed_demo(tools)
    finally:
        await tools.close()


async def pg_schema(seeded: Path) -> str:
    """A PostgreSQL schema of this run's own holding the seeded demo (dropped afterwards)."""
    import asyncpg

    from tests.postgres import copy_seeded

    try:
        conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        require(False, f"PostgreSQL unreachable at {PG_URL} ({exc}); pass --skip-pg to measure without it")
    schema = f"concierge_bench_{uuid.uuid4().hex[:10]}"
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    await copy_seeded(seeded, schema)
    return schema


async def drop_schema(schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=3)
    try:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await conn.close()


def ours(name: str, data: Path, log: Path, extra: dict[str, str] | None = None) -> Server:
    env = {
        **os.environ,
        "CONCIERGE_DATA_DIR": str(data),
        "CONCIERGE_LOG_LEVEL": "WARNING",
        "LANGSMITH_TRACING": "false",
        # The load is one key's: the sequential turns and four loads of ~150 requests come to ~740 in about a
        # minute, past the default 600/minute per key (one run lost a whole load, 100 turns, which fits a 429 on
        # its thread creations); `langgraph dev` limits nothing. Limits are not what is measured here.
        "CONCIERGE_RATE_LIMIT_KEY": "1000000/minute",
        "CONCIERGE_RATE_LIMIT_TENANT": "1000000/minute",
        **(extra or {}),
    }
    port = free_port()
    server = Server(name, [str(BIN / "concierge"), "serve", "--port", str(port)], env, log)
    return server.start(port, "/healthz")


def report(name: str, load: Load) -> None:
    ok = [t for t in load.turns if t.ok]
    why = Counter(t.error for t in load.turns if not t.ok)
    rps = len(ok) / load.seconds if load.seconds else 0.0
    print(
        f"{name:<34} turns={len(load.turns):>4} errors={load.errors:>3} p50={load.p(50):7.1f} ms "
        f"p95={load.p(95):7.1f} ms ttft_p95={load.ttft(95):7.1f} ms"
        + (f" {rps:6.1f} turns/s" if load.seconds else "")
        + (f" (failed: {dict(why)})" if why else "")
    )


async def _main(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="concierge-bench-serve-"))
    servers: list[Server] = []
    schema: str | None = None
    try:
        seeded = work / "seeded"
        await seed(seeded)

        data = work / "sqlite"
        shutil.copytree(seeded, data)
        server = ours("concierge (SQLite)", data, work / "concierge.log")
        servers.append(server)
        dev = None
        if not args.skip_dev:
            require((BIN / "langgraph").exists(), "langgraph-cli is not installed; pass --skip-dev")
            dev_data = work / "dev"
            shutil.copytree(seeded, dev_data)
            port = free_port()
            env = {**os.environ, "CONCIERGE_DATA_DIR": str(dev_data), "LANGSMITH_TRACING": "false"}
            command = [str(BIN / "langgraph"), "dev", "--port", str(port), "--no-browser", "--no-reload"]
            dev = Server("langgraph dev", command, env, work / "langgraph-dev.log", cwd=ROOT).start(port, "/ok")
            servers.append(dev)
        key = json.loads((seeded / DEMO_KEYS_FILE).read_text())["secret"]
        seq = await sequential(server.url, key, args.turns)
        report("concierge, one at a time", seq)
        require(seq.errors == 0, f"{seq.errors} of {len(seq.turns)} sequential turns did not answer")

        # Ours / theirs / theirs / ours: each half gets the same share of early and late minutes.
        load, peer = Load(), Load()
        for _ in range(args.repeats):
            for target in (server, dev, dev, server):
                if target is None:
                    continue
                one = await concurrent(target.url, key, args.concurrent, args.rounds)
                report(f"{target.name}, {args.concurrent} at once", one)
                if target is server:
                    require(len(one.turns) == args.concurrent * args.rounds, "a concurrent load did not run every turn")
                    load += one
                else:
                    require(one.errors < len(one.turns), "langgraph dev answered no turn: the peer did not run")
                    peer += one
        report(f"concierge, {args.concurrent} at once, pooled", load)
        ratio = None
        if dev is not None:
            report(f"langgraph dev, {args.concurrent} at once, pooled", peer)
            ratio = peer.p(95) / load.p(95)
            dev.stop()
            servers.remove(dev)
        server.stop()
        servers.remove(server)

        pg_p95 = None
        if not args.skip_pg:
            schema = await pg_schema(seeded)
            pg = ours(
                "concierge (PostgreSQL)",
                seeded,
                work / "concierge-pg.log",
                {
                    "CONCIERGE_DATABASE_URL": PG_URL,
                    "CONCIERGE_DATABASE_SCHEMA": schema,
                    "CONCIERGE_FILES_DIR": str(work / "pg-files"),
                },
            )
            servers.append(pg)
            pg_load = await concurrent(pg.url, key, args.concurrent, args.rounds)
            report(f"concierge on PostgreSQL, {args.concurrent} at once", pg_load)
            require(pg_load.errors < len(pg_load.turns), "the PostgreSQL server answered no turn")
            pg_p95 = pg_load.p(95)

        figures = {
            "p50_ms": f"{seq.p(50):.1f}",
            "p95_ms": f"{seq.p(95):.1f}",
            "ttft_p95_ms": f"{load.ttft(95):.1f}",
            "concurrent": str(args.concurrent),
            "errors": str(load.errors),
            "throughput_rps": f"{sum(1 for t in load.turns if t.ok) / load.seconds:.1f}",
        }
        if ratio is not None:
            figures["ratio_vs_langgraph_dev"] = f"{ratio:.2f}"
        if pg_p95 is not None:
            figures["pg_p95_ms"] = f"{pg_p95:.1f}"
        print(" ".join(f"{k}={v}" for k, v in figures.items()))
    finally:
        for server in servers:
            server.stop()
        if schema is not None:
            await drop_schema(schema)
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="concierge bench serve", description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=60, help="sequential turns measured (after 5 warm-up turns)")
    parser.add_argument("--concurrent", type=int, default=50, help="conversations streaming at once")
    parser.add_argument("--rounds", type=int, default=2, help="turns per concurrent conversation")
    parser.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="rounds of ours, theirs, theirs, ours (two concurrent loads each): the p95 of 50 at once is a queue's "
        "tail, and one round of 100 turns a side moved the ratio by +-0.2 between runs",
    )
    parser.add_argument("--skip-dev", action="store_true", help="do not measure langgraph dev (no ratio printed)")
    parser.add_argument("--skip-pg", action="store_true", help="do not measure on PostgreSQL (no pg_p95_ms printed)")
    asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
