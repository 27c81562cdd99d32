"""Retrieval quality and speed on BEIR SciFact, ours against LangChain's stock hybrid, in the same run.

Ours: the embedded index (`SqliteHybridIndex`: FTS5 BM25 + numpy dense, weighted 70/30 fusion; RRF too).
Peer: `EnsembleRetriever` over `BM25Retriever` (rank_bm25) and an `InMemoryVectorStore` retriever, with the same
embedder and the same document vectors. Each abstract is one chunk (title + text), as BEIR indexes it.

Corpus embeddings are cached on disk (`CONCIERGE_DATA_DIR/embeddings.sqlite`, by content hash): the first run
embeds 5,183 abstracts (about 10 minutes on 2 cores), later runs take seconds. Query embeddings are never cached:
every latency includes embedding the query.

Preconditions (else exit 1 with one line, no figures): the data set's files, at least one judged query, the
peer's packages (dev tools); `p95_ms_100k` is printed only when the synthetic run was measured.

Usage: concierge bench retrieval [--data DIR] [--queries N] [--scale N]   (--scale 0 skips the 100k-chunk run)
"""

import argparse
import asyncio
import hashlib
import json
import math
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from concierge.tools.documents.chunking import Chunk
from concierge.tools.documents.embeddings import CachedEmbedder, MiniLMEmbedder
from concierge.tools.documents.fusion import SearchOptions
from concierge.tools.documents.sqlite_index import SqliteHybridIndex
from concierge.tools.settings import Settings

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "beir-scifact"
TENANT = "scifact"
FILES = ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv")


def require(condition: bool, why: str) -> None:
    """A figure is printed only when it was measured: a precondition that does not hold ends the run, exit 1."""
    if not condition:
        raise SystemExit(f"concierge bench retrieval: {why}; no figures printed")


def peer_classes() -> tuple[type, type]:
    try:
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.retrievers import BM25Retriever
    except ImportError as exc:
        raise SystemExit(
            f"concierge bench retrieval: the peer needs the dev tools ({exc.name} missing): run scripts/setup --dev"
        ) from exc
    return EnsembleRetriever, BM25Retriever


def load(data: Path) -> tuple[dict[str, dict], dict[str, str], dict[str, dict[str, int]]]:
    corpus = {d["_id"]: d for d in map(json.loads, (data / "corpus.jsonl").open())}
    queries = {q["_id"]: q["text"] for q in map(json.loads, (data / "queries.jsonl").open())}
    qrels: dict[str, dict[str, int]] = {}
    for line in (data / "qrels" / "test.tsv").open():
        qid, did, score = line.rstrip("\n").split("\t")
        if score.isdigit() and int(score) > 0:
            qrels.setdefault(qid, {})[did] = int(score)
    return corpus, {q: queries[q] for q in qrels if q in queries}, qrels


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(relevant.values(), reverse=True)[:k]))
    return dcg / ideal if ideal else 0.0


def recall_at(ranked: list[str], relevant: dict[str, int], k: int = 100) -> float:
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def text_of(doc: dict) -> str:
    return f"{doc['title']}\n{doc['text']}".strip()


_WORD = re.compile(r"\w+")


def peer_tokens(text: str) -> list[str]:
    """The peer's BM25 gets lower-cased words (its stock `str.split` would keep case and punctuation)."""
    return _WORD.findall(text.lower())


class PrecomputedEmbeddings:
    """The same MiniLM vectors, seen through LangChain's `Embeddings` interface, for the peer's vector store."""

    def __init__(self, vectors: dict[str, np.ndarray], model: MiniLMEmbedder) -> None:
        self.vectors, self.model = vectors, model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.vectors[t].tolist() for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.model.encode([text])[0].tolist()

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        return self.embed_query(text)


async def build_ours(workdir: Path, corpus: dict[str, dict], embedder: CachedEmbedder) -> SqliteHybridIndex:
    index = SqliteHybridIndex(workdir / "index.sqlite", embedder)
    for doc_id, doc in corpus.items():
        await index.add(TENANT, doc_id, doc["title"][:200], [Chunk(text_of(doc), 0, "", 0)])
    return index


