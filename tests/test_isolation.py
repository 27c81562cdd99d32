"""Two tenants on one server: random sequences of requests never show one tenant another's data (hypothesis), and
our OpenAPI, fuzzed with valid keys, never gets a 5xx and every 4xx says why (schemathesis)."""

import asyncio
import json
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from concierge.tools.demo.seed import DEMO_KEYS_FILE
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from tests.conftest import LiveServer, add_tenant

PROPERTY_EXAMPLES = 25
SCHEMA_EXAMPLES = 12
"""Per operation: about 30 operations, a few hundred calls, well under a minute. (Schemathesis's invalid-request
mode spends minutes searching for cases on operations with nothing to get wrong: left out.)"""
LOTS = "1000000/minute"


@dataclass
class Tenant:
    """What one tenant has made, and the words only its data holds."""

    name: str
    key: str
    public: str
    secret: str
    threads: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    skus: list[str] = field(default_factory=list)

    def traces(self) -> set[str]:
        """Strings that must never reach the other tenant."""
        return {self.secret, *self.threads, *self.documents, *self.skus}


@pytest.fixture(scope="module")
def two_tenants(seeded_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict]]:
    data = tmp_path_factory.mktemp("isolation") / "data"
    shutil.copytree(seeded_dir, data)
    conf = Settings(data_dir=data, rate_limit_key=LOTS, rate_limit_tenant=LOTS, rate_limit_publishable=LOTS)

    async def make() -> str:
        tools = await Toolbox.from_settings(conf).open()
        try:
            return await add_tenant(tools, "rival", name="Rival Stationers")
        finally:
            await tools.close()

    rival_key = asyncio.run(make())
    demo_key = json.loads((data / DEMO_KEYS_FILE).read_text())["secret"]
    tenants = {
        "demo": Tenant("demo", demo_key, "quillmere", "zarkovian"),
        "rival": Tenant("rival", rival_key, "penstrel", "vorthaxic"),
    }
    server = LiveServer(conf).start()
    yield server, tenants
    server.stop()


OPS = [
    "thread",
    "ask",
    "document",
    "product",
    "list_documents",
    "get_document",
    "get_thread",
    "thread_state",
    "run_other",
    "products",
    "retrieval_log",
    "retrieval_summary",
    "usage_daily",
    "usage_latency",
    "provider_health",
    "audit",
    "keys",
    "tenants",
]


def _act(client: httpx.Client, me: Tenant, other: Tenant, op: str, pick: int) -> tuple[httpx.Response, str]:
    """Do one request as `me`; returns the response and the text of the request (what it may echo)."""

    def one(items: list[str]) -> str:
        return items[pick % len(items)] if items else "none"

    if op == "thread":
        r = client.post("/threads", json={"metadata": {"note": me.public}})
        if r.status_code == 200:
            me.threads.append(r.json()["thread_id"])
        return r, ""
    if op == "ask":
        if not me.threads:
            return client.get("/ok"), ""
        question = f"What is the {other.public} code? And the {me.public} one?"
        body = {"input": {"messages": [{"role": "user", "content": question}]}}
        return client.post(f"/threads/{me.threads[-1]}/runs/wait", json=body), question
    if op == "document":
        text = f"# {me.public}\n\nThe {me.public} code is {me.secret}. Ask for the {me.public} {uuid.uuid4().hex}.\n"
        r = client.post("/documents", files={"file": (f"{me.public}.md", text.encode())})
        if r.status_code in (200, 202):
            me.documents.append(r.json()["document_id"])
        return r, ""
    if op == "product":
        sku = f"{me.name}-{uuid.uuid4().hex[:8]}"
        row = {"sku": sku, "name": f"{me.public.title()} pen", "description": f"code {me.secret}", "price": 9}
        r = client.post("/catalog/import", json=[row])
        me.skus.append(sku)
        return r, ""
    target = {
        "get_document": f"/documents/{one(other.documents)}",
        "get_thread": f"/threads/{one(other.threads)}",
        "thread_state": f"/threads/{one(other.threads)}/state",
        "list_documents": "/documents",
        "products": f"/catalog/products?q={other.public}",
        "retrieval_log": "/retrieval/log",
        "retrieval_summary": "/retrieval/summary",
        "usage_daily": "/usage/daily",
        "usage_latency": "/usage/latency",
        "provider_health": "/providers/health",
        "audit": "/admin/audit",
        "keys": f"/admin/tenants/{me.name}/keys",
        "tenants": "/admin/tenants",
    }
    if op == "run_other":
        path = f"/threads/{one(other.threads)}/runs/wait"
        r = client.post(path, json={"input": {"messages": [{"role": "user", "content": "hello"}]}})
        if other.threads:
            assert r.status_code == 404, r.text
        return r, path
    r = client.get(target[op])
    if op in ("get_document", "get_thread", "thread_state") and (
        other.documents if op == "get_document" else other.threads
    ):
        assert r.status_code == 404, (op, r.text)
    return r, target[op]


