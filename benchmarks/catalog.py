"""Catalog search latency at 10k products on the embedded default (SQLite), against a scan-every-row peer.

Builds a synthetic catalog (brands, product words, model numbers, categories, tags), imports it through the
real importer, then times `Catalog.search_products` end to end (catalog version check every `refresh_s`, the
in-memory index) on questions with typos, plurals and model numbers; and again with the version checked in the
database on every search (`strict`). The peer is the obvious implementation: load the
tenant's rows and score each one with rapidfuzz, measured in the same run on the same data.

Preconditions (else exit 1 with one line, no figures): every synthetic row imported, searches that find
products, and a peer that ran; `model_top1` is printed only when the questions held model numbers.

    concierge bench catalog [--products 10000] [--queries 500] [--seed 7]
"""

import argparse
import asyncio
import csv
import io
import random
import statistics
import tempfile
import time
from pathlib import Path

from rapidfuzz import fuzz
from sqlalchemy import select

from concierge.tools.analysis.text import keywords
from concierge.tools.catalog.importer import import_catalog
from concierge.tools.catalog.search import Catalog
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.migrate import upgrade
from concierge.tools.db.models import Product, Tenant

BRANDS = "Alpine Borealis Cascade Driftwood Ember Fjord Glacier Harbor Ironwood Juniper Kestrel Lumen".split()
NOUNS = (
    "tent backpack jacket boots lantern stove sleeping-bag hammock compass bottle headlamp gloves trekking-poles "
    "kettle mug chair table tarp rope knife cooler shelter"
).split()
ADJECTIVES = "ultralight rugged compact waterproof insulated breathable foldable thermal summit trail".split()
CATEGORIES = "Tents Backpacks Clothing Footwear Lighting Cooking Sleeping Navigation Hydration Furniture".split()
TAGS = "camping hiking winter summer family solo travel budget premium kids".split()


def require(condition: bool, why: str) -> None:
    """A figure is printed only when it was measured: a precondition that does not hold ends the run, exit 1."""
    if not condition:
        raise SystemExit(f"concierge bench catalog: {why}; no figures printed")


def synthetic_catalog(n: int, rng: random.Random) -> tuple[bytes, list[dict]]:
    rows = []
    for i in range(n):
        brand, noun = rng.choice(BRANDS), rng.choice(NOUNS).replace("-", " ")
        name = f"{brand} {rng.choice(ADJECTIVES).title()} {noun.title()} {rng.randint(1, 99)}"
        model = f"{brand[:2].upper()}-{rng.randint(100, 9999)}{rng.choice('ABCDEFX')}"
        rows.append(
            {
                "sku": f"SKU-{i:06d}",
                "name": name,
                "description": f"A {rng.choice(ADJECTIVES)} {noun} for {rng.choice(TAGS)} trips. "
                * rng.choice([1, 3, 6]),
                "category": rng.choice(CATEGORIES),
                "brand": brand,
                "model_number": model,
                "tags": ";".join(rng.sample(TAGS, 3)),
                "price": f"{rng.uniform(5, 600):.2f}",
                "stock": str(rng.randint(0, 50)),
            }
        )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(), rows


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def questions(rows: list[dict], k: int, rng: random.Random) -> list[tuple[str, list[str]]]:
    out = []
    for _ in range(k):
        row = rng.choice(rows)
        kind = rng.random()
        if kind < 0.3:
            out.append((f"how much is the {row['name']}?", []))
        elif kind < 0.55:
            words = row["name"].lower().split()
            out.append((f"do you have the {' '.join(_typo(w, rng) for w in words[:3])}?", []))
        elif kind < 0.8:
            out.append((f"is the {row['model_number']} in stock?", [row["model_number"]]))
        else:
            out.append(
                (f"any {rng.choice(ADJECTIVES)} {rng.choice(NOUNS).replace('-', ' ')}s for {row['category']}?", [])
            )
    return out


def naive_search(products: list[Product], query: str, limit: int) -> list[tuple[float, Product]]:
    """The peer: score every row of the tenant with rapidfuzz, as the catalog did before its index."""
    terms = keywords(query)

    def weight(term: str, fields: list[tuple[list[str], float]]) -> float:
        best = 0.0
        for tokens, w in fields:
            if w > best and any(t == term or fuzz.ratio(t, term) >= 85 for t in tokens if abs(len(t) - len(term)) <= 2):
                best = w
        return best

    scored = []
    for p in products:
        fields = [
            (keywords(p.name), 1.0),
            (keywords(f"{p.brand or ''} {p.model_number or ''}"), 1.0),
            (keywords(" ".join([p.category, *p.tags])), 0.7),
            (keywords(p.description), 0.3),
        ]
        scored.append((sum(weight(t, fields) for t in terms) / max(len(terms), 1), p))
    return sorted((x for x in scored if x[0] >= 0.25), key=lambda x: -x[0])[:limit]


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


