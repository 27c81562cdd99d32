"""Comparing two policies on one evaluation set: the figures side by side and what to do about them.

Quality comes first: the share of answerable turns answered correctly (`facts_correct`, else ROUGE-L when the set
has no required facts, as a set of corrections), then citation precision, answerable questions declined and
handoffs. Only at equal quality do cost and latency decide. `MARGIN` is what counts as a difference in a rate.
"""

import math
from typing import Any

MARGIN = 0.02
ROWS = (
    ("facts_correct", "fact rate", 1),
    ("citation_precision", "citation precision", 1),
    ("rouge_l", "ROUGE-L", 1),
    ("declined_answerable", "declined (answerable)", -1),
    ("declines", "declines", -1),
    ("handoff_rate", "handoff rate", 0),
    ("handoffs", "handoffs", 0),
    ("cost_usd", "cost (USD)", -1),
    ("p50_ms", "p50 latency (ms)", -1),
    ("p95_ms", "p95 latency (ms)", -1),
)
"""Figure, label, and which way is better (1 higher, -1 lower, 0 neither by itself)."""


def _num(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def primary(summary: dict[str, Any]) -> str:
    return "facts_correct" if _num(summary.get("facts_correct")) is not None else "rouge_l"


def recommend(a: dict[str, Any], b: dict[str, Any]) -> tuple[str, str]:
    """("a" | "b" | "either", why), for a the current policy and b the candidate."""
    key = primary(a)
    qa, qb = _num(a.get(key)), _num(b.get(key))
    if qa is not None and qb is not None and abs(qb - qa) > MARGIN:
        better = "b" if qb > qa else "a"
        return better, f"{key} {qa:.3f} -> {qb:.3f}: {'B' if better == 'b' else 'A'} answers better"
    for name, worse_if_higher in (("declined_answerable", True), ("citation_precision", False)):
        va, vb = _num(a.get(name)), _num(b.get(name))
        if va is not None and vb is not None and abs(vb - va) > MARGIN:
            b_better = (vb < va) if worse_if_higher else (vb > va)
            return ("b" if b_better else "a"), f"same {key}; {name} {va:.3f} -> {vb:.3f}"
    ca, cb = _num(a.get("cost_usd")) or 0.0, _num(b.get("cost_usd")) or 0.0
    if max(ca, cb) > 0 and abs(cb - ca) > 0.1 * max(ca, cb):
        return ("b" if cb < ca else "a"), f"same quality; cost {ca:.6f} -> {cb:.6f} USD"
    pa, pb = _num(a.get("p95_ms")), _num(b.get("p95_ms"))
    if pa and pb and abs(pb - pa) > 0.2 * max(pa, pb):
        return ("b" if pb < pa else "a"), f"same quality and cost; p95 {pa:.0f} -> {pb:.0f} ms"
    return "either", "no difference that matters on this set: keep the current policy"


def report(
    a_version: int, b_version: int, a: dict[str, Any], b: dict[str, Any], eval_set: dict[str, Any]
) -> dict[str, Any]:
    winner, why = recommend(a, b)
    rows = [
        {"figure": name, "label": label, "a": a.get(name), "b": b.get(name), "better": better}
        for name, label, better in ROWS
    ]
    chosen = {"a": a_version, "b": b_version}.get(winner)
    return {
        "eval_set": eval_set,
        "a": {"policy_version": a_version, "summary": a},
        "b": {"policy_version": b_version, "summary": b},
        "rows": rows,
        "recommendation": {
            "winner": winner,
            "policy_version": chosen,
            "reason": why,
            "text": (
                f"deploy policy {b_version}" if winner == "b" else f"keep policy {a_version}" if winner == "a" else why
            ),
        },
    }


def render(r: dict[str, Any]) -> str:
    """The report as a table, then the recommendation, then one `key=value` line of figures."""

    def fmt(x: Any, figure: str = "") -> str:
        n = _num(x)
        if n is None:
            return "-"
        if figure.endswith("_ms"):
            return f"{n:.1f}"
        if figure == "cost_usd":
            return f"{n:.6f}"
        return f"{n:.0f}" if n == int(n) else f"{n:.3f}"

    a, b = r["a"]["policy_version"], r["b"]["policy_version"]
    s = r["eval_set"]
    lines = [f"evaluation set {s['name']}@{s['version']} ({s['cases']} cases)", ""]
    lines.append(f"{'figure':<24} {'policy ' + str(a):>12} {'policy ' + str(b):>12}")
    for row in r["rows"]:
        lines.append(f"{row['label']:<24} {fmt(row['a'], row['figure']):>12} {fmt(row['b'], row['figure']):>12}")
    rec = r["recommendation"]
    lines += ["", f"recommendation: {rec['text']} ({rec['reason']})"]
    figures = {"eval_set": f"{s['name']}@{s['version']}", "policy_a": a, "policy_b": b}
    for row in r["rows"]:  # only what was measured: a figure the set cannot give (no citations judged) is left out
        for side in ("a", "b"):
            if _num(row[side]) is not None:
                figures[f"{row['figure']}_{side}"] = fmt(row[side], row["figure"])
    figures["winner"] = rec["winner"]
    lines.append(" ".join(f"{k}={v}" for k, v in figures.items()))
    return "\n".join(lines)
