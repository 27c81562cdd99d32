"""Versioned evaluation sets per tenant: the cases a policy must pass before its answers reach customers.

A set has a name and numbered versions; every change (cases imported, added, replaced, a new approved correction)
stores the whole set again as the next version, so a figure always names the exact cases it was measured on
(`name@version`). Storing the same cases again makes no version. Cases come from the team's own sets (the demo's
and `concierge/evaluation/sets/`), from approved corrections, and from JSON Lines files a tenant imports.

A case is a question (`question`, optional `history` [{role, content}] of the conversation so far, `answer` as
reference, `must_contain` the facts it must state, `expected_sources`, `kind` (its intent), `category`,
`quality` 1-5) or a conversation `{"id", "turns": [question, ...]}`.
"""

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.events import writing
from concierge.tools.db.models import Correction, EvalSet

NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
MAX_CASES = 5000
ALIASES = {"intent": "kind", "message": "question", "facts": "must_contain", "sources": "expected_sources"}
CASE_FIELDS = {
    "id", "question", "kind", "expected_sources", "answer", "must_contain", "split", "documents_per_item", "items",
    "history", "category", "quality",
}  # fmt: skip
CORRECTIONS_SET = "corrections"
CONTENT = resources.files("concierge.tools.demo") / "content"


class EvalSetError(ValueError):
    """A case or a set name a person can fix; the message names which."""


class EvalSetNotFound(LookupError):
    pass


def team_sets() -> dict[str, Path]:
    """The sets the team wrote, by name: the demo's questions and conversations, and `concierge/evaluation/sets`."""
    out = {f"demo-{p.stem}": Path(str(p)) for p in CONTENT.iterdir() if p.name.endswith(".jsonl")}
    shipped = Path(__file__).resolve().parents[2] / "evaluation" / "sets"
    out.update({p.stem.replace("_", "-"): p for p in sorted(shipped.glob("*.jsonl"))})
    return out


def check_name(name: str) -> str:
    if not name or len(name) > 100 or not set(name) <= NAME_CHARS:
        raise EvalSetError(f"set name {name!r}: lowercase letters, digits, '-', '_' and '.', at most 100")
    return name


def _check_question(row: Any, where: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise EvalSetError(f"{where}: a JSON object with `question`")
    row = {ALIASES.get(k, k): v for k, v in row.items()}
    unknown = sorted(set(row) - CASE_FIELDS)
    if unknown:
        raise EvalSetError(f"{where}.{unknown[0]}: not a case field ({', '.join(sorted(CASE_FIELDS))})")
    if not isinstance(row.get("question"), str) or not row["question"].strip():
        raise EvalSetError(f"{where}.question: the customer's message, a non-empty string")
    out: dict[str, Any] = {"kind": "info", "expected_sources": [], **row}
    if not isinstance(out["kind"], str) or not out["kind"]:
        raise EvalSetError(f"{where}.kind: the case's intent as a string (price, stock, policy, handoff...)")
    for key in ("must_contain", "items"):
        if key in out and not (isinstance(out[key], list) and all(isinstance(v, str) for v in out[key])):
            raise EvalSetError(f"{where}.{key}: a list of strings")
    sources = out["expected_sources"]
    if not isinstance(sources, list) or not all(isinstance(s, dict) and "source" in s for s in sources):
        raise EvalSetError(f"{where}.expected_sources: a list of {{source, id}} or {{source, title, section}}")
    history = out.get("history", [])
    if not isinstance(history, list) or not all(
        isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str)
        for m in history
    ):
        raise EvalSetError(f"{where}.history: a list of {{role: user|assistant, content}}")
    quality = out.get("quality")
    if quality is not None and (isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 5):
        raise EvalSetError(f"{where}.quality: an integer 1-5")
    for key in ("answer", "category", "split"):
        if key in out and not isinstance(out[key], str):
            raise EvalSetError(f"{where}.{key}: a string")
    return out


def check_cases(rows: list[Any]) -> list[dict[str, Any]]:
    """The cases, checked and with defaults and ids filled in; EvalSetError naming the first bad one."""
    if not isinstance(rows, list) or not rows:
        raise EvalSetError("a set needs at least one case")
    if len(rows) > MAX_CASES:
        raise EvalSetError(f"a set holds at most {MAX_CASES} cases")
    out, seen = [], set()
    for n, row in enumerate(rows, 1):
        where = f"case {n}"
        if isinstance(row, dict) and "turns" in row:
            turns = row["turns"]
            if not isinstance(turns, list) or not turns:
                raise EvalSetError(f"{where}.turns: a non-empty list of questions")
            case: dict[str, Any] = {
                **{k: v for k, v in row.items() if k in ("id", "split", "documents_per_item")},
                "turns": [_check_question(t, f"{where}.turns[{i}]") for i, t in enumerate(turns)],
            }
        else:
            case = _check_question(row, where)
        case["id"] = str(case.get("id") or f"c{n:03d}")
        if case["id"] in seen:
            raise EvalSetError(f"{where}.id: {case['id']!r} appears twice")
        seen.add(case["id"])
        out.append(case)
    return out


def parse_jsonl(text: str) -> list[Any]:
    """The rows of a JSON Lines file; EvalSetError naming the line that is not JSON."""
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise EvalSetError(f"line {n}: not JSON ({exc.args[0].split(':')[0]})") from None
    return rows


