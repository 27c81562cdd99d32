"""Web search with the real httpx clients against stub Google Custom Search and Tavily servers on 127.0.0.1."""

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from langgraph.runtime import Runtime
from sqlalchemy import update

from concierge.nodes.analyze_query import analyze_query
from concierge.nodes.retrieve_web import retrieve_web
from concierge.state import Context
from concierge.tools.analysis.query import analyze
from concierge.tools.db.base import utcnow
from concierge.tools.db.models import WebCacheEntry
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from concierge.tools.web.cache import CachedWebSearch, RateLimiter, build_web_search, cache_key
from concierge.tools.web.providers import GoogleCustomSearch, TavilySearch
from concierge.tools.web.search import WebResult, WebSearchError, filter_results, is_ad, query_for_product
from tests.web_stubs import PEN_HITS, WebStub

PEN_QUERY = "Kestrel Fountain Pen KF-200 stationery"


@pytest.fixture(scope="module")
def stub() -> Iterator[WebStub]:
    server = WebStub().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def reset(stub: WebStub) -> None:
    stub.mode = "ok"
    stub.requests.clear()


def google(stub: WebStub, timeout: float = 1.0) -> GoogleCustomSearch:
    return GoogleCustomSearch("g-key", "cx-123", stub.google_endpoint, timeout)


def tavily(stub: WebStub, timeout: float = 1.0) -> TavilySearch:
    return TavilySearch("tvly-test", stub.tavily_endpoint, timeout)


@pytest.mark.parametrize("make", [google, tavily])
async def test_good_answers_parse_and_requests_match_the_apis(stub: WebStub, make) -> None:
    provider = make(stub)
    try:
        results = await provider.search(PEN_QUERY, 3)
    finally:
        await provider.aclose()
    assert [r.url for r in results][1] == "https://www.penreviews.example/kestrel-kf-200"
    assert results[1].site == "penreviews.example" and "steel nib" in results[1].snippet
    [sent] = stub.requests
    if sent["api"] == "google":
        assert sent["params"] == {"key": "g-key", "cx": "cx-123", "q": PEN_QUERY, "num": "3"}
    else:
        assert sent["auth"] == "Bearer tvly-test"
        assert sent["json"] == {"query": PEN_QUERY, "max_results": 3, "search_depth": "basic"}


@pytest.mark.parametrize("make", [google, tavily])
@pytest.mark.parametrize(
    ("mode", "kind"), [("429", "rate_limited"), ("500", "http_500"), ("malformed", "malformed"), ("hang", "timeout")]
)
async def test_provider_failures_become_typed_errors(stub: WebStub, make, mode: str, kind: str) -> None:
    stub.mode = mode
    provider = make(stub, timeout=0.3)
    started = time.perf_counter()
    try:
        with pytest.raises(WebSearchError) as failure:
            await provider.search(PEN_QUERY, 3)
    finally:
        await provider.aclose()
    assert failure.value.kind == kind
    assert time.perf_counter() - started < 2, "a hang ends at the client timeout"
    if mode == "429":
        assert failure.value.retry_after == 30


async def test_a_wrong_key_and_a_refused_connection_are_failures_too(stub: WebStub) -> None:
    bad = TavilySearch("tvly-wrong", stub.tavily_endpoint, 1.0)
    nowhere = GoogleCustomSearch("k", "cx", "http://127.0.0.1:9/customsearch/v1", 1.0)
    try:
        with pytest.raises(WebSearchError, match="401"):
            await bad.search("x", 1)
        with pytest.raises(WebSearchError) as refused:
            await nowhere.search("x", 1)
        assert refused.value.kind == "transport"
    finally:
        await bad.aclose()
        await nowhere.aclose()


def cached(stub: WebStub, tools: Toolbox, **kw) -> CachedWebSearch:
    return CachedWebSearch(google(stub, kw.pop("timeout", 1.0)), tools.db, **kw)


async def _age(tools: Toolbox, provider: str, query: str, hours: float) -> None:
    async with tools.db.session() as s:
        await s.execute(
            update(WebCacheEntry)
            .where(WebCacheEntry.key == cache_key(provider, query))
            .values(fetched_at=utcnow() - timedelta(hours=hours))
        )
        await s.commit()