CALLS = {"property": 0}


@settings(
    max_examples=PROPERTY_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(st.tuples(st.sampled_from(["demo", "rival"]), st.sampled_from(OPS), st.integers(0, 50)), max_size=8)
)
def test_no_response_to_one_tenant_holds_anothers_data(two_tenants: tuple[LiveServer, dict], steps: list) -> None:
    server, tenants = two_tenants
    for who, op, pick in steps:
        me, other = tenants[who], tenants["rival" if who == "demo" else "demo"]
        with httpx.Client(base_url=server.url, headers={"X-Api-Key": me.key}, timeout=60) as client:
            response, asked = _act(client, me, other, op, pick)
        CALLS["property"] += 1
        assert response.status_code < 500, (op, response.text)
        leaked = {t for t in other.traces() if t in response.text and t not in asked}
        if other.name not in asked and op not in ("ask",):
            leaked |= {other.name} & set(_words(response.text))
        assert not leaked, f"{who} {op}: {leaked} of {other.name} in {response.text[:300]}"


def _words(text: str) -> set[str]:
    return set(text.replace('"', " ").replace("'", " ").replace(",", " ").replace(":", " ").split())


def test_the_property_ran_and_the_tenants_made_data(two_tenants: tuple[LiveServer, dict]) -> None:
    """After the property test (same module server): each tenant's data exists and is its own."""
    server, tenants = two_tenants
    for me in tenants.values():
        with httpx.Client(base_url=server.url, headers={"X-Api-Key": me.key}, timeout=60) as client:
            docs = client.get("/documents").json()["documents"]
            assert {d["document_id"] for d in docs} >= set(me.documents)
    print(f"property examples={PROPERTY_EXAMPLES} requests={CALLS['property']}")


def test_openapi_fuzzed_with_valid_keys_never_5xx_and_every_4xx_says_why(
    two_tenants: tuple[LiveServer, dict],
) -> None:
    server, tenants = two_tenants
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    key = tenants["demo"].key
    calls: list[tuple[str, int]] = []
    failures: list[str] = []
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == "DELETE" and "keys" in operation.path:
            continue  # revoking keys at random would end the run; covered by test_auth
        if operation.path == "/handoffs/stream":
            continue  # a stream that lets the key in never ends; tenants and scopes: test_handoffs, test_auth
        _fuzz(operation, GenerationMode.POSITIVE, server.url, key, calls, failures)()
    elapsed = time.monotonic() - started
    print(f"schemathesis operations={len({c for c, _ in calls})} calls={len(calls)} seconds={elapsed:.1f}")
    assert not failures, "\n".join(failures[:20])
    assert len({c for c, _ in calls}) >= 25  # its time is printed above, not asserted: it depends on the machine


def _fuzz(operation: schemathesis.APIOperation, mode: GenerationMode, url: str, key: str, calls: list, failures: list):
    """A hypothesis test of one operation: generated requests with a valid key, and what their answers must be."""

    @settings(max_examples=SCHEMA_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        response = case.call(base_url=url, headers={"X-Api-Key": key}, timeout=60)
        calls.append((operation.label, response.status_code))
        if response.status_code >= 500:
            failures.append(f"{operation.label}: {response.status_code} {response.text[:200]}")
        elif response.status_code >= 400:
            try:
                detail = json.loads(response.text).get("detail")
            except (ValueError, AttributeError):
                detail = None
            if not isinstance(detail, str) or not detail.strip():
                failures.append(f"{operation.label}: {response.status_code} without a readable detail")

    return check
