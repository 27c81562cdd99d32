"""Load a tenant's catalog from CSV or JSON: every row checked on its own, good rows kept, bad rows reported.

Re-importing updates rows in place, keyed by product `sku`, service `code` and slot (service, start), so the
same file twice changes nothing and a corrected file fixes what it names. Columns a file leaves out keep their
stored values (a price list without a stock column does not zero the stock).

Shop exports (Shopify, WooCommerce, Lightspeed eCom, Square, Ecwid and alike, known by their headers) bring products
with variants: each variant row is kept as a `ProductVariant` (updated in place by its SKU, else by its option
values), and the product's price is its lowest variant price, its stock their sum (not stated when the export
says a version's stock is not tracked). A plain CSV that lists a product's versions as rows sharing its `Handle`
(or name) with a `Variant` column brings the same. A service listed in several rows (its options, its dated
sessions) is one service from its lowest price, each option a line of its description (services have no
variants). Every row the import does not use is in the report with its line and the reason:
`rejected` (could not be used) or `skipped` (nothing to import in it).
"""

import asyncio
import csv
import io
import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, PrivateAttr, ValidationError, field_validator, model_validator
from sqlalchemy import insert, select, update

from concierge.tools.catalog import shop_exports
from concierge.tools.catalog.version import bump_version
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.models import Product, ProductVariant, Service, Slot, Tenant

Kind = Literal["products", "services", "slots"]
KINDS: tuple[Kind, ...] = ("products", "services", "slots")


class CatalogFileError(ValueError):
    """The file as a whole cannot be read (not CSV or JSON, no header, wrong shape): nothing was imported."""


# Column names people use for the same thing, mapped to ours. Headers are compared lower-cased with every run of
# other characters as one "_" ("Duration (mins)" -> "duration_mins"), so case and punctuation do not matter.
_ALIASES = {
    **dict.fromkeys(("item_name", "product_name", "service_name", "title", "product_title", "item_title"), "name"),
    **dict.fromkeys(("id", "product_id", "item_id", "item_code", "product_code", "item_sku", "product_sku"), "sku"),
    "model": "model_number",
    "model_no": "model_number",
    "modelnumber": "model_number",
    "mpn": "model_number",
    **dict.fromkeys(("retail_price", "unit_price", "selling_price", "sell_price", "list_price"), "price"),
    **dict.fromkeys(
        (
            "qty",
            "quantity",
            "stock_on_hand",
            "on_hand",
            "qty_on_hand",
            "quantity_on_hand",
            "inventory",
            "inventory_qty",
            "inventory_quantity",
            "stock_level",
            "stock_qty",
            "stock_quantity",
        ),
        "stock",
    ),
    **dict.fromkeys(
        ("product_category", "item_category", "service_category", "category_name", "department"), "category"
    ),
    **dict.fromkeys(("brand_name", "manufacturer", "vendor", "publisher", "maker", "make", "label"), "brand"),
    **dict.fromkeys(("slug", "product_handle", "url_handle"), "handle"),
    **dict.fromkeys(
        ("item_description", "product_description", "service_description", "details", "desc"), "description"
    ),
    **dict.fromkeys(
        (
            "duration",
            "minutes",
            "mins",
            "duration_min",
            "duration_mins",
            "duration_in_minutes",
            "length_min",
            "length_mins",
            "service_duration",
            "time_mins",
        ),
        "duration_minutes",
    ),
    **dict.fromkeys(("type", "kind", "item_type", "record_type"), "item_type"),
    "service_code": "service",
    "service_id": "service",
    "compare_at_price": "regular_price",
}
_SERVICE_ALIASES = {"id": "code", "sku": "code", "handle": "code", "service_code": "code", "service_id": "code"}
"""A services file's own key; applied after `_ALIASES`, so "Item ID" is a service's code too."""
_COLUMNS = frozenset(_ALIASES.values()) | {
    *("sku", "handle", "name", "description", "category", "brand", "model_number", "tags", "price", "currency"),
    *("stock", "regular_price", "code", "service", "start", "end", "capacity", "booked", "duration_minutes"),
    *shop_exports.OPTION_COLUMNS,
}
"""Every column the import knows by name (`_compound` reads a header of several of their words)."""
_FILLERS = frozenset({"product", "products", "item", "items", "service", "services", "of", "and", "or", "the"})
"""Words of a header that add nothing to what its other words name ("Product Brand")."""
_SERVICE_TYPES = frozenset({"service", "services", "appointment"})
"""What a Type/Kind column says of a row that is a service in a products file."""

MAX_PRICE = Decimal(10) ** 10
"""Prices are stored as NUMERIC(12, 2)."""
MAX_COUNT = 2**31 - 1
"""Stock, capacity and durations are 32-bit integers on PostgreSQL."""


_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})
"""Letters that are no base letter with a mark, so NFKD leaves them whole."""


def _slug(text: str) -> str:
    """A key made from a name, accented letters as their base letters ("Château" -> "chateau", not "ch-teau")."""
    plain = unicodedata.normalize("NFKD", text.lower().translate(_LETTERS))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:64]


