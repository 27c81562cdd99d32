"""The tenant's live catalog: products with price and stock, services with their free slots."""

import asyncio
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz
from sqlalchemy import select

from concierge.tools.analysis.money import price_bounds
from concierge.tools.analysis.text import keywords
from concierge.tools.catalog.index import TYPO_TOLERANCE, Entry, Filters, ProductIndex, by_location
from concierge.tools.catalog.shape import Shape, figures, matching, summary
from concierge.tools.catalog.specs import ChunkSource, SpecSheet, read_sheet
from concierge.tools.catalog.variants import Variant
from concierge.tools.catalog.version import current_version
from concierge.tools.catalog.vocabulary import Vocabulary
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.models import Document, Product, ProductVariant, Service, Slot

THIN_DESCRIPTION = 50
"""Descriptions shorter than this are worth enriching from the web."""


def price_ceiling(text: str) -> Decimal | None:
    """The highest price the question accepts ("under 50 euros", "less than $30"), if it names one."""
    return price_bounds(text)[1]


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
    stock: int | None
    score: float
    variants: tuple[Variant, ...] = ()
    regular_price: Decimal | None = None
    """The price before a sale when `price` is a sale price (for a product sold in versions: its cheapest one's)."""
    variant_regular_prices: tuple[Decimal | None, ...] = ()
    """Each variant's price before its sale (None: not on sale), in the order of `variants`."""
    stock_by_location: tuple[tuple[str, int], ...] | None = None
    """(location, count) in the shop's order when the export gives the stock per shop location (for a product sold
    in versions: theirs summed per location); None when it gives one total."""

    def regular_of(self, variant: Variant) -> Decimal | None:
        """A variant's price before its sale, if it is on sale."""
        for v, regular in zip(self.variants, self.variant_regular_prices, strict=False):
            if v == variant:
                return regular
        return None

    def variant_dict(self, variant: Variant) -> dict[str, Any]:
        """A variant as the API and the retrieved item's metadata give it, with its regular price."""
        regular = self.regular_of(variant)
        return {**variant.as_dict(), "regular_price": None if regular is None else str(regular)}

    @property
    def enrichment_reason(self) -> str | None:
        """Why the web could add to this product: a thin description, or a branded item with a model number."""
        if len(self.description.strip()) < THIN_DESCRIPTION:
            return "thin_description"
        if self.brand and self.model_number:
            return "branded_model"
        return None

    @property
    def needs_enrichment(self) -> bool:
        return self.enrichment_reason is not None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["price"] = str(self.price)
        out["regular_price"] = None if self.regular_price is None else str(self.regular_price)
        out["variants"] = [self.variant_dict(v) for v in self.variants]
        out["stock_by_location"] = None if self.stock_by_location is None else dict(self.stock_by_location)
        del out["variant_regular_prices"]
        out["needs_enrichment"] = self.needs_enrichment
        out["enrichment_reason"] = self.enrichment_reason
        return out


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
    next_free: list[FreeSlot] = field(default_factory=list)
    """When the asked period has no free slot: the first ones after it, so the customer gets an alternative."""
    scheduled: bool = True
    """Whether the service has slots in the schedule at all: one booked by its own page's dates ("Thu 28
    January: 6 places left") or by phone has none, and "no free slots" would then say what nobody knows."""


_INDEX_COLUMNS = (
    Product.id,
    Product.sku,
    Product.name,
    Product.category,
    Product.brand,
    Product.model_number,
    Product.description,
    Product.tags,
    Product.price,
    Product.currency,
    Product.stock,
    Product.regular_price,
    Product.stock_by_location,
)
NEXT_FREE_DAYS = 28
NEXT_FREE_SLOTS = 3
REFRESH_S = 0.25
"""How stale the index may be about a change made by another process (in-process changes apply at once)."""


def _term_weight(term: str, fields: list[tuple[list[str], float]]) -> float:
    """The best weight among fields holding `term`, allowing a typo or a plural."""
    best = 0.0
    for tokens, weight in fields:
        if weight > best and any(
            t == term or fuzz.ratio(t, term) >= TYPO_TOLERANCE for t in tokens if abs(len(t) - len(term)) <= 2
        ):
            best = weight
    return best


def _hit(e: Entry, score: float) -> ProductHit:
    return ProductHit(
        e.sku,
        e.name,
        e.category,
        e.brand,
        e.model_number,
        e.description,
        list(e.tags),
        e.price,
        e.currency,
        e.stock,
        round(score, 3),
        e.variants,
        e.regular_price,
        e.variant_regular_prices,
        e.stock_by_location,
    )