async def evaluate_ours(index: SqliteHybridIndex, queries: dict, qrels: dict, options: SearchOptions) -> tuple:
    ndcgs, recalls = [], []
    for qid, text in queries.items():
        hits = await index.search(TENANT, text, 100, options)
        ranked = [h.document_id for h in hits]
        ndcgs.append(ndcg_at(ranked, qrels[qid]))
        recalls.append(recall_at(ranked, qrels[qid]))
    return statistics.fmean(ndcgs), statistics.fmean(recalls)


async def latencies_ours(index: SqliteHybridIndex, queries: list[str], limit: int = 10) -> list[float]:
    await index.search(TENANT, queries[0], limit)  # loads the tenant's matrix once, as a running server has
    times = []
    for text in queries:
        start = time.perf_counter()
        await index.search(TENANT, text, limit)
        times.append((time.perf_counter() - start) * 1000)
    return times


def build_peer(corpus: dict[str, dict], vectors: dict[str, np.ndarray], model: MiniLMEmbedder, k: int):
    ensemble_retriever, bm25_retriever = peer_classes()
    from langchain_core.vectorstores import InMemoryVectorStore

    texts = [text_of(d) for d in corpus.values()]
    metadatas = [{"id": i} for i in corpus]
    bm25 = bm25_retriever.from_texts(texts, metadatas=metadatas, preprocess_func=peer_tokens, k=k)
    store = InMemoryVectorStore(embedding=PrecomputedEmbeddings(vectors, model))  # type: ignore[arg-type]
    store.add_texts(texts, metadatas=metadatas)
    return ensemble_retriever(retrievers=[bm25, store.as_retriever(search_kwargs={"k": k})], weights=[0.3, 0.7])


def evaluate_peer(peer, queries: dict, qrels: dict) -> tuple[float, float, list[float]]:
    ndcgs, recalls, times = [], [], []
    for qid, text in queries.items():
        start = time.perf_counter()
        docs = peer.invoke(text)
        times.append((time.perf_counter() - start) * 1000)
        ranked = [d.metadata["id"] for d in docs]
        ndcgs.append(ndcg_at(ranked, qrels[qid]))
        recalls.append(recall_at(ranked, qrels[qid]))
    return statistics.fmean(ndcgs), statistics.fmean(recalls), times