def _old_slug(text: str) -> str:
    """The key earlier imports made from a name (accented letters dropped): found and renamed on re-import."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64]


def _blank_to_none(v: Any) -> Any:
    return None if isinstance(v, str) and not v.strip() else v


def _money(v: Any) -> Decimal:
    if isinstance(v, float):
        v = str(v)
    try:
        d = Decimal(str(v).strip().replace(",", ".") if isinstance(v, str) else v)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"not a number: {v!r}") from None
    if not d.is_finite():
        raise ValueError(f"not a number: {v!r}")
    if d < 0:
        raise ValueError("must not be negative")
    if d >= MAX_PRICE:
        raise ValueError(f"must be under {MAX_PRICE}")
    return d.quantize(Decimal("0.01"))


class _Row(BaseModel):
    model_config = {"extra": "ignore", "str_strip_whitespace": True}

    @model_validator(mode="before")
    @classmethod
    def _blanks(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("a row must be an object")
        return {k: _blank_to_none(v) for k, v in data.items()}


def _whole_number(v: Any) -> Any:
    """A count written as text ("12", "3.0") as a number; anything else as it is (to be checked)."""
    if isinstance(v, str) and re.fullmatch(r"-?\d+(\.0+)?", v.strip()):
        return int(float(v))
    return v


class _Priced(_Row):
    """What a product and a variant row both carry: their own SKU, price, currency and stock, and the regular
    price when the price is a sale price."""

    sku: str | None = Field(default=None, max_length=64)
    price: Decimal
    currency: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")
    stock: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    regular_price: Decimal | None = None
    """The price before the sale (WooCommerce's regular price, Shopify's compare-at price); None when not on sale."""
    stock_by_location: dict[str, Annotated[int, Field(ge=0, le=MAX_COUNT)]] | None = None
    """Stock per shop location (location name to count) when the export gives it so (Square with several
    locations); `stock` is their sum. None when the export gives one total."""

    @field_validator("price", mode="before")
    @classmethod
    def _price(cls, v: Any) -> Decimal:
        return _money(v)

    @field_validator("regular_price", mode="before")
    @classmethod
    def _regular(cls, v: Any) -> Decimal | None:
        return None if v is None else _money(v)

    @model_validator(mode="after")
    def _on_sale(self) -> "_Priced":
        """A regular price no higher than the price is no sale (shops leave compare-at prices behind)."""
        if self.regular_price is not None and self.regular_price <= self.price:
            self.regular_price = None
        return self

    @field_validator("sku", mode="before")
    @classmethod
    def _text_key(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v

    @field_validator("stock", mode="before")
    @classmethod
    def _whole(cls, v: Any) -> Any:
        return cls._below_zero(_whole_number(v))

    @field_validator("stock_by_location", mode="before")
    @classmethod
    def _per_location(cls, v: Any) -> Any:
        """Each location's count read as the stock is (a whole number, below zero as the stock is); none is None."""
        if not isinstance(v, dict):
            return v
        counts = {str(k).strip(): x for k, x in v.items() if str(k).strip() and x not in (None, "")}
        return {k: cls._below_zero(_whole_number(x)) for k, x in counts.items()} or None

    @model_validator(mode="after")
    def _total(self) -> "_Priced":
        """A stock given only per location is their sum."""
        if self.stock is None and self.stock_by_location:
            self.stock = sum(self.stock_by_location.values())
        return self

    @classmethod
    def _below_zero(cls, v: Any) -> Any:
        """A product's negative stock is an error in the file (reported on its row)."""
        return v