async def test_cache_hit_expiry_and_stale_fallback(stub: WebStub, tools: Toolbox) -> None:
    web = cached(stub, tools)
    try:
        first = await web.lookup(PEN_QUERY, 5)
        assert first.origin == "live" and len(first.results) == 4 and len(stub.requests) == 1
        second = await web.lookup("  kestrel fountain pen KF-200   STATIONERY ", 2)
        assert second.origin == "cache" and len(second.results) == 2 and len(stub.requests) == 1

        await _age(tools, "google", PEN_QUERY, 23)
        assert (await web.lookup(PEN_QUERY, 5)).origin == "cache", "23 hours old is still fresh"
        await _age(tools, "google", PEN_QUERY, 25)
        assert (await web.lookup(PEN_QUERY, 5)).origin == "live" and len(stub.requests) == 2, "expired: asked again"

        await _age(tools, "google", PEN_QUERY, 25)
        stub.mode = "500"
        stale = await web.lookup(PEN_QUERY, 5)
        assert stale.origin == "stale" and len(stale.results) == 4 and stale.error.startswith("http_500")

        nothing = await web.lookup("a question never asked before", 5)
        assert nothing.origin == "none" and nothing.results == [] and nothing.error
        assert web.stats["failures"] == 2 and web.stats["failures.http_500"] == 2
        assert web.stats["stale_served"] == 1 and web.stats["cache_hits"] == 2 and web.stats["live"] == 2
    finally:
        await web.aclose()


@pytest.mark.parametrize("mode", ["429", "malformed", "hang"])
async def test_every_failure_falls_back_to_the_stale_answer(stub: WebStub, tools: Toolbox, mode: str) -> None:
    web = cached(stub, tools, timeout=0.3)
    try:
        assert (await web.lookup(PEN_QUERY, 5)).origin == "live"
        await _age(tools, "google", PEN_QUERY, 30)
        stub.mode = mode
        started = time.perf_counter()
        outcome = await web.lookup(PEN_QUERY, 5)
        assert outcome.origin == "stale" and len(outcome.results) == 4
        assert time.perf_counter() - started < 1.5
    finally:
        await web.aclose()


async def test_retry_after_pauses_the_provider_and_the_global_rate_limit_holds(stub: WebStub, tools: Toolbox) -> None:
    web = cached(stub, tools)
    try:
        stub.mode = "429"
        assert (await web.lookup("first question", 5)).origin == "none"
        calls = len(stub.requests)
        stub.mode = "ok"
        paused = await web.lookup("second question", 5)
        assert paused.origin == "none" and len(stub.requests) == calls, "Retry-After: 30 keeps us away"
        assert web.status()["paused_for_s"] > 25
    finally:
        await web.aclose()

    limited = cached(stub, tools, limiter=RateLimiter(per_minute=60, burst=2))
    try:
        stub.requests.clear()
        outcomes = [await limited.lookup(f"question {i}", 5) for i in range(3)]
        assert [o.origin for o in outcomes] == ["live", "live", "none"]
        assert len(stub.requests) == 2 and outcomes[2].error.startswith("rate_limited_locally")
        assert (await limited.lookup("question 0", 5)).origin == "cache", "the cache still answers"
    finally:
        await limited.aclose()


def test_filter_drops_ads_blocked_sites_duplicates_and_other_topics() -> None:
    results = [
        WebResult(h["link"], h["title"], h["snippet"], h["displayLink"].removeprefix("www."), 1.0) for h in PEN_HITS
    ]
    results.append(WebResult("https://www.penreviews.example/kestrel-kf-200/", "dup", "Kestrel KF-200", "x", 0.5))
    results.append(WebResult("https://shop.example/p?gclid=abc", "Kestrel KF-200", "buy the KF-200", "shop", 0.5))
    kept = filter_results(results, name="Kestrel Fountain Pen", model_number="KF-200", limit=5)
    assert [r.url for r in kept] == [
        "https://www.penreviews.example/kestrel-kf-200",
        "https://kestrel-pens.example/kf-200",
    ]
    blocked = filter_results(
        results, name="Kestrel Fountain Pen", model_number="KF-200", blocked_sites=("penreviews.example",)
    )
    assert [r.site for r in blocked] == ["kestrel-pens.example"]
    assert is_ad(WebResult("https://a.example/x", "Sponsored · pens", "", "a.example", 1))
    assert query_for_product("Kestrel Fountain Pen", "Kestrel", "KF-200", "stationery") == PEN_QUERY


