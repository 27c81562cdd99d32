"""The document index at scale: Elasticsearch through its official async client.

One index for every tenant, with `tenant_id` as a keyword filter applied in both legs (kNN and BM25), so no
query can reach another tenant's chunks. Hybrid ranking is fused here in the application by default, as the
embedded index does, because Elasticsearch's own RRF retriever needs a paid licence on real clusters; setting
`server_rrf` asks the cluster to fuse instead.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import numpy as np
from elasticsearch import AsyncElasticsearch, NotFoundError

from concierge.tools.documents.chunking import Chunk
from concierge.tools.documents.embeddings import MAX_BATCH, Embedder
from concierge.tools.documents.fusion import SearchOptions, dedupe, fuse
from concierge.tools.documents.sqlite_index import DocumentHit, IndexModelMismatch, _mismatch


def make_client(url: str, api_key: str | None = None, username: str | None = None, password: str | None = None):
    auth: dict = {}
    if api_key:
        auth["api_key"] = api_key
    elif username:
        auth["basic_auth"] = (username, password or "")
    return AsyncElasticsearch(url, node_class="httpxasync", request_timeout=30, **auth)


class ElasticsearchIndex:
    def __init__(
        self, client: AsyncElasticsearch, embedder: Embedder, index: str = "concierge-chunks", server_rrf: bool = False
    ) -> None:
        self.client, self.embedder, self.index, self.server_rrf = client, embedder, index, server_rrf
        self._ready = False
        self._lock = asyncio.Lock()

    def mapping(self) -> dict:
        return {
            "properties": {
                "tenant_id": {"type": "keyword"},
                "document_id": {"type": "keyword"},
                "model": {"type": "keyword"},
                "ordinal": {"type": "integer"},
                "page": {"type": "integer"},
                "title": {"type": "text"},
                "section": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
                "text": {"type": "text", "analyzer": "english"},
                "vector": {"type": "dense_vector", "dims": self.embedder.dim, "index": True, "similarity": "cosine"},
            }
        }

    async def ensure_index(self) -> None:
        async with self._lock:
            if self._ready:
                return
            if not await self.client.indices.exists(index=self.index):
                await self.client.indices.create(index=self.index, mappings=self.mapping())
            self._ready = True

    async def _models(self, tenant_id: str) -> set[str]:
        """Models other than ours holding vectors for this tenant (empty when all is well)."""
        body = await self.client.search(
            index=self.index,
            size=1,
            query={
                "bool": {
                    "filter": [{"term": {"tenant_id": tenant_id}}],
                    "must_not": [{"term": {"model": self.embedder.name}}],
                }
            },
            source=["model"],
        )
        return {h["_source"]["model"] for h in body["hits"]["hits"]}

    async def add(
        self,
        tenant_id: str,
        document_id: str,
        title: str,
        chunks: list[Chunk],
        on_progress: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        await self.ensure_index()
        if others := await self._models(tenant_id):
            raise IndexModelMismatch(_mismatch(tenant_id, frozenset(others), self.embedder.name))
        await self.delete(tenant_id, document_id)
        for start in range(0, len(chunks), MAX_BATCH):
            batch = chunks[start : start + MAX_BATCH]
            vectors = await self.embedder.embed([c.text for c in batch])
            operations: list[dict] = []
            for i, (c, v) in enumerate(zip(batch, vectors, strict=True)):
                ordinal = start + i
                operations.append({"index": {"_index": self.index, "_id": f"{tenant_id}:{document_id}:{ordinal}"}})
                operations.append(
                    {
                        "tenant_id": tenant_id,
                        "document_id": document_id,
                        "ordinal": ordinal,
                        "title": title,
                        "section": c.section,
                        "page": c.page,
                        "text": c.text,
                        "model": self.embedder.name,
                        "vector": v.tolist(),
                    }
                )
            result = await self.client.bulk(operations=operations, refresh="wait_for")
            if result.get("errors"):
                failed = next(item for item in result["items"] if item["index"].get("error"))
                raise RuntimeError(f"Elasticsearch refused a chunk: {failed['index']['error']}")
            if on_progress is not None:
                await on_progress(min(start + MAX_BATCH, len(chunks)) / len(chunks))

    async def delete(self, tenant_id: str, document_id: str) -> None:
        await self.ensure_index()
        query = {"bool": {"filter": [{"term": {"tenant_id": tenant_id}}, {"term": {"document_id": document_id}}]}}
        with contextlib.suppress(NotFoundError):
            await self.client.delete_by_query(index=self.index, query=query, refresh=True, conflicts="proceed")

    async def count(self, tenant_id: str, document_id: str | None = None) -> int:
        await self.ensure_index()
        filters = [{"term": {"tenant_id": tenant_id}}]
        if document_id is not None:
            filters.append({"term": {"document_id": document_id}})
        return (await self.client.count(index=self.index, query={"bool": {"filter": filters}}))["count"]

    async def document_chunks(self, tenant_id: str, document_id: str) -> list[DocumentHit]:
        """Every chunk of one document, in order (scored 0): a manual's sections, to read beside a search."""
        await self.ensure_index()
        query = {"bool": {"filter": [{"term": {"tenant_id": tenant_id}}, {"term": {"document_id": document_id}}]}}
        body = await self.client.search(index=self.index, size=500, query=query, sort=[{"ordinal": "asc"}])
        return [_hit(h, 0.0) for h in body["hits"]["hits"]]

    async def heads(self, tenant_id: str, document_ids: list[str]) -> dict[str, str]:
        """Each document's title and opening chunk: what it is about (a manual names its product there)."""
        ids = sorted(set(document_ids))
        if not ids:
            return {}
        await self.ensure_index()
        query = {
            "bool": {
                "filter": [
                    {"term": {"tenant_id": tenant_id}},
                    {"term": {"ordinal": 0}},
                    {"terms": {"document_id": ids}},
                ]
            }
        }
        body = await self.client.search(
            index=self.index, size=len(ids), query=query, source=["document_id", "title", "text"]
        )
        return {
            h["_source"]["document_id"]: f"{h['_source']['title']}\n{h['_source']['text'][:300]}"
            for h in body["hits"]["hits"]
        }

    async def search(
        self, tenant_id: str, query: str, limit: int, options: SearchOptions | None = None
    ) -> list[DocumentHit]:
        options = options or SearchOptions()
        if limit <= 0 or not query.strip():
            return []
        await self.ensure_index()
        depth = max(options.candidates, limit)
        tenant = {"term": {"tenant_id": tenant_id}}
        text_query = {
            "bool": {
                "must": [{"multi_match": {"query": query, "fields": ["text", "title^0.5", "section^0.5"]}}],
                "filter": [tenant],
            }
        }
        checks = self._models(tenant_id)
        vector = await self.embedder.embed_query(query) if options.mode != "bm25" else None
        knn = None
        if vector is not None:
            knn = {
                "field": "vector",
                "query_vector": vector.tolist(),
                "k": depth,
                "num_candidates": max(2 * depth, 100),
                "filter": tenant,
            }

        if self.server_rrf and options.mode == "hybrid" and knn is not None:
            body = await self.client.search(
                index=self.index,
                size=limit,
                retriever={
                    "rrf": {
                        "retrievers": [{"standard": {"query": text_query}}, {"knn": knn}],
                        "rank_window_size": depth,
                    }
                },
            )
            others = await checks
            if others:
                raise IndexModelMismatch(_mismatch(tenant_id, frozenset(others), self.embedder.name))
            return [_hit(h, float(h.get("_score") or 0.0)) for h in body["hits"]["hits"]]

        async def leg(**kwargs) -> list[dict]:
            return (await self.client.search(index=self.index, size=depth, **kwargs))["hits"]["hits"]

        keyword_hits, semantic_hits, others = await asyncio.gather(
            leg(query=text_query) if options.mode != "dense" else _none(),
            leg(knn=knn) if knn is not None else _none(),
            checks,
        )
        if others:
            raise IndexModelMismatch(_mismatch(tenant_id, frozenset(others), self.embedder.name))
        docs = {h["_id"]: h for h in [*keyword_hits, *semantic_hits]}
        keyword = {h["_id"]: float(h["_score"]) for h in keyword_hits}
        semantic = {h["_id"]: float(h["_score"]) for h in semantic_hits}
        ranked = fuse(keyword, semantic, options)

        def vector_of(key: str) -> np.ndarray | None:
            v = docs[key]["_source"].get("vector")
            return np.asarray(v, dtype=np.float32) if v else None

        return [_hit(docs[key], score) for key, score in dedupe(ranked, vector_of, limit, options.dedupe_threshold)]

    async def close(self) -> None:
        await self.client.close()


async def _none() -> list:
    return []


def _hit(h: dict, score: float) -> DocumentHit:
    s = h["_source"]
    return DocumentHit(s["document_id"], s["title"], s["section"], int(s["page"]), int(s["ordinal"]), s["text"], score)