async def scaled_latency(
    workdir: Path, corpus: dict[str, dict], vectors: dict[str, np.ndarray], queries: list[str], size: int
) -> tuple[list[float], float]:
    """A synthetic index of `size` chunks: each mixes sentences of two abstracts, its vector the normalised mean
    of theirs (written to the cache, so the real `add` path stores it without running the model)."""
    rng = random.Random(7)
    docs = list(corpus.values())
    sentences = [re.split(r"(?<=[.!?])\s+", d["text"]) for d in docs]
    cache = CachedEmbedder(MiniLMEmbedder(), workdir / "synthetic-cache.sqlite")
    index = SqliteHybridIndex(workdir / "scaled.sqlite", cache)
    started = time.perf_counter()
    per_doc = 100
    for start in range(0, size, per_doc):
        chunks, rows = [], []
        for _ in range(min(per_doc, size - start)):
            a, b = rng.randrange(len(docs)), rng.randrange(len(docs))
            text = " ".join(sentences[a][: max(1, len(sentences[a]) // 2)] + sentences[b][len(sentences[b]) // 2 :])
            text = f"{docs[a]['title']}\n{text} [{start}-{len(chunks)}]"
            vector = vectors[text_of(docs[a])] + vectors[text_of(docs[b])]
            vector = (vector / np.linalg.norm(vector)).astype(np.float32)
            chunks.append(Chunk(text, 0, "", 0))
            rows.append((hashlib.sha256(text.encode()).hexdigest(), vector.tobytes()))
        await asyncio.to_thread(cache._store, rows)
        await index.add(TENANT, f"synthetic-{start}", "synthetic", chunks)
    build_s = time.perf_counter() - started
    return await latencies_ours(index, queries), build_s


async def run(args: argparse.Namespace) -> None:
    data = Path(args.data)
    missing = [name for name in FILES if not (data / name).is_file()]
    require(not missing, f"BEIR SciFact not found at {data} (missing {', '.join(missing)})")
    peer_classes()  # before the long embedding run, not after it
    corpus, queries, qrels = load(data)
    if args.queries:
        queries = dict(list(queries.items())[: args.queries])
    require(bool(corpus) and bool(queries), f"no documents or no judged test queries in {data}")
    print(f"SciFact: {len(corpus)} abstracts, {len(queries)} test queries with judgments")
    settings = Settings()
    model = MiniLMEmbedder().load()
    embedder = CachedEmbedder(model, settings.embedding_cache_path)
    texts = [text_of(d) for d in corpus.values()]
    started = time.perf_counter()
    matrix = await embedder.embed(texts)
    print(f"corpus vectors: {time.perf_counter() - started:.1f} s (cache: {settings.embedding_cache_path})")
    vectors = dict(zip(texts, matrix, strict=True))

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        started = time.perf_counter()
        index = await build_ours(workdir, corpus, embedder)
        print(f"ours: indexed in {time.perf_counter() - started:.1f} s")
        results = {}
        for label, options in {
            "bm25": SearchOptions(mode="bm25"),
            "dense": SearchOptions(mode="dense"),
            "hybrid": SearchOptions(),
            "rrf": SearchOptions(fusion="rrf"),
        }.items():
            results[label] = await evaluate_ours(index, queries, qrels, options)
            print(f"ours {label:<7} nDCG@10={results[label][0]:.4f}  Recall@100={results[label][1]:.4f}")
        ours_ms = await latencies_ours(index, list(queries.values()))
        print(
            f"ours hybrid latency (query embedding included, k=10): p50={pct(ours_ms, 50):.1f} ms "
            f"p95={pct(ours_ms, 95):.1f} ms"
        )

        started = time.perf_counter()
        peer = build_peer(corpus, vectors, model, k=100)
        print(f"peer: built in {time.perf_counter() - started:.1f} s")
        peer_ndcg, peer_recall, _ = evaluate_peer(peer, queries, qrels)
        peer10 = build_peer(corpus, vectors, model, k=10)
        _, _, peer_ms = evaluate_peer(peer10, dict(list(queries.items())[:100]), qrels)
        print(
            f"peer EnsembleRetriever(BM25Retriever, InMemoryVectorStore) 0.3/0.7: nDCG@10={peer_ndcg:.4f} "
            f"Recall@100={peer_recall:.4f}"
        )
        print(f"peer latency k=10: p50={pct(peer_ms, 50):.1f} ms p95={pct(peer_ms, 95):.1f} ms")
        speedup = pct(peer_ms, 50) / pct(ours_ms, 50)
        print(f"ours vs peer: {speedup:.1f}x faster at p50, nDCG@10 {results['hybrid'][0] - peer_ndcg:+.4f}")

        scale_p95 = None
        if args.scale:
            scaled_ms, build_s = await scaled_latency(workdir, corpus, vectors, list(queries.values()), args.scale)
            scale_p95 = pct(scaled_ms, 95)
            print(
                f"synthetic {args.scale} chunks: built in {build_s:.0f} s; hybrid latency p50="
                f"{pct(scaled_ms, 50):.1f} ms p95={scale_p95:.1f} ms"
            )

    figures = {
        "ndcg10_bm25": results["bm25"][0],
        "ndcg10_dense": results["dense"][0],
        "ndcg10_hybrid": results["hybrid"][0],
        "ndcg10_rrf": results["rrf"][0],
        "recall100_bm25": results["bm25"][1],
        "recall100_dense": results["dense"][1],
        "recall100_hybrid": results["hybrid"][1],
        "recall100_rrf": results["rrf"][1],
        "ndcg10_stock": peer_ndcg,
        "recall100_stock": peer_recall,
        "p50_ms": pct(ours_ms, 50),
        "p95_ms": pct(ours_ms, 95),
        "stock_p50_ms": pct(peer_ms, 50),
        "stock_p95_ms": pct(peer_ms, 95),
        "speedup_vs_stock": speedup,
    }
    if scale_p95 is not None:  # measured only with --scale
        figures["p95_ms_100k"] = scale_p95
    print(" ".join(f"{k}={v:.4f}" if "ndcg" in k or "recall" in k else f"{k}={v:.1f}" for k, v in figures.items()))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="concierge bench retrieval", description=__doc__)
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="BEIR SciFact directory")
    parser.add_argument("--queries", type=int, default=0, help="use only the first N test queries (0: all)")
    parser.add_argument("--scale", type=int, default=100_000, help="chunks in the synthetic latency index (0: skip)")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
