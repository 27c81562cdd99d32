"""Approved corrections as fine-tuning data: OpenAI chat JSONL and Gemini (Vertex AI) tuning JSONL.

Each example is the conversation up to the customer's question, answered with the human agent's reply:
- OpenAI: `{"messages": [{"role": "system"|"user"|"assistant", "content": ...}, ...]}`
- Gemini: `{"systemInstruction": {"role": "system", "parts": [{"text": ...}]},
  "contents": [{"role": "user"|"model", "parts": [{"text": ...}]}, ...]}`

The 80/20 train/validation split ranks examples by a hash of their id and a seed: the same set and seed always
give the same split, and no example lands on both sides.
"""

import hashlib
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

from concierge.tools.db.models import Correction
from concierge.tools.tokens import count_tokens

VALIDATION_SHARE = 0.2


def system_prompt(business_name: str, business_description: str = "") -> str:
    prompt = f"You are the customer-service assistant of {business_name}."
    return f"{prompt} {business_description}".strip() if business_description else prompt


def _turns(c: Correction) -> list[tuple[str, str]]:
    history = [(m["role"], m["content"]) for m in c.history or [] if m.get("content")]
    return [*history, ("user", c.question), ("assistant", c.reply)]


def openai_example(c: Correction, system: str) -> dict[str, Any]:
    return {"messages": [{"role": "system", "content": system}, *({"role": r, "content": t} for r, t in _turns(c))]}


def gemini_example(c: Correction, system: str) -> dict[str, Any]:
    return {
        "systemInstruction": {"role": "system", "parts": [{"text": system}]},
        "contents": [{"role": "model" if r == "assistant" else "user", "parts": [{"text": t}]} for r, t in _turns(c)],
    }


def split(corrections: list[Correction], seed: str = "concierge") -> tuple[list[Correction], list[Correction]]:
    """(train, validation): the 20% whose hash ranks first go to validation (at least one once there are two)."""
    ranked = sorted(corrections, key=lambda c: hashlib.sha256(f"{seed}:{c.id}".encode()).hexdigest())
    size = round(len(ranked) * VALIDATION_SHARE)
    if len(ranked) >= 2:
        size = max(1, size)
    validation = {c.id for c in ranked[:size]}
    return [c for c in corrections if c.id not in validation], [c for c in corrections if c.id in validation]


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def export(
    corrections: list[Correction],
    out_dir: Path,
    *,
    system: str,
    min_quality: int,
    approved_total: int,
    seed: str = "concierge",
) -> dict[str, Any]:
    """Write the four JSONL files and `stats.json`; return the statistics."""
    train, validation = split(corrections, seed)
    files = {
        "openai_train": out_dir / "openai" / "train.jsonl",
        "openai_validation": out_dir / "openai" / "validation.jsonl",
        "gemini_train": out_dir / "gemini" / "train.jsonl",
        "gemini_validation": out_dir / "gemini" / "validation.jsonl",
    }
    _write(files["openai_train"], [openai_example(c, system) for c in train])
    _write(files["openai_validation"], [openai_example(c, system) for c in validation])
    _write(files["gemini_train"], [gemini_example(c, system) for c in train])
    _write(files["gemini_validation"], [gemini_example(c, system) for c in validation])
    tokens = [sum(count_tokens(t) for _, t in _turns(c)) + count_tokens(system) for c in corrections]
    stats: dict[str, Any] = {
        "approved": approved_total,
        "min_quality": min_quality,
        "below_threshold": approved_total - len(corrections),
        "exported": len(corrections),
        "train": len(train),
        "validation": len(validation),
        "mean_quality": round(statistics.fmean(c.quality or 0 for c in corrections), 2) if corrections else None,
        "by_category": dict(Counter(c.category for c in corrections)),
        "by_agent": dict(Counter(c.agent for c in corrections)),
        "tokens_total": sum(tokens),
        "tokens_max": max(tokens, default=0),
        "files": {k: str(v) for k, v in files.items()},
    }
    (out_dir / "stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    return stats