class ProductRow(_Priced):
    name: str = Field(min_length=1, max_length=300)
    description: str | None = None
    category: str | None = Field(default=None, max_length=100)
    brand: str | None = Field(default=None, max_length=200)
    model_number: str | None = Field(default=None, max_length=100)
    tags: list[str] | None = None
    _variants: list["VariantRow"] | None = PrivateAttr(default=None)
    """The product's variants when its file lists them (then the stored ones are replaced by these)."""
    _untracked: bool = PrivateAttr(default=False)
    """Its file says its stock is not tracked: stock None is stored (not stated), over any stored count."""

    @model_validator(mode="before")
    @classmethod
    def _handle(cls, data: Any) -> Any:
        """A handle (a shop's URL key) is the product's key, over a SKU: the SKUs are its versions'."""
        handle = data.get("handle") if isinstance(data, dict) else None
        if handle is not None and str(handle).strip():
            return {**data, "sku": handle}
        return data

    @field_validator("tags", mode="before")
    @classmethod
    def _split_tags(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [t.strip() for t in re.split(r"[;|,]", v) if t.strip()]
        return v


class VariantRow(_Priced):
    row: int | None = None
    options: dict[str, str] = Field(min_length=1)

    @field_validator("options", mode="before")
    @classmethod
    def _pairs(cls, v: Any) -> Any:
        pairs = v.items() if isinstance(v, dict) else v if isinstance(v, list) else None
        if pairs is None:
            return v
        return {str(k).strip(): str(x).strip() for k, x in pairs if x is not None and str(x).strip()}

    @classmethod
    def _below_zero(cls, v: Any) -> Any:
        """Shops let a variant's stock go below zero when they oversell: none is left."""
        return max(v, 0) if isinstance(v, int) else v


class Skipped(str):
    """Why a row holds nothing to import (an extra image row, a draft product): reported, not an error."""


class ServiceRow(_Row):
    code: str | None = Field(default=None, max_length=64)
    name: str = Field(min_length=1, max_length=300)
    description: str | None = None
    duration_minutes: int = Field(gt=0, le=MAX_COUNT)
    price: Decimal
    currency: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")

    @field_validator("price", mode="before")
    @classmethod
    def _price(cls, v: Any) -> Decimal:
        return _money(v)

    @field_validator("code", mode="before")
    @classmethod
    def _text_key(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v

    @field_validator("duration_minutes", mode="before")
    @classmethod
    def _minutes(cls, v: Any) -> Any:
        return _duration(v)

    _options: list["ServiceOption"] | None = PrivateAttr(default=None)
    """The options its file lists it with (rows of one service), each a line of its description."""


class ServiceOption(_Row):
    """One row of a service its file lists in several (a table size, a dated session): what a customer reads of
    it. `stock` is the places left."""

    row: int
    label: str = Field(min_length=1)
    price: Decimal
    currency: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")
    stock: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    duration_minutes: int | None = Field(default=None, gt=0, le=MAX_COUNT)

    @field_validator("price", mode="before")
    @classmethod
    def _price(cls, v: Any) -> Decimal:
        return _money(v)

    @field_validator("stock", mode="before")
    @classmethod
    def _whole(cls, v: Any) -> Any:
        return int(float(v)) if isinstance(v, str) and re.fullmatch(r"\d+(\.0+)?", v.strip()) else v

    @field_validator("duration_minutes", mode="before")
    @classmethod
    def _minutes(cls, v: Any) -> Any:
        return _duration(v)

    def line(self, service: ServiceRow) -> str:
        """ "Thu 28 January 2027: 12.00 CAD, 6 places left." (the file's currency, when it gives one)."""
        currency = (self.currency or service.currency or "").upper()
        parts = [f"{self.price} {currency}".strip()]
        if self.duration_minutes is not None and self.duration_minutes != service.duration_minutes:
            parts.append(f"{self.duration_minutes} min")
        if self.stock is not None:
            parts.append("no places left" if not self.stock else f"{self.stock} place{'s' * (self.stock > 1)} left")
        return f"{self.label}: {', '.join(parts)}."


_DURATION = re.compile(
    r"(?:(?P<h>\d+(?:[.,]\d+)?)\s*(?:h|hr|hrs|hour|hours)\b\.?)?\s*(?:(?P<m>\d+)\s*(?:m|min|mins|minute|minutes)?\b\.?)?",
    re.IGNORECASE,
)


def _duration(v: Any) -> Any:
    """Minutes from what booking systems write: "60", "60.0", "45 min", "1h 30m", "1.5 hours", "1:30"."""
    if not isinstance(v, str):
        return v
    text = v.strip()
    if re.fullmatch(r"\d+(\.0+)?", text):
        return int(float(text))
    if clock := re.fullmatch(r"(\d+):([0-5]\d)", text):
        return int(clock[1]) * 60 + int(clock[2])
    match = _DURATION.fullmatch(text)
    if match and (match["h"] or match["m"]):
        return round(float((match["h"] or "0").replace(",", ".")) * 60) + int(match["m"] or 0)
    return v


class SlotRow(_Row):
    service: str = Field(min_length=1, max_length=64)
    start: datetime
    end: datetime | None = None
    capacity: int = Field(default=1, ge=1, le=MAX_COUNT)
    booked: int = Field(default=0, ge=0, le=MAX_COUNT)

    @field_validator("service", mode="before")
    @classmethod
    def _text_key(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v

    @field_validator("start", "end", mode="before")
    @classmethod
    def _iso(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                return datetime.fromisoformat(v.strip())
            except ValueError:
                raise ValueError(f"malformed date {v!r}: use ISO 8601, e.g. 2026-12-05T14:00") from None
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "SlotRow":
        if self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")
        if self.booked > self.capacity:
            raise ValueError(f"booked ({self.booked}) exceeds capacity ({self.capacity})")
        return self


@dataclass
class Rejected:
    kind: Kind
    row: int
    """1-based position in the file: for CSV the line number (the header is line 1), for JSON the item index."""
    key: str | None
    reason: str


@dataclass
class VariantCounts:
    accepted: int = 0
    created: int = 0
    updated: int = 0
    removed: int = 0
    """Variants of an imported product that its new export no longer lists."""


@dataclass
class Combined:
    """Rows of one service that the catalog holds as one (it has no variants for services): the service's price is
    the lowest, each row a line of its description."""

    kind: Kind
    key: str
    rows: list[int]
    note: str


@dataclass
class ImportReport:
    accepted: int = 0
    created: int = 0
    updated: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)
    skipped: list[Rejected] = field(default_factory=list)
    """Rows with nothing to import (an export's extra image rows, draft products), each with the reason."""
    variants: VariantCounts = field(default_factory=VariantCounts)
    format: str | None = None
    """The shop export recognised by its header (shopify, woocommerce, grouped, lightspeed, square, ecwid), if any."""
    accepted_by_kind: dict[str, int] = field(default_factory=dict)
    """How many rows of each kind were imported (a booking system's list: its services and its products)."""
    ignored: list["IgnoredColumn"] = field(default_factory=list)
    """The file's columns the import did not store, each with the reason."""
    moved: list[str] = field(default_factory=list)
    """SKUs of products an earlier import made of rows this file lists as services: removed, now services."""
    combined: list[Combined] = field(default_factory=list)
    """Services listed in several rows (options, dated sessions), each kept as one with its options described."""
    rekeyed: list[str] = field(default_factory=list)
    """"old -> new": items an earlier import stored under another key (its name's slug before the file's handle
    was read or before accented letters were kept, or a version's SKU before its rows were one product), now
    under this file's key; a second one of them is folded into the first, so no item is held twice."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "created": self.created,
            "updated": self.updated,
            "rejected_count": len(self.rejected),
            "rejected": [asdict(r) for r in self.rejected],
            "skipped_count": len(self.skipped),
            "skipped": [asdict(r) for r in self.skipped],
            "variants": asdict(self.variants),
            "format": self.format,
            "by_kind": self.by_kind,
            "accepted_by_kind": self.accepted_by_kind,
            "ignored": [asdict(c) for c in self.ignored],
            "moved": self.moved,
            "combined": [asdict(c) for c in self.combined],
            "rekeyed": self.rekeyed,
        }


def _key(raw: Any, *names: str) -> str | None:
    if not isinstance(raw, dict):
        return None
    return next((str(raw[n]) for n in names if raw.get(n) not in (None, "")), None)


def _why(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors():
        where = ".".join(str(x) for x in e["loc"])
        msg = (
            "missing" if e["type"] == "missing" or e.get("input", 0) is None else e["msg"].removeprefix("Value error, ")
        )
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def _norm(name: Any) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _compound(key: str) -> str:
    """A header of several words that name one column between them ("Brand/Publisher", "ID/SKU", "Publisher
    Name") as that column. A word the import does not know keeps the header unread: it may make it another
    thing ("Cost Price", "Stock Status", "Duration (hours)")."""
    named: set[str] = set()
    for part in key.split("_"):
        column = _ALIASES.get(part, part)
        if part in _FILLERS:
            continue  # "Service Price" is the price, not a slot's service
        if column not in _COLUMNS:
            return key
        named.add(column)
    if len(named) > 1:
        named.discard("name")  # "Publisher Name" is the publisher
    return named.pop() if len(named) == 1 else key


def _column(name: Any, kind: Kind) -> str:
    """Our name for a column: lower case, punctuation as "_", then the aliases (see `_ALIASES`), else the one
    column its words name (see `_compound`)."""
    key = _norm(name)
    key = _ALIASES.get(key, key) if key in _ALIASES or key in _COLUMNS else _compound(key)
    return _SERVICE_ALIASES.get(key, key) if kind == "services" else key


def _canonical(row: dict[str, Any], kind: Kind) -> dict[str, Any]:
    """A row under our column names. A column already named as ours wins over an alias of it ("SKU" over "ID");
    otherwise the first of two columns for the same thing wins."""
    out: dict[str, Any] = {}
    exact: set[str] = set()
    for k, v in row.items():
        if k is None:
            continue
        key = _column(k, kind)
        own = _norm(k) == key
        if key not in out or (own and key not in exact):
            out[key] = v
        if own:
            exact.add(key)
    return out


_READ: dict[Kind, frozenset[str]] = {
    "products": frozenset(
        {"sku", "name", "description", "category", "brand", "model_number", "tags", "price", "currency", "stock"}
        | {"regular_price", "variants", "handle"}
    ),
    "services": frozenset({"code", "name", "description", "duration_minutes", "price", "currency"}),
    "slots": frozenset({"service", "start", "end", "capacity", "booked"}),
}
"""The columns each kind of row stores; any other column of a file is reported as ignored."""


def _is_service(row: dict[str, Any]) -> bool:
    """A products file's row that is a service: its Type/Kind says so, or (no type given) it has a duration."""
    said = str(row.get("item_type") or "").strip().lower()
    if said:
        return said in _SERVICE_TYPES
    return bool(str(row.get("duration_minutes") or "").strip())


def _as_service(row: dict[str, Any]) -> dict[str, Any]:
    """A products file's service row under the services' names (its handle, else its SKU or ID, is the service's
    code)."""
    out = dict(row)
    sku, handle = out.pop("sku", None), out.pop("handle", None)
    if handle is not None and str(handle).strip():
        out["code"] = handle
    elif out.get("code") in (None, ""):
        out["code"] = sku
    return out


def _service_options(
    rows: list[tuple[int, dict[str, Any]]], written: dict[str, str], key: str | None
) -> tuple[list[tuple[int, dict[str, Any]]], set[str]]:
    """A plain CSV's service rows with the rows of one service that name its options (a table size, a dated
    session) made one service row with `options`; other rows as they are. Returns the rows and the option columns
    read (see `shop_exports.plain_products`)."""
    out: list[tuple[int, dict[str, Any]]] = []
    read: set[str] = set()
    for group in shop_exports.same_item(rows, key):
        columns = shop_exports.option_columns(group, written)
        if not columns:
            out.extend(group)
            continue
        read.update(columns)
        first_pos, first = group[0]
        service = {k: v for k, v in first.items() if k not in columns and k != "stock"}
        service["options"] = []
        name = shop_exports.first_text(group, "name")
        described = shop_exports.texts(str(r.get("description") or "").strip() for _, r in group)
        service |= {"name": name or None, "description": described or None}
        service["duration_minutes"] = shop_exports.first_text(group, "duration_minutes") or None
        seen: dict[tuple[tuple[str, str], ...], int] = {}
        for pos, row in group:
            options = shop_exports.options_of(row, columns, written)
            if not options:
                if pos != first_pos:
                    reason = f"option of {name!r} names no option value ({', '.join(written[c] for c in columns)})"
                    out.append((pos, {shop_exports.REJECTED: reason, shop_exports.KEY: row.get("code")}))
                continue
            same = tuple((k.casefold(), v.casefold()) for k, v in options)
            if same in seen:
                reason = f"option of {name!r} with the same values as line {seen[same]}: {dict(options)}"
                out.append((pos, {shop_exports.REJECTED: reason, shop_exports.KEY: row.get("code")}))
                continue
            seen[same] = pos
            label = ", ".join(v for _, v in options)
            fields = {k: row.get(k) for k in ("price", "currency", "stock", "duration_minutes")}
            service["options"].append({"row": pos, "label": label, **fields})
        out.append((first_pos, service))
    out.sort(key=lambda x: x[0])
    return out, read


@dataclass
class IgnoredColumn:
    column: str
    """As the file names it."""
    reason: str


def _ignored(
    names: list[str], kind: Kind, rows: dict[Kind, list[dict[str, Any]]], options: dict[Kind, set[str]]
) -> list[IgnoredColumn]:
    """The columns of a file the import does not store, so its owner sees what was not read: columns nothing in
    the catalog holds, a second column for something another column already gives, and columns one kind of row
    has no place for (a service's stock). `kind` is the file's, whose names its columns were read under;
    `options` the columns each kind read as its items' options (a size where an item's rows differ in it)."""
    kinds = [k for k, r in rows.items() if r] or list(rows)
    out: list[IgnoredColumn] = []
    named = [n for n in names if n and str(n).strip()]
    winner = {c: n for n, c in ((n, _column(n, kind)) for n in reversed(named))}  # the first column wins ...
    winner |= {c: n for n, c in ((n, _column(n, kind)) for n in reversed(named)) if _norm(n) == c}  # ... ours first
    for name in named:
        per_kind = {k: _column(name, k) for k in kinds}
        canonical = _column(name, kind)
        # a Type/Kind column is read when it sorts services from products; else it is a product type we do not keep
        readers = [
            k
            for k, c in per_kind.items()
            if c in _READ[k] or c in options.get(k, ()) or (c == "item_type" and rows.get("services"))
        ]
        if not readers:
            out.append(IgnoredColumn(name, "not read: the catalog has no place for it"))
            continue
        if winner[canonical] != name:
            out.append(IgnoredColumn(name, f"not read: column {winner[canonical]!r} gives the {canonical}"))
            continue
        unstored = [
            k for k in kinds if k not in readers and any(str(r.get(per_kind[k]) or "").strip() for r in rows.get(k, []))
        ]
        if unstored:
            kept = f" (kept for {', '.join(readers)})" if readers else ""
            out.append(IgnoredColumn(name, f"not stored for {', '.join(unstored)}{kept}"))
            continue
        left = [
            k
            for k in readers
            if per_kind[k] in options.get(k, set()) - _READ[k]
            and any(str(r.get(per_kind[k]) or "").strip() for r in rows.get(k, []))
        ]
        if left:
            out.append(IgnoredColumn(name, "read only where an item's rows differ in it (as its options)"))
    return out


FORMAT = "format"
"""Key of `parse_file`'s answer naming the shop export it recognised."""
IGNORED = "ignored"
"""Key of `parse_file`'s answer listing the columns of a CSV the import does not store (`IgnoredColumn`)."""
SORTED = "sorted"
"""Key of `parse_file`'s answer set when a products CSV listed services too (see `ImportReport.moved`)."""


def parse_file(data: bytes, filename: str = "", kind: Kind | None = None) -> dict[Kind, list[tuple[int, dict]]]:
    """The rows of a CSV or JSON catalog file by kind, each with its position; raises `CatalogFileError`.

    CSV holds one kind (`kind`, default products). JSON is a list of one kind, or an object with any of
    `products`, `services` and `slots`.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CatalogFileError("the file is not UTF-8 text") from None
    stripped = text.lstrip()
    is_json = filename.lower().endswith(".json") or (not filename.lower().endswith(".csv") and stripped[:1] in "[{")
    if not stripped:
        raise CatalogFileError("the file is empty")
    if is_json:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogFileError(f"malformed JSON: {exc}") from None
        if isinstance(doc, list):
            doc = {kind or "products": doc}
        if not isinstance(doc, dict) or not any(k in doc for k in KINDS):
            raise CatalogFileError("JSON must be a list of rows or an object with products, services or slots")
        out: dict[Kind, list[tuple[int, dict]]] = {}
        for k in KINDS:
            rows = doc.get(k) or []
            if not isinstance(rows, list):
                raise CatalogFileError(f"{k} must be a list")
            out[k] = [(i, _canonical(r, k) if isinstance(r, dict) else r) for i, r in enumerate(rows, 1)]
        return out
    kind = kind or "products"
    reader = csv.DictReader(io.StringIO(text))
    shop = shop_exports.detect(reader.fieldnames or []) if kind == "products" else None
    if shop is not None:
        raw = [(reader.line_num, r) for r in reader]
        rows = shop_exports.read(raw, shop)
        if shop not in shop_exports.POS_FORMATS:
            found = {"products": rows, FORMAT: shop}
            if shop == "shopify":  # every column it has that the import does not store, with the reason
                unread = shop_exports.unread(list(reader.fieldnames or []), shop, raw)
                found[IGNORED] = [IgnoredColumn(c, why) for c, why in unread]
            return found  # type: ignore[return-value]
        # A till's or web shop's export: its services (if it marks any) besides its products, and every column
        # it has that the import does not store, with the reason.
        kinds: dict[Kind, list[tuple[int, dict]]] = {"products": [], "services": []}
        for pos, row in rows:
            kinds[row.pop(shop_exports.KIND, "products")].append((pos, row))
        unread = shop_exports.unread(list(reader.fieldnames or []), shop, raw)
        found: dict[Any, Any] = {**kinds, FORMAT: shop, IGNORED: [IgnoredColumn(c, why) for c, why in unread]}
        if kinds["services"]:
            found[SORTED] = True
        else:
            del found["services"]
        return found
    names = [n for n in reader.fieldnames or [] if n is not None]
    columns = set(_canonical(dict.fromkeys(names), kind))
    needed = {"service", "start"} if kind == "slots" else {"name"}
    if not needed <= columns:
        raise CatalogFileError(f"CSV {kind} need a header row with the columns: {', '.join(sorted(needed))}")
    rows = [(reader.line_num, _canonical(r, kind)) for r in reader]
    out = {kind: rows}
    if kind == "products" and columns & {"duration_minutes", "item_type"}:
        # A booking system's list: services (with a duration, or typed so) and retail products in one file.
        out = {"products": [(p, r) for p, r in rows if not _is_service(r)]}
        out["services"] = [(p, _as_service(r)) for p, r in rows if _is_service(r)]
        out[SORTED] = True  # type: ignore[index]
    written: dict[str, str] = {}
    for name in names:
        if (column := _column(name, kind)) in shop_exports.OPTION_COLUMNS:
            written.setdefault(column, name)
    options: dict[Kind, set[str]] = {}
    if written and out.get("products"):
        key = "handle" if "handle" in columns else None
        out["products"], options["products"] = shop_exports.plain_products(out["products"], written, key)
    if written and out.get("services"):
        key = "code" if "handle" in columns or (kind == "services" and "code" in columns) else None
        out["services"], options["services"] = _service_options(out["services"], written, key)
    ignored = _ignored(names, kind, {k: [r for _, r in v] for k, v in out.items() if k in KINDS}, options)
    if "handle" in columns and "sku" in columns:
        ignored += _shadowed_skus(names, kind, rows, out.get("products", []))
    return {**out, IGNORED: ignored}  # type: ignore[dict-item]


def _shadowed_skus(
    names: list[str], kind: Kind, rows: list[tuple[int, dict[str, Any]]], products: list[tuple[int, dict[str, Any]]]
) -> list[IgnoredColumn]:
    """The SKU column of a file with handles, where it keys nothing: the handle is an item's key, a SKU only its
    versions'; an item in one version (or a service) has no place for its own."""
    versions = {v.get("row") for _, p in products for v in p.get("variants") or [] if isinstance(v, dict)}
    if not any(
        str(r.get("handle") or "").strip() and str(r.get("sku") or "").strip() for p, r in rows if p not in versions
    ):
        return []
    skus = [n for n in names if _column(n, kind) == "sku"]
    column = next((n for n in skus if _norm(n) == "sku"), skus[0])
    return [IgnoredColumn(column, "not read where a row has a handle and no variant: the handle is its key")]


async def import_catalog(
    db: AppDatabase, tenant_id: str, data: bytes, filename: str = "", kind: Kind | None = None
) -> ImportReport:
    """Import a file's rows for one tenant; bad rows are reported, never abort the good ones."""
    parsed = await asyncio.to_thread(parse_file, data, filename, kind)
    return await import_rows(db, tenant_id, parsed)


def _per_location_sum(counts: list[dict[str, int]]) -> dict[str, int]:
    """Versions' stock per location summed per location, the locations in the order they first come."""
    out: dict[str, int] = {}
    for by_location in counts:
        for name, n in by_location.items():
            out[name] = out.get(name, 0) + n
    return out


def _product_with_variants(pos: int, raw: dict[str, Any], checked: list[tuple[int, str | None, Any]]) -> Any:
    """A product row and its variants checked one by one: a bad variant is reported on its own line, the
    product's price is its lowest variant price and its stock their sum."""
    raw = dict(raw)
    variants_raw = raw.pop("variants", None)
    untracked = bool(raw.pop(shop_exports.UNTRACKED, False))
    if variants_raw is not None and not isinstance(variants_raw, list):
        return "variants: must be a list"
    good: list[VariantRow] = []
    bad: list[tuple[int, str | None, str]] = []
    for v in variants_raw or []:
        where = v.get("row", pos) if isinstance(v, dict) else pos
        try:
            good.append(VariantRow.model_validate(v))
        except ValidationError as exc:
            bad.append((where, _key(v, "sku"), f"variant: {_why(exc)}"))
    if good:
        cheapest = min(good, key=lambda v: v.price)
        raw["price"] = cheapest.price  # "from": what the cheapest version costs
        raw["regular_price"] = cheapest.regular_price  # and what it cost before its sale, if it is on sale
        if raw.get("stock") in (None, "") and all(v.stock is not None for v in good):
            raw["stock"] = sum(v.stock or 0 for v in good)
            if not raw.get("stock_by_location") and all(v.stock_by_location is not None for v in good):
                raw["stock_by_location"] = _per_location_sum([v.stock_by_location or {} for v in good])
    elif variants_raw and raw.get("price") in (None, ""):
        raw["price"] = None
    try:
        row = ProductRow.model_validate(raw)
    except ValidationError as exc:
        reason = _why(exc)
        if variants_raw and not good:
            reason += " (none of its variants could be imported)"
        checked += bad
        checked += [(v.row or pos, v.sku, f"product on line {pos} was rejected: {reason}") for v in good]
        return reason
    checked += bad
    if variants_raw is not None:
        row._variants = good
    row._untracked = untracked and row.stock is None
    return row


def _service_with_options(
    pos: int, raw: dict[str, Any], key: str | None, checked: list[tuple[int, str | None, Any]]
) -> Any:
    """A service its file lists in several rows, its options checked one by one: a bad one is reported on its own
    line, the service's price is the lowest ("from") and each option a line of its description."""
    raw = dict(raw)
    good: list[ServiceOption] = []
    for option in raw.pop("options"):
        option = {"row": pos, **option} if isinstance(option, dict) else option
        try:
            good.append(ServiceOption.model_validate(option))
        except ValidationError as exc:
            where, label = (option.get("row"), option.get("label")) if isinstance(option, dict) else (pos, None)
            checked.append((where, key, f"option {label!r}: {_why(exc)}"))
    if good:
        raw["price"] = min(o.price for o in good)
    try:
        row = ServiceRow.model_validate(raw)
    except ValidationError as exc:
        reason = _why(exc) + ("" if good else " (none of its options could be imported)")
        checked += [(o.row, key, f"service on line {pos} was rejected: {reason}") for o in good if o.row != pos]
        return reason
    row._options = good
    row.description = "\n".join([*filter(None, [row.description]), *(o.line(row) for o in good)])
    return row


async def _rekey(
    s: Any, model: type[Product] | type[Service], tenant_id: str, wanted: dict[str, tuple[str, list[str]]]
) -> list[str]:
    """Items an earlier import stored under another key than this file gives them, renamed to it (or, when the
    key is taken, removed as a second copy): `wanted` maps each key of the file to its item's name and the keys it
    may have had (its name's slug as earlier imports made it, its versions' SKUs). Only an item of the same name
    is renamed, and never under a key the file itself lists. Returns "old -> new" for the report."""
    column = "sku" if model is Product else "code"
    olds: dict[str, str] = {}
    for new, (_, before) in wanted.items():
        for old in before:
            if old != new and old not in wanted:
                olds.setdefault(old, new)
    if not olds:
        return []
    keyed = getattr(model, column)
    stored = {
        getattr(x, column): x
        for x in await s.scalars(select(model).where(model.tenant_id == tenant_id, keyed.in_([*olds, *wanted])))
    }
    out = []
    for old, new in olds.items():
        item = stored.get(old)
        if item is None or " ".join(item.name.casefold().split()) != " ".join(wanted[new][0].casefold().split()):
            continue
        if new in stored:
            await s.delete(item)
        else:
            setattr(item, column, new)
            stored[new] = item
        del stored[old]
        out.append(f"{old} -> {new}")
    await s.flush()
    return out


def validate(parsed: dict[Kind, list[tuple[int, dict]]]) -> dict[Kind, list[tuple[int, str | None, Any]]]:
    """Each row as (position, key, a validated row or the reason it was rejected as a string)."""
    models: dict[Kind, tuple[type[_Row], tuple[str, ...]]] = {
        "products": (ProductRow, ("handle", "sku", "name")),
        "services": (ServiceRow, ("code", "name")),
        "slots": (SlotRow, ("service",)),
    }
    out: dict[Kind, list[tuple[int, str | None, Any]]] = {}
    for kind, rows in parsed.items():
        model, keys = models[kind]
        checked = []
        for pos, raw in rows:
            key = _key(raw, *keys)
            if kind == "slots" and key is not None:
                key = f"{key}@{raw.get('start')}"
            if isinstance(raw, dict) and shop_exports.REJECTED in raw:
                checked.append((pos, raw.get(shop_exports.KEY), raw[shop_exports.REJECTED]))
                continue
            if isinstance(raw, dict) and shop_exports.SKIPPED in raw:
                checked.append((pos, raw.get(shop_exports.KEY), Skipped(raw[shop_exports.SKIPPED])))
                continue
            if kind == "products" and isinstance(raw, dict) and "variants" in raw:
                checked.append((pos, key, _product_with_variants(pos, raw, checked)))
                continue
            if kind == "services" and isinstance(raw, dict) and isinstance(raw.get("options"), list):
                checked.append((pos, key, _service_with_options(pos, raw, key, checked)))
                continue
            try:
                checked.append((pos, key, model.model_validate(raw)))
            except ValidationError as exc:
                checked.append((pos, key, _why(exc)))
        out[kind] = sorted(checked, key=lambda x: x[0])
    return out


def _product_values(row: ProductRow) -> dict[str, Any]:
    """The columns a row sets; fields the file left out are not touched. The stock per location goes with the
    stock: set (None when the file gives one total) wherever the stock is."""
    values: dict[str, Any] = {}
    for name in row.model_fields_set - {"sku", "stock_by_location"}:
        value = getattr(row, name)
        if value is None and (name == "currency" or (name == "stock" and not row._untracked)):
            continue
        if name == "currency":
            value = value.upper()
        elif value is None and name in ("description", "category"):
            value = ""
        elif value is None and name == "tags":
            value = []
        values[name] = value
    if "stock" in values:
        values["stock_by_location"] = row.stock_by_location if values["stock"] is not None else None
    return values


def _option_key(options: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k.casefold(), v.casefold()) for k, v in options.items()))


async def _store_variants(
    s: Any, tenant_id: str, currency: str, by_sku: dict[str, list[VariantRow]], counts: VariantCounts
) -> None:
    """Each product's variants as its file lists them: matched to the stored ones by SKU, else by option values;
    stored variants the file no longer lists are removed (an export lists every variant of its products)."""
    ids = dict(
        (
            await s.execute(
                select(Product.sku, Product.id).where(Product.tenant_id == tenant_id, Product.sku.in_(list(by_sku)))
            )
        ).all()
    )
    stored: dict[int, list[ProductVariant]] = defaultdict(list)
    for v in await s.scalars(
        select(ProductVariant).where(ProductVariant.tenant_id == tenant_id, ProductVariant.product_id.in_(ids.values()))
    ):
        stored[v.product_id].append(v)
    for sku, rows in by_sku.items():
        product_id = ids[sku]
        left = list(stored.get(product_id, []))
        for position, row in enumerate(rows):
            match = next((v for v in left if row.sku and v.sku == row.sku), None) or next(
                (v for v in left if _option_key(v.options) == _option_key(row.options)), None
            )
            if match is None:
                match = ProductVariant(tenant_id=tenant_id, product_id=product_id)
                s.add(match)
                counts.created += 1
            else:
                left.remove(match)
                counts.updated += 1
            match.sku, match.options, match.price, match.stock, match.position = (
                row.sku,
                dict(row.options),
                row.price,
                row.stock,
                position,
            )
            match.regular_price = row.regular_price
            match.stock_by_location = row.stock_by_location if row.stock is not None else None
            match.currency = (row.currency or currency).upper()
            counts.accepted += 1
        for gone in left:
            await s.delete(gone)
            counts.removed += 1


async def import_rows(db: AppDatabase, tenant_id: str, parsed: dict[Kind, list[tuple[int, dict]]]) -> ImportReport:
    report = ImportReport()
    fmt = parsed.pop(FORMAT, None)  # type: ignore[call-overload]
    report.format = fmt if isinstance(fmt, str) else None
    report.ignored = list(parsed.pop(IGNORED, None) or [])  # type: ignore[call-overload]
    sorted_out = bool(parsed.pop(SORTED, False))  # type: ignore[call-overload]
    checked = await asyncio.to_thread(validate, parsed)

    def good(kind: Kind) -> list[tuple[int, str | None, Any]]:
        rows = checked.get(kind, [])
        if rows:
            report.by_kind[kind] = len(rows)
        for pos, key, row in rows:
            if isinstance(row, Skipped):
                report.skipped.append(Rejected(kind, pos, key, str(row)))
            elif isinstance(row, str):
                report.rejected.append(Rejected(kind, pos, key, row))
        return [x for x in rows if not isinstance(x[2], str)]

    async with db.session() as s:
        tenant = await s.get(Tenant, tenant_id)
        if tenant is None:
            raise LookupError(f"tenant {tenant_id!r} not found")
        tz = ZoneInfo(tenant.timezone)

        products = good("products")
        if products:
            wanted: dict[str, tuple[str, list[str]]] = {}
            for _, _, row in products:
                before = [_old_slug(row.name), _slug(row.name), *(v.sku for v in row._variants or [] if v.sku)]
                wanted.setdefault(row.sku or _slug(row.name), (row.name, []))[1].extend(before)
            report.rekeyed += await _rekey(s, Product, tenant_id, wanted)
            existing = dict(
                (await s.execute(select(Product.sku, Product.id).where(Product.tenant_id == tenant_id))).all()
            )
            new: dict[str, dict[str, Any]] = {}
            changes: dict[int, dict[str, Any]] = {}
            for _, _, row in products:
                sku = row.sku or _slug(row.name)
                values = _product_values(row)
                if sku in existing:
                    changes.setdefault(existing[sku], {"id": existing[sku]}).update(values)
                    report.updated += 1
                elif sku in new:
                    new[sku].update(values)
                    report.updated += 1
                else:
                    new[sku] = {
                        "tenant_id": tenant_id,
                        "sku": sku,
                        "description": "",
                        "category": "",
                        "brand": None,
                        "model_number": None,
                        "tags": [],
                        "stock": None,
                        "stock_by_location": None,
                        "currency": tenant.currency,
                        **values,
                    }
                    report.created += 1
                report.accepted += 1
                report.accepted_by_kind["products"] = report.accepted_by_kind.get("products", 0) + 1
            if new:
                await s.execute(insert(Product), list(new.values()))
            by_columns: dict[frozenset[str], list[dict[str, Any]]] = defaultdict(list)
            for change in changes.values():
                by_columns[frozenset(change)].append(change)
            for batch in by_columns.values():
                await s.execute(update(Product), batch)
            with_variants = {
                row.sku or _slug(row.name): row._variants for _, _, row in products if row._variants is not None
            }
            if with_variants:
                await _store_variants(s, tenant_id, tenant.currency, with_variants, report.variants)

        services = good("services")
        if services:
            codes: dict[str, tuple[str, list[str]]] = {}
            for _, _, row in services:
                codes.setdefault(row.code or _slug(row.name), (row.name, []))[1].extend(
                    [_old_slug(row.name), _slug(row.name)]
                )
            report.rekeyed += await _rekey(s, Service, tenant_id, codes)
        services_by_code: dict[str, Service] = {
            sv.code: sv for sv in await s.scalars(select(Service).where(Service.tenant_id == tenant_id))
        }
        if sorted_out and services:
            # A products file that now lists an item as a service: the product an earlier import made of it goes,
            # or the catalog would hold it twice.
            codes = {row.code or _slug(row.name) for _, _, row in services}
            gone = (
                await s.scalars(select(Product).where(Product.tenant_id == tenant_id, Product.sku.in_(list(codes))))
            ).all()
            for product in gone:
                await s.delete(product)
            report.moved = sorted(p.sku for p in gone)
        for _, _, row in services:
            code = row.code or _slug(row.name)
            service = services_by_code.get(code)
            if service is None:
                service = Service(tenant_id=tenant_id, code=code, description="", currency=tenant.currency)
                services_by_code[code] = service
                s.add(service)
                report.created += 1
            else:
                report.updated += 1
            for name in row.model_fields_set - {"code"}:
                value = getattr(row, name)
                if name == "currency" and value:
                    value = value.upper()
                if value is None and name == "currency":
                    continue
                setattr(service, name, "" if value is None and name == "description" else value)
            if row._options is not None:
                lowest = min(o.price for o in row._options)
                note = (
                    f"{len(row._options)} option(s) in one service (a service has no variants): its price is the "
                    f"lowest, {lowest}; each option is a line of its description"
                )
                report.combined.append(Combined("services", code, [o.row for o in row._options], note))
            report.accepted += 1
            report.accepted_by_kind["services"] = report.accepted_by_kind.get("services", 0) + 1

        slots = good("slots")
        if slots:
            await s.flush()  # new services get their ids
            stored = {
                (x.service_id, x.start): x for x in await s.scalars(select(Slot).where(Slot.tenant_id == tenant_id))
            }
            for pos, key, row in slots:
                service = services_by_code.get(row.service)
                if service is None:
                    report.rejected.append(
                        Rejected("slots", pos, key, f"service: no service with code {row.service!r}")
                    )
                    continue
                start = row.start if row.start.tzinfo else row.start.replace(tzinfo=tz)
                end = row.end or start + timedelta(minutes=service.duration_minutes)
                end = end if end.tzinfo else end.replace(tzinfo=tz)
                slot = stored.get((service.id, start.astimezone(UTC)))
                if slot is None:
                    slot = stored[(service.id, start.astimezone(UTC))] = Slot(
                        tenant_id=tenant_id,
                        service_id=service.id,
                        start=start,
                        end=end,
                        capacity=row.capacity,
                        booked=row.booked,
                    )
                    s.add(slot)
                    report.created += 1
                else:
                    slot.end, slot.capacity, slot.booked = end, row.capacity, row.booked
                    report.updated += 1
                report.accepted += 1
                report.accepted_by_kind["slots"] = report.accepted_by_kind.get("slots", 0) + 1

        if report.accepted:
            await bump_version(s, tenant_id)
        await s.commit()
    if report.accepted > 1000 and db.engine.dialect.name == "sqlite":
        # A big import leaves a big write-ahead log that every later read must consult: fold it in now.
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    return report