def _digest(cases: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(cases, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def set_json(row: EvalSet, with_cases: bool = True) -> dict[str, Any]:
    out = {
        "name": row.name,
        "version": row.version,
        "cases_count": len(row.cases),
        "origin": row.origin,
        "sha256": row.sha256,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
    }
    return {**out, "cases": row.cases} if with_cases else out


@dataclass
class EvalSets:
    db: AppDatabase

    async def save(
        self, tenant_id: str, name: str, cases: list[Any], *, origin: str, actor: str
    ) -> tuple[EvalSet, bool]:
        """Store the cases as the set's next version; (the version, True) or, if they equal the newest, (it, False)."""
        check_name(name)
        checked = check_cases(cases)
        digest = _digest(checked)
        async with writing(self.db), self.db.session() as s:
            latest = await s.scalar(
                select(EvalSet)
                .where(EvalSet.tenant_id == tenant_id, EvalSet.name == name)
                .order_by(EvalSet.version.desc())
                .limit(1)
            )
            if latest is not None and latest.sha256 == digest:
                return latest, False
            row = EvalSet(
                tenant_id=tenant_id,
                name=name,
                version=(latest.version if latest else 0) + 1,
                cases=checked,
                sha256=digest,
                origin=origin[:300],
                created_by=actor,
                created_at=utcnow(),
            )
            s.add(row)
            await s.commit()
            return row, True

    async def add(
        self, tenant_id: str, name: str, cases: list[Any], *, origin: str, actor: str
    ) -> tuple[EvalSet, bool]:
        """The newest version's cases with these added (a case with an existing id replaces it): a new version."""
        try:
            current = (await self.get(tenant_id, name)).cases
        except EvalSetNotFound:
            current = []
        incoming = check_cases(cases)
        ids = {c["id"] for c in incoming}
        return await self.save(
            tenant_id, name, [c for c in current if c["id"] not in ids] + incoming, origin=origin, actor=actor
        )

    async def get(self, tenant_id: str, name: str, version: int | None = None) -> EvalSet:
        """A version of the set (the newest by default); EvalSetNotFound for another tenant's or none."""
        async with self.db.session() as s:
            query = select(EvalSet).where(EvalSet.tenant_id == tenant_id, EvalSet.name == name)
            if version is not None:
                query = query.where(EvalSet.version == version)
            row = await s.scalar(query.order_by(EvalSet.version.desc()).limit(1))
        if row is None:
            at = f" version {version}" if version is not None else ""
            raise EvalSetNotFound(f"evaluation set {name!r}{at} not found")
        return row

    async def summaries(self, tenant_id: str) -> list[dict[str, Any]]:
        """Each set's newest version and how many versions it has."""
        async with self.db.session() as s:
            newest = (
                select(EvalSet.name, func.max(EvalSet.version).label("v"), func.count().label("n"))
                .where(EvalSet.tenant_id == tenant_id)
                .group_by(EvalSet.name)
                .subquery()
            )
            rows = (
                await s.execute(
                    select(EvalSet, newest.c.n)
                    .join(newest, (EvalSet.name == newest.c.name) & (EvalSet.version == newest.c.v))
                    .where(EvalSet.tenant_id == tenant_id)
                    .order_by(EvalSet.name)
                )
            ).all()
        return [{**set_json(row, with_cases=False), "versions": n} for row, n in rows]

    async def versions(self, tenant_id: str, name: str) -> list[dict[str, Any]]:
        async with self.db.session() as s:
            rows = await s.scalars(
                select(EvalSet).where(EvalSet.tenant_id == tenant_id, EvalSet.name == name).order_by(EvalSet.version)
            )
            out = [set_json(r, with_cases=False) for r in rows]
        if not out:
            raise EvalSetNotFound(f"evaluation set {name!r} not found")
        return out

    async def import_team(self, tenant_id: str, name: str, actor: str) -> tuple[EvalSet, bool]:
        """One of the team's sets (`team_sets()`) as a version of the tenant's set of the same name."""
        sets = team_sets()
        if name not in sets:
            raise EvalSetNotFound(f"no team set {name!r}; there are: {', '.join(sorted(sets))}")
        rows = parse_jsonl(sets[name].read_text())
        return await self.save(tenant_id, name, rows, origin=f"team:{sets[name].name}", actor=actor)

    async def import_corrections(
        self, tenant_id: str, actor: str, name: str = CORRECTIONS_SET, min_quality: int = 1
    ) -> tuple[EvalSet, bool]:
        """The tenant's approved corrections as cases: the question with the turns before it, the agent's reply
        as reference answer, its category and quality."""
        async with self.db.session() as s:
            rows = list(
                await s.scalars(
                    select(Correction)
                    .where(
                        Correction.tenant_id == tenant_id,
                        Correction.status == "approved",
                        Correction.quality >= min_quality,
                    )
                    .order_by(Correction.created_at, Correction.id)
                )
            )
        cases = [
            {
                "id": f"corr-{c.id[:12]}",
                "question": c.question,
                "history": [m for m in c.history if m.get("role") in ("user", "assistant")],
                "answer": c.reply,
                "kind": "correction",
                "category": c.category,
                "quality": c.quality,
            }
            for c in rows
            if c.question.strip()
        ]
        if not cases:
            raise EvalSetError("the tenant has no approved corrections yet (review some with POST /corrections/…)")
        return await self.save(tenant_id, name, cases, origin=f"corrections:{len(cases)}", actor=actor)
