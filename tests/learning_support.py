"""What the learning tests share: a server whose learning loop is off (the tests drive it through its routes),
scripted customers that ask, read the answer and rate it, and a webhook receiver on 127.0.0.1."""

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from concierge.tools.demo.seed import CONTENT
from concierge.tools.settings import Settings
from tests.conftest import LiveServer
from tests.loopback import ThreadedServer

# Questions whose answers hold a figure a customer can check (price, stock): a scripted customer rates an answer
# helpful when the figure is there, as a real one would when it answers the question.
DEMO = [json.loads(line) for line in Path(str(CONTENT / "questions.jsonl")).read_text().splitlines() if line.strip()]
FIGURE_QUESTIONS = [q for q in DEMO if q["kind"] in ("price", "stock") and q.get("must_contain")]


def learning_settings(settings: Settings, **overrides: Any) -> Settings:
    """The test's settings with the loop off and small samples (each test drives decisions by hand)."""
    return settings.model_copy(update={"learning_check_s": 0, "learning_min_samples": 4, **overrides})


@contextmanager
def serving(settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(settings).start()
    try:
        yield server
    finally:
        server.stop()


def new_thread(client: httpx.Client, thread_id: str | None = None) -> str:
    r = client.post("/threads", json={"thread_id": thread_id} if thread_id else {})
    assert r.status_code == 200, r.text
    return r.json()["thread_id"]


def ask(client: httpx.Client, thread_id: str, question: str, customer_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"input": {"messages": [{"role": "user", "content": question}]}}
    if customer_id:
        body["context"] = {"customer_id": customer_id}
    r = client.post(f"/threads/{thread_id}/runs/wait", json=body, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def answered(out: dict[str, Any], figures: list[str]) -> bool:
    """What a customer sees: an answer stating the figure asked for."""
    text = out["messages"][-1]["content"] if out.get("messages") else ""
    return all(any(alt.lower() in text.lower() for alt in f.split("|")) for f in figures)


def customer_turn(client: httpx.Client, thread_id: str, question: dict[str, Any]) -> bool:
    """Ask, read, rate (helpful when the figure is in the answer; not helpful, then decline a person, otherwise)."""
    out = ask(client, thread_id, question["question"])
    good = answered(out, question["must_contain"])
    interrupts = out.get("__interrupt__") or []
    if interrupts and interrupts[0]["value"].get("type") == "feedback":
        r = client.post(
            f"/threads/{thread_id}/runs/wait",
            json={"command": {"resume": "helpful" if good else "not_helpful"}},
            timeout=60,
        )
        assert r.status_code == 200, r.text
        nxt = r.json().get("__interrupt__") or []
        if nxt and nxt[0]["value"].get("type") == "offer_human":
            r = client.post(f"/threads/{thread_id}/runs/wait", json={"command": {"resume": "no"}}, timeout=60)
            assert r.status_code == 200, r.text
    return good


class WebhookReceiver:
    """A chat tool's incoming webhook on 127.0.0.1: keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self._lock = threading.Lock()

        async def hook(request: Request) -> JSONResponse:
            body = await request.json()
            with self._lock:
                self.bodies.append(body)
            return JSONResponse({"ok": True})

        self.server = ThreadedServer(Starlette(routes=[Route("/hook", hook, methods=["POST"])]), "webhook")
        self.url = ""

    def __enter__(self) -> "WebhookReceiver":
        self.url = self.server.start() + "/hook"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


def run_async(coro: Any) -> Any:
    return asyncio.run(coro)
