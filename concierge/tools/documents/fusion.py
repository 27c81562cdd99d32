"""Hybrid ranking: fuse a keyword ranking and a semantic ranking, then drop near-identical chunks.

Shared by the embedded index and the Elasticsearch index (which fuses in the application by default,
since Elasticsearch's own RRF needs a paid licence).
"""

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Fusion = Literal["weighted", "rrf"]
Mode = Literal["hybrid", "bm25", "dense"]
RRF_K = 60


@dataclass(frozen=True)
class SearchOptions:
    """How one search ranks; the tenant's settings choose these (see `Context`)."""

    mode: Mode = "hybrid"
    fusion: Fusion = "weighted"
    semantic_weight: float = 0.7
    """Weighted fusion: share of the semantic score; the keyword score gets the rest."""
    dedupe_threshold: float = 0.97
    """Cosine above which a lower-ranked chunk counts as a copy of a higher one and is dropped."""
    candidates: int = 100
    """How deep each leg looks before fusing."""
    keyword_budget: int = 5_000
    """Most postings the keyword leg may score: past it, the most common query words (lowest IDF, least BM25
    weight) are left out, so a huge index answers as fast as a small one. A small index never reaches it."""


def rrf(rankings: Sequence[Sequence[Hashable]], k: int = RRF_K) -> dict[Hashable, float]:
    """Reciprocal rank fusion: each list adds 1 / (k + rank) to the items it holds."""
    scores: dict[Hashable, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return scores


def _minmax(scores: dict[Hashable, float]) -> dict[Hashable, float]:
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    span = hi - lo
    return {key: (s - lo) / span if span > 0 else 1.0 for key, s in scores.items()}


def weighted(keyword: dict[Hashable, float], semantic: dict[Hashable, float], semantic_weight: float) -> dict:
    """Convex combination of min-max normalised scores; an item a leg did not return scores 0 in that leg.

    Min-max on both legs is the textbook form (and on SciFact it beat scaling BM25 by its maximum at 70/30).
    """
    kw, sem = _minmax(keyword), _minmax(semantic)
    return {
        key: semantic_weight * sem.get(key, 0.0) + (1.0 - semantic_weight) * kw.get(key, 0.0)
        for key in kw.keys() | sem.keys()
    }


def fuse(keyword: dict[Hashable, float], semantic: dict[Hashable, float], options: SearchOptions) -> list:
    """Keys ranked best first, as (key, score)."""
    if options.mode == "bm25":
        fused = keyword
    elif options.mode == "dense":
        fused = semantic
    elif options.fusion == "rrf":
        order = lambda d: sorted(d, key=d.__getitem__, reverse=True)  # noqa: E731
        fused = rrf([order(keyword), order(semantic)])
    else:
        fused = weighted(keyword, semantic, options.semantic_weight)
    return sorted(fused.items(), key=lambda kv: kv[1], reverse=True)


def dedupe(ranked: list, vector_of: Callable[[Hashable], np.ndarray | None], limit: int, threshold: float) -> list:
    """The first `limit` of `ranked` with near-copies of a better-ranked item left out."""
    kept: list = []
    kept_vectors: list[np.ndarray] = []
    for key, score in ranked:
        vector = vector_of(key)
        if vector is not None and kept_vectors and float(np.max(np.stack(kept_vectors) @ vector)) >= threshold:
            continue
        kept.append((key, score))
        if vector is not None:
            kept_vectors.append(vector)
        if len(kept) >= limit:
            break
    return kept
