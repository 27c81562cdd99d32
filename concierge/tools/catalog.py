"""The tenant's live catalog: products with price and stock, services with their free slots."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz
from sqlalchemy import select

from concierge.tools.appdb import AppDatabase, Product, Service, Slot
from concierge.tools.docindex import keywords

THIN_DESCRIPTION = 50
"""Descriptions shorter than this are worth enriching from the web."""
_TYPO_TOLERANCE = 85


@dataclass(frozen=True)
class ProductHit:
    sku: str
    name: str
    category: str
    brand: str | None
    model_number: str | None
    description: str
    tags: list[str]
    price: Decimal
    currency: str
    stock: int
    score: float

    @property
    def needs_enrichment(self) -> bool:
        return len(self.description) < THIN_DESCRIPTION or bool(self.brand and self.model_number)


@dataclass(frozen=True)
class FreeSlot:
    start: datetime
    end: datetime
    free: int


@dataclass(frozen=True)
class ServiceHit:
    code: str
    name: str
    description: str
    duration_minutes: int
    price: Decimal
    currency: str
    score: float
    slots: list[FreeSlot] = field(default_factory=list)


def _norm_model(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _term_weight(term: str, fields: list[tuple[list[str], float]]) -> float:
    """The best weight among fields holding `term`, allowing a typo or a plural."""
    best = 0.0
    for tokens, weight in fields:
        if weight > best and any(
            t == term or fuzz.ratio(t, term) >= _TYPO_TOLERANCE for t in tokens if abs(len(t) - len(term)) <= 2
        ):
            best = weight
    return best


def score_product(p: Product, terms: list[str], model_numbers: set[str]) -> float:
    """How well a product answers the question's terms, in [0, 1]; an exact model number wins."""
    if p.model_number and _norm_model(p.model_number) in model_numbers:
        return 1.0
    if not terms:
        return 0.0
    fields = [
        (keywords(p.name), 1.0),
        (keywords(f"{p.brand or ''} {p.model_number or ''}"), 1.0),
        (keywords(" ".join([p.category, *p.tags])), 0.7),
        (keywords(p.description), 0.3),
    ]
    return sum(_term_weight(t, fields) for t in terms) / len(terms)


class Catalog:
    """Reads the catalog tables for one tenant at a time."""

    def __init__(self, db: AppDatabase) -> None:
        self.db = db

    async def search_products(
        self, tenant_id: str, query: str, model_numbers: list[str], limit: int, min_score: float = 0.25
    ) -> list[ProductHit]:
        terms = keywords(query)
        wanted = {_norm_model(m) for m in model_numbers}
        async with self.db.session() as s:
            products = (await s.scalars(select(Product).where(Product.tenant_id == tenant_id))).all()
        scored = [(score_product(p, terms, wanted), p) for p in products]
        scored = sorted((x for x in scored if x[0] >= min_score), key=lambda x: -x[0])[:limit]
        return [
            ProductHit(
                p.sku,
                p.name,
                p.category,
                p.brand,
                p.model_number,
                p.description,
                list(p.tags or []),
                p.price,
                p.currency,
                p.stock,
                round(score, 3),
            )
            for score, p in scored
        ]

    async def search_services(
        self,
        tenant_id: str,
        query: str,
        days: list[date],
        timezone: str,
        limit: int,
        *,
        min_score: float = 0.25,
        all_if_none: bool = False,
        slots_per_service: int = 5,
        now: datetime | None = None,
    ) -> list[ServiceHit]:
        """Services matching the question, each with its free slots on `days` (or the next two weeks).

        With `all_if_none`, a question that names no service ("any free slots Saturday?") gets them all.
        """
        terms = keywords(query)
        tz = ZoneInfo(timezone)
        now = now or datetime.now(tz)
        if days:
            windows = [
                (datetime.combine(d, time.min, tz), datetime.combine(d + timedelta(days=1), time.min, tz)) for d in days
            ]
        else:
            windows = [(now, now + timedelta(days=14))]
        async with self.db.session() as s:
            services = (await s.scalars(select(Service).where(Service.tenant_id == tenant_id))).all()
            ranked = sorted(((self._score_service(sv, terms), sv) for sv in services), key=lambda x: -x[0])
            best = ranked[0][0] if ranked else 0.0
            if best >= min_score:
                chosen = [x for x in ranked if x[0] >= max(min_score, best / 2)]
            else:
                chosen = ranked if all_if_none else []
            hits = []
            for score, sv in chosen[:limit]:
                slots: list[FreeSlot] = []
                for lo, hi in windows:
                    rows = await s.scalars(
                        select(Slot)
                        .where(
                            Slot.service_id == sv.id,
                            Slot.start >= max(lo, now),
                            Slot.start < hi,
                            Slot.booked < Slot.capacity,
                        )
                        .order_by(Slot.start)
                        .limit(slots_per_service)
                    )
                    slots += [
                        FreeSlot(r.start.astimezone(tz), r.end.astimezone(tz), r.capacity - r.booked) for r in rows
                    ]
                hits.append(
                    ServiceHit(
                        sv.code,
                        sv.name,
                        sv.description,
                        sv.duration_minutes,
                        sv.price,
                        sv.currency,
                        round(score, 3),
                        slots[:slots_per_service],
                    )
                )
        return hits

    @staticmethod
    def _score_service(sv: Service, terms: list[str]) -> float:
        if not terms:
            return 0.0
        fields = [(keywords(sv.name), 1.0), (keywords(sv.description), 0.4)]
        return sum(_term_weight(t, fields) for t in terms) / len(terms)