async def _variants(
    s: Any, tenant_id: str
) -> tuple[dict[int, tuple[Variant, ...]], dict[int, tuple[Decimal | None, ...]]]:
    """The tenant's product variants by product id, in the shop's order, and their regular prices (None: not on
    sale) in the same order."""
    out: dict[int, list[Variant]] = {}
    regulars: dict[int, list[Decimal | None]] = {}
    rows = await s.execute(
        select(
            ProductVariant.product_id,
            ProductVariant.sku,
            ProductVariant.options,
            ProductVariant.price,
            ProductVariant.currency,
            ProductVariant.stock,
            ProductVariant.regular_price,
            ProductVariant.stock_by_location,
        )
        .where(ProductVariant.tenant_id == tenant_id)
        .order_by(ProductVariant.product_id, ProductVariant.position, ProductVariant.id)
    )
    for product_id, sku, options, price, currency, stock, regular, where in rows:
        pairs = tuple((str(k), str(v)) for k, v in (options or {}).items())
        out.setdefault(product_id, []).append(Variant(sku, pairs, price, currency, stock, by_location(where)))
        regulars.setdefault(product_id, []).append(regular)
    return {k: tuple(v) for k, v in out.items()}, {k: tuple(v) for k, v in regulars.items()}


def _free(slot: Slot, tz: ZoneInfo) -> FreeSlot:
    return FreeSlot(slot.start.astimezone(tz), slot.end.astimezone(tz), slot.capacity - slot.booked)