async def run(n: int, k: int, seed: int) -> str:
    require(n >= 1 and k >= 2, "--products must be at least 1 and --queries at least 2")
    rng = random.Random(seed)
    data, rows = synthetic_catalog(n, rng)
    with tempfile.TemporaryDirectory() as tmp:
        db = AppDatabase(f"sqlite+aiosqlite:///{Path(tmp) / 'app.sqlite'}")
        await upgrade(db.engine)
        async with db.session() as s:
            s.add(Tenant(id="bench", name="Bench Outdoor", timezone="UTC", currency="EUR"))
            await s.commit()
        t0 = time.perf_counter()
        report = await import_catalog(db, "bench", data, "catalog.csv")
        import_s = time.perf_counter() - t0
        require(report.accepted == n, f"{n - report.accepted} of {n} synthetic rows rejected: {report.rejected[:1]}")

        catalog = Catalog(db)
        t0 = time.perf_counter()
        await catalog.search_products("bench", "warm up", [], 5)
        build_ms = (time.perf_counter() - t0) * 1000

        qs = questions(rows, k, rng)
        latencies, found = [], 0
        for query, models in qs:
            t0 = time.perf_counter()
            hits = await catalog.search_products("bench", query, models, 5)
            latencies.append((time.perf_counter() - t0) * 1000)
            found += bool(hits)
        # Strict: a version check against the database on every search (refresh_s=0).
        strict_catalog, strict = Catalog(db, refresh_s=0), []
        await strict_catalog.search_products("bench", "warm up", [], 5)
        for query, models in qs:
            t0 = time.perf_counter()
            await strict_catalog.search_products("bench", query, models, 5)
            strict.append((time.perf_counter() - t0) * 1000)

        # The model-number questions name exactly one product: it must come first.
        model_qs = [(q, m) for q, m in qs if m][:50]
        top1 = 0
        for query, models in model_qs:
            hits = await catalog.search_products("bench", query, models, 1)
            top1 += bool(hits) and hits[0].model_number == models[0]

        peer, peer_found = [], 0
        for query, _ in qs[:20]:
            t0 = time.perf_counter()
            async with db.session() as s:
                products = (await s.scalars(select(Product).where(Product.tenant_id == "bench"))).all()
            peer_found += bool(await asyncio.to_thread(naive_search, list(products), query, 5))
            peer.append((time.perf_counter() - t0) * 1000)
        await db.dispose()
    # Questions name real products: searches that find nothing would time an empty answer, not a search.
    require(found >= k // 2, f"only {found} of {k} catalog searches found a product")
    require(peer_found > 0, f"the peer found no product for any of its {len(peer)} questions")

    p50, p95, p99 = pct(latencies, 50), pct(latencies, 95), pct(latencies, 99)
    print(f"catalog: {n} products imported in {import_s:.2f} s ({n / import_s:.0f} rows/s)")
    print(f"index built on first search in {build_ms:.0f} ms")
    print(f"indexed search, {k} questions: p50 {p50:.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms, {found} with hits")
    print(f"same, checking the catalog version in the database every search: p95 {pct(strict, 95):.2f} ms")
    if model_qs:
        print(f"model-number questions with the product first: {top1}/{len(model_qs)}")
    peer_p50, peer_p95 = pct(peer, 50), pct(peer, 95)
    print(f"peer (load every row, score each), {len(peer)} questions: p50 {peer_p50:.1f} ms, p95 {peer_p95:.1f} ms")
    top1_figure = f"model_top1={top1}/{len(model_qs)} " if model_qs else ""
    return (
        f"products={n} queries={k} p50_ms={p50:.2f} p95_ms={p95:.2f} p99_ms={p99:.2f} "
        f"{top1_figure}index_build_ms={build_ms:.0f} import_rows_per_s={n / import_s:.0f} "
        f"strict_p95_ms={pct(strict, 95):.2f} peer_p95_ms={pct(peer, 95):.1f}"
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="concierge bench catalog", description=__doc__)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(asyncio.run(run(args.products, args.queries, args.seed)))