def test_configuration_chooses_the_provider_and_is_off_without_a_key(tmp_path) -> None:
    from concierge.tools.db.engine import AppDatabase

    db = AppDatabase(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite'}")
    assert build_web_search(Settings(data_dir=tmp_path), db) is None
    assert build_web_search(Settings(data_dir=tmp_path, google_search_api_key="k"), db) is None, "Google needs a cx too"
    g = build_web_search(Settings(data_dir=tmp_path, google_search_api_key="k", google_cse_id="cx"), db)
    assert g is not None and g.name == "google"
    t = build_web_search(
        Settings(
            data_dir=tmp_path,
            tavily_api_key="tvly-x",
            google_search_api_key="k",
            google_cse_id="c",
            web_provider="tavily",
            web_rate_per_minute=10,
        ),
        db,
    )
    assert t is not None and t.name == "tavily" and t.status()["rate_per_minute"] == 10
    assert build_web_search(Settings(data_dir=tmp_path, tavily_api_key="tvly-x", web_provider="off"), db) is None
    with pytest.raises(ValueError, match="CONCIERGE_WEB_PROVIDER"):
        build_web_search(Settings(data_dir=tmp_path, web_provider="bing"), db)


def web_task(question: str) -> dict:
    from datetime import date

    analysis = analyze(question, today=date(2026, 11, 21), depth=0, available=["documents", "catalog", "web"])
    return {"analysis": analysis, "turn": 1}


async def test_retrieve_web_enriches_catalog_products_with_filtered_external_facts(
    stub: WebStub, context: Context
) -> None:
    context.tools.web = cached(stub, context.tools)
    update = await retrieve_web(
        web_task("Tell me more about the Kestrel KF-200 fountain pen"), Runtime(context=context)
    )
    items = update["retrieved"]
    assert [i["metadata"]["url"] for i in items] == [
        "https://www.penreviews.example/kestrel-kf-200",
        "https://kestrel-pens.example/kf-200",
    ]
    assert all(i["source"] == "web" and i["metadata"]["external"] for i in items)
    assert items[0]["text"].startswith("From penreviews.example (external, not checked by the shop)")
    assert items[0]["metadata"]["about_sku"] == "ST-0001" and items[0]["metadata"]["origin"] == "live"
    assert stub.requests[0]["params"]["q"] == PEN_QUERY

    # A product with a rich description and no model number is not worth a web search.
    stub.requests.clear()
    update = await retrieve_web(web_task("How much is The Salt Orchard?"), Runtime(context=context))
    assert update["retrieved"] == [] and stub.requests == []


async def test_a_hanging_provider_never_fails_the_turn(stub: WebStub, context: Context) -> None:
    context.tools.web = cached(stub, context.tools, timeout=5.0)
    ctx = replace(context, source_timeouts={"web": 0.5})
    stub.mode = "hang"
    started = time.perf_counter()
    update = await retrieve_web(web_task("Tell me more about the Kestrel KF-200 fountain pen"), Runtime(context=ctx))
    assert time.perf_counter() - started < 0.6
    [error] = update["source_errors"]
    assert error["source"] == "web" and "timeout" in error["message"], "recorded, not raised"

    stub.mode = "ok"
    await context.tools.web.lookup(PEN_QUERY, 5)
    await _age(context.tools, "google", PEN_QUERY, 48)
    stub.mode = "hang"
    update = await retrieve_web(web_task("Tell me more about the Kestrel KF-200 fountain pen"), Runtime(context=ctx))
    assert [i["metadata"]["origin"] for i in update["retrieved"]] == ["stale", "stale"]


async def test_per_tenant_switch_keeps_the_web_out(stub: WebStub, context: Context) -> None:
    from langchain_core.messages import HumanMessage

    context.tools.web = cached(stub, context.tools)
    state = {"messages": [HumanMessage("How much is the Kestrel KF-200 pen?")]}
    on = await analyze_query(state, Runtime(context=context))
    assert "web" in on["analysis"]["sources"]
    off = await analyze_query(state, Runtime(context=replace(context, sources=["documents", "catalog"])))
    assert "web" not in off["analysis"]["sources"]