class Catalog:
    """Reads the catalog tables for one tenant at a time, through a per-tenant in-memory index."""

    def __init__(self, db: AppDatabase, refresh_s: float = REFRESH_S) -> None:
        self.db = db
        self.refresh_s = refresh_s
        self._indexes: dict[str, ProductIndex] = {}
        self._vocabularies: dict[str, Vocabulary] = {}
        self._sheets: dict[str, SpecSheet] = {}
        self._building: dict[tuple[str, Any], asyncio.Future[SpecSheet]] = {}
        self._checked: dict[str, float] = {}
        self._loading: dict[str, asyncio.Future[ProductIndex]] = {}

    def invalidate(self, tenant_id: str) -> None:
        """Forget the tenant's index: the next search rebuilds it. Called after every change made in process."""
        self._indexes.pop(tenant_id, None)
        self._vocabularies.pop(tenant_id, None)

    async def index(self, tenant_id: str) -> ProductIndex:
        """The tenant's index, checked against the stored catalog version at most every `refresh_s`.

        One check or build per tenant at a time, shielded: turns that arrive meanwhile (or the start-up warm-up)
        wait for it instead of building it again, and a turn whose time budget runs out leaves it to finish."""
        idx = self._indexes.get(tenant_id)
        if idx is not None and monotonic() - self._checked.get(tenant_id, 0.0) < self.refresh_s:
            return idx
        loading = self._loading.get(tenant_id)
        if loading is None:
            loading = self._loading[tenant_id] = asyncio.ensure_future(self._load(tenant_id))
            loading.add_done_callback(lambda _: self._loading.pop(tenant_id, None))
        return await asyncio.shield(loading)

    async def _load(self, tenant_id: str) -> ProductIndex:
        idx = self._indexes.get(tenant_id)
        now = monotonic()
        async with self.db.read_session() as s:
            version = await current_version(s, tenant_id)
            if idx is None or idx.version != version:
                rows = (
                    await s.execute(select(*_INDEX_COLUMNS).where(Product.tenant_id == tenant_id).order_by(Product.id))
                ).all()
                services = (
                    await s.execute(select(Service.code, Service.name).where(Service.tenant_id == tenant_id))
                ).all()
                variants, regulars = await _variants(s, tenant_id)
                idx = None
        if idx is None:
            idx = await asyncio.to_thread(ProductIndex, version, rows, variants, regulars)
            vocabulary = await asyncio.to_thread(Vocabulary.build, version, rows, services)
            # Both at once: a concurrent turn that finds the new index must find its vocabulary too.
            self._indexes[tenant_id], self._vocabularies[tenant_id] = idx, vocabulary
        self._checked[tenant_id] = now
        return idx

    async def vocabulary(self, tenant_id: str) -> Vocabulary:
        """The tenant's own words (item names, brands, categories), as of the catalog version the index holds."""
        await self.index(tenant_id)
        return self._vocabularies[tenant_id]

    async def shaped(
        self, tenant_id: str, shape: Shape, sheet: SpecSheet | None = None
    ) -> tuple[str, list[ProductHit]]:
        """A catalog-shape question's answer: one sentence with names and figures, and the products it lists
        (or, when none matches, the nearest ones of the same kind). `sheet` holds the products' spec lines, for
        bounded figures ("under 3 lbs")."""
        idx = await self.index(tenant_id)
        chosen = matching(idx.entries, shape, sheet)
        alternatives: list[Entry] = []
        stated = figures(idx.entries, shape, sheet)
        if not chosen:
            loose = replace(
                shape,
                min_price=None,
                max_price=None,
                people=None,
                superlative=None,
                order="price_asc",
                bounds=(),
                also=(),  # "any game sleeves?": no sleeves described as for games, but sleeves all the same
            )
            if loose != replace(shape, order="price_asc"):
                alternatives = matching(idx.entries, loose)
            if shape.bounds:
                below = shape.bounds[0].op.startswith("<")
                alternatives = sorted(
                    (e for e in alternatives if e.sku in stated),
                    key=lambda e: stated[e.sku][2] if below else -stated[e.sku][2],
                )
        said = {sku: text for sku, (text, _, _) in stated.items()}
        return summary(shape, chosen, alternatives, said), [_hit(e, 1.0) for e in (chosen or alternatives)]

    async def specs(self, tenant_id: str, documents: ChunkSource) -> SpecSheet:
        """The products' spec lines from the tenant's documents and tags, rebuilt when the catalog or the set of
        processed documents changes."""
        idx = await self.index(tenant_id)
        async with self.db.session() as s:
            docs = (
                await s.execute(
                    select(Document.id, Document.title, Document.updated_at)
                    .where(Document.tenant_id == tenant_id, Document.status == "completed")
                    .order_by(Document.id)
                )
            ).all()
        signature = (idx.version, tuple((d.id, str(d.updated_at)) for d in docs))
        sheet = self._sheets.get(tenant_id)
        if sheet is not None and sheet.signature == signature:
            return sheet
        building = self._building.get((tenant_id, signature))
        if building is None:
            tags = {e.sku: list(e.tags) for e in idx.entries if e.tags}
            words = self._vocabularies[tenant_id]

            async def build() -> SpecSheet:
                by_sku = await read_sheet(documents, tenant_id, [(d.id, d.title) for d in docs], words, tags)
                done = SpecSheet(signature, by_sku)
                self._sheets[tenant_id] = done
                self._building.pop((tenant_id, signature), None)
                return done

            building = self._building[(tenant_id, signature)] = asyncio.ensure_future(build())
        # Shielded: a turn whose time budget runs out leaves the reading to finish for the next one.
        return await asyncio.shield(building)

    async def products(self, tenant_id: str, skus: list[str]) -> list[ProductHit]:
        """The products with these SKUs, in that order, scored 1 (the items a conversation is about)."""
        idx = await self.index(tenant_id)
        return [_hit(e, 1.0) for e in idx.by_skus(skus)]

    async def search_products(
        self,
        tenant_id: str,
        query: str,
        model_numbers: list[str],
        limit: int,
        min_score: float = 0.25,
        *,
        category: str | None = None,
        tags: list[str] | tuple[str, ...] = (),
        max_price: Decimal | None = None,
        min_price: Decimal | None = None,
        in_stock: bool | None = None,
        browse: bool = False,
    ) -> list[ProductHit]:
        """Products matching the words and model numbers of `query`, best first, with price and stock.

        Filters narrow the hits; with `browse`, a query with no usable words lists the filtered products by name.
        """
        idx = await self.index(tenant_id)
        ranked = idx.search(
            query,
            model_numbers,
            limit,
            Filters(category, tuple(tags), max_price, min_price, in_stock),
            min_score,
            browse,
        )
        return [_hit(e, score) for score, e in ranked]

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
        windows: list[tuple[datetime, datetime]] | None = None,
    ) -> list[ServiceHit]:
        """Services matching the question, each with its free slots in `windows` (time ranges such as "tomorrow
        afternoon"), else on `days`, else over the next two weeks.

        With `all_if_none`, a question that names no service ("any free slots Saturday?") gets them all.
        """
        terms = keywords(query)
        tz = ZoneInfo(timezone)
        now = now or datetime.now(tz)
        asked = bool(windows or days)
        if windows:
            pass
        elif days:
            windows = [
                (datetime.combine(d, time.min, tz), datetime.combine(d + timedelta(days=1), time.min, tz)) for d in days
            ]
        else:
            windows = [(now, now + timedelta(days=14))]
        async with self.db.read_session() as s:
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
                    slots += [_free(r, tz) for r in rows]
                later: list[FreeSlot] = []
                if asked and not slots:
                    after = max(max(hi for _, hi in windows), now)
                    rows = await s.scalars(
                        select(Slot)
                        .where(
                            Slot.service_id == sv.id,
                            Slot.start >= after,
                            Slot.start < after + timedelta(days=NEXT_FREE_DAYS),
                            Slot.booked < Slot.capacity,
                        )
                        .order_by(Slot.start)
                        .limit(NEXT_FREE_SLOTS)
                    )
                    later = [
                        FreeSlot(r.start.astimezone(tz), r.end.astimezone(tz), r.capacity - r.booked) for r in rows
                    ]
                scheduled = (
                    bool(slots or later)
                    or (await s.scalar(select(Slot.id).where(Slot.service_id == sv.id).limit(1))) is not None
                )
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
                        later,
                        scheduled,
                    )
                )
        return hits

    @staticmethod
    def _score_service(sv: Service, terms: list[str]) -> float:
        if not terms:
            return 0.0
        fields = [(keywords(sv.name), 1.0), (keywords(sv.description), 0.4)]
        return sum(_term_weight(t, fields) for t in terms) / len(terms)
