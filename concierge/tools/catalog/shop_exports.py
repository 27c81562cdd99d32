"""Product exports of online shops (Shopify, WooCommerce and alike), read into products with their variants.

A shop export lists a product's variants as rows that continue the product: Shopify repeats the `Handle` with an
empty `Title`; WooCommerce gives `variation` rows a `Parent`. Each variant row has option values ("15 inch",
"16GB"), its own SKU, price and stock. Here every row becomes part of one product dict (with `variants`), or a
row the import reports: `_rejected` (a reason the import could not use it) or `_skipped` (a row with nothing to
import, such as an extra image), so no row disappears without a reason.

A plain CSV a small shop keeps itself (no shop's header) may list a product's versions the same way: rows sharing a
`Handle` (or a name) with a `Variant` column. `plain_products` groups them into the same product dicts.

Tills and web shops that export one row per version, each repeating its product's fields, are read the same way:
a Lightspeed eCom export (`Internal_ID`, `EN_Title_Short` or another language's `XX_Title_Short`, `EN_URL`,
`EN_Variant` "Battery: 418 Wh", `Price_Old`, `Stock_Track`/`Stock_Level`, `Category_1`/`Category_2`) and a Square
item library (`Reference Handle`, `Item Name`, `Variation Name`, `Option Name 1`/`Option Value 1`, `Online Sale
Price`, `Item Type`, `Current Quantity <location>`). A version whose stock is not tracked has stock None (not
stated), never 0; a Square export with several locations gives each version's stock per location too
(`stock_by_location`, location name to count; its `stock` is their sum); a Square appointment service with a
duration is a service row (`KIND`), and `unread` names the columns these formats leave unread, each with the
reason.

An Ecwid product export (`type`, `product_internal_id`, `product_sku`, `product_name`, ...) gives each product a
`product` row, then `product_option` rows (one per value of an option: `product_option_name`/`_value`, a price
`product_option_markup`) and `product_variation` rows (a combination of option values in the
`product_variation_option_<Option>` columns, with its own `product_variation_sku`, `product_price` and
`product_quantity`), each repeating its product's `product_internal_id` and `product_sku`. The variations are the
product's variants; options no variation combines (add-ons priced by their markup) have no place in the catalog and
`unread` names them once.
"""

import html
import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any, Literal

ShopFormat = Literal["shopify", "woocommerce", "grouped", "lightspeed", "square", "ecwid"]
POS_FORMATS = ("lightspeed", "square", "ecwid")
"""Formats read with every column accounted for (`unread`) and with rows of other kinds than products (`KIND`)."""

REJECTED = "_rejected"
SKIPPED = "_skipped"
KEY = "_key"
KIND = "_kind"
"""A row of a shop export that is no product: its kind ("services")."""
UNTRACKED = "_untracked"
"""A product whose export says its stock is not tracked: its stock is None (not stated), even over a stored one."""
VARIANT_COLUMNS = ("variant", "variant_name", "option", "option_value")
"""Columns of a plain CSV that name a row's version of its item ("English edition", "Table for 5-8")."""
DIFFERING_COLUMNS = ("size", "colour", "color", "edition", "format")
"""Columns of a plain CSV that name a version only where an item's rows differ in them (else they describe it)."""
OPTION_COLUMNS = VARIANT_COLUMNS + DIFFERING_COLUMNS
OPTIONS = 3
"""Shopify has three option columns; WooCommerce exports as many attributes as the shop uses (read up to 9)."""


def norm(column: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", column.strip().lower()).strip("_")


_ECWID_OWN = frozenset({"product_variation_sku", "product_option_name", "product_is_inventory_tracked"})
"""Columns only an Ecwid export has (with `type` and `product_name`, which a plain list may have too)."""


def detect(columns: Iterable[str]) -> ShopFormat | None:
    """Which shop exported a CSV, from its header row."""
    have = {norm(c) for c in columns if c}
    if {"type", "product_name"} <= have and have & {"product_internal_id", *_ECWID_OWN}:
        return "ecwid"
    if language(have) and {"internal_id", "internal_variant_id"} & have:
        return "lightspeed"
    if {"item_name", "variation_name"} <= have and {"reference_handle", "token"} & have:
        return "square"
    if {"handle", "title", "variant_price"} <= have:
        return "shopify"
    if {"type", "name", "parent", "regular_price"} <= have:
        return "woocommerce"
    if {"option1_value", "option_value_1"} & have and {"name", "title"} & have:
        return "grouped"
    return None


class _Text(HTMLParser):
    _BLOCK = frozenset("p br div li ul ol tr h1 h2 h3 h4 h5 h6 table section".split())

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(text: str | None) -> str:
    """A product description's HTML as plain text, a line per paragraph or list item."""
    if not text:
        return ""
    text = text.replace("\\n", "\n")
    if "<" not in text:
        return html.unescape(text).strip()
    parser = _Text()
    parser.feed(text)
    parser.close()
    lines = (re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def descriptions(*texts: str) -> str:
    """A product's descriptions (a shop's short one, then its long one) as one plain text, none said twice: the
    short one often holds the main selling text, so search and answers need both."""
    out: list[str] = []
    for text in (html_text(t) for t in texts):
        if not text:
            continue
        flat = " ".join(text.split()).casefold()
        if any(flat in " ".join(o.split()).casefold() for o in out):
            continue
        out = [o for o in out if " ".join(o.split()).casefold() not in flat]
        out.append(text)
    return "\n".join(out)


def _get(row: dict[str, Any], *names: str) -> str:
    for name in names:
        value = row.get(name)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def _category(*candidates: str) -> str:
    """The most specific part of a category path ("Electronics > Computers > Laptops" -> "Laptops")."""
    for c in candidates:
        if c:
            first = c.split(",")[0] if ">" in c or "," in c else c
            return first.split(">")[-1].strip()[:100]
    return ""


def _distinct(
    seen: dict[tuple[tuple[str, str], ...], int],
    options: list[tuple[str, str]],
    pos: int,
    name: str,
    sku: str,
    out: list[tuple[int, dict[str, Any]]],
) -> bool:
    """Whether a version's options are new to its product; a repeat is rejected, naming the line it repeats."""
    same = tuple((k.casefold(), v.casefold()) for k, v in options)
    if same in seen:
        reason = f"variant of {name!r} with the same options as line {seen[same]}: {dict(options)}"
        out.append((pos, {REJECTED: reason, KEY: sku or None}))
        return False
    seen[same] = pos
    return True


def _variant(
    pos: int,
    options: list[tuple[str, str]],
    sku: str,
    price: str,
    stock: str,
    regular: str = "",
    by_location: dict[str, int] | None = None,
) -> dict[str, Any]:
    return {
        "row": pos,
        "sku": sku or None,
        "options": options,
        "price": price or None,
        "stock": stock or None,
        "regular_price": regular or None,
        "stock_by_location": by_location,
    }


def read(
    rows: list[tuple[int, dict[str, Any]]], shop: ShopFormat, today: date | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """The rows of a shop export (columns as read, with their line numbers) as product rows with `variants`.

    `today` decides whether a WooCommerce sale price with dates applies (default: today)."""
    normed = [(pos, {norm(k): v for k, v in row.items() if k}) for pos, row in rows]
    if shop == "lightspeed":
        return _lightspeed(normed)
    if shop == "square":
        return _square(normed, {norm(k): k for k in rows[0][1] if k} if rows else {})
    if shop == "ecwid":
        return _ecwid(normed, {norm(k): k for k in rows[0][1] if k} if rows else {})
    return _woocommerce(normed, today or date.today()) if shop == "woocommerce" else _grouped(normed)


def _grouped(rows: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    """Shopify, and exports like it: a product's first row names it; the rows with its handle (or, in a file
    without handles, the rows after it with no name) add variants."""
    out: list[tuple[int, dict[str, Any]]] = []
    current: dict[str, Any] | None = None
    by_handle: dict[str, dict[str, Any]] = {}
    option_names: dict[int, list[str]] = {}
    for pos, row in rows:
        handle = _get(row, "handle", "product_id")
        name = _get(row, "title", "name")
        owner = by_handle.get(handle) if handle else None
        if owner is not None:
            current = owner  # a row of a product already read (a repeated title changes nothing)
        elif name:
            status = _get(row, "status").lower()
            current = {
                KEY: handle or _get(row, "variant_sku", "sku") or name,
                "sku": handle or _get(row, "variant_sku", "sku") or None,
                "name": name,
                "description": descriptions(
                    _get(row, "short_description"), _get(row, "body_html", "body", "description")
                ),
                "brand": _get(row, "vendor", "brand") or None,
                "category": _category(_get(row, "type", "category"), _get(row, "product_category")),
                "tags": _get(row, "tags") or None,
                "variants": [],
            }
            option_names[id(current)] = [
                _get(row, f"option{i}_name", f"option_name_{i}") for i in range(1, OPTIONS + 1)
            ]
            if handle:
                by_handle[handle] = current
            if status in ("draft", "archived"):
                out.append((pos, {SKIPPED: f"product {name!r} has status {status}: not for sale", KEY: current[KEY]}))
                current[SKIPPED] = status
                continue
            out.append((pos, current))
        elif handle or current is None:
            where = f"no product row with handle {handle!r} in the file" if handle else "no product row above it"
            out.append((pos, {REJECTED: f"name: missing ({where})", KEY: handle or _get(row, "variant_sku", "sku")}))
            continue
        if SKIPPED in current:
            if not name:
                out.append((pos, {SKIPPED: f"variant of {current['name']!r}, which has status {current[SKIPPED]}"}))
            continue
        values = [_get(row, f"option{i}_value", f"option_value_{i}") for i in range(1, OPTIONS + 1)]
        sku = _get(row, "variant_sku", "sku")
        price = _get(row, "variant_price", "price")
        # Shopify's "compare at" price is the one struck through: the regular price of a version on sale.
        regular = _get(row, "variant_compare_at_price", "compare_at_price")
        stock = _get(row, "variant_inventory_qty", "stock", "quantity", "qty")
        tracker = row.get("variant_inventory_tracker")
        if tracker is not None and not str(tracker).strip() and (price or sku or any(values)):
            # Shopify counts no stock of this version (a pass, a course, a gift card): its quantity, 0, says
            # nothing, and "out of stock" would be false
            stock = ""
            current[UNTRACKED] = True
        first = owner is None
        if first and not price:
            continue  # the product's own row in a file whose variant rows follow it (a row without a price)
        if not (any(values) or sku or price):
            what = "an image row" if _get(row, "image_src") else "a row with no option, SKU or price"
            out.append((pos, {SKIPPED: f"{what} of {current['name']!r}: nothing to import"}))
            continue
        names = option_names[id(current)]
        options = [(n or f"Option {i}", v) for i, (n, v) in enumerate(zip(names, values, strict=True), 1) if v]
        if options == [("Title", "Default Title")] or not options:
            if first:  # a product sold in one version: its SKU, price and stock are the product's
                current.update(
                    sku=current["sku"] or sku or None,
                    price=price or None,
                    stock=stock or None,
                    regular_price=regular or None,
                )
                continue
            out.append((pos, {REJECTED: f"variant of {current['name']!r} names no option value", KEY: sku or None}))
            continue
        current["variants"].append(_variant(pos, options, sku, price, stock, regular))
    return out


def _day(text: str) -> date | None:
    """A WooCommerce sale date ("2026-12-01", "2026-12-01 00:00:00", "2026-12-01T00:00:00"), or None."""
    try:
        return date.fromisoformat(text.strip()[:10]) if text.strip() else None
    except ValueError:
        return None


def _woo_price(row: dict[str, Any], today: date) -> tuple[str, str]:
    """What the customer pays now and, on sale, the regular price: the sale price applies from its start day to
    its end day included, when the export gives them."""
    sale, regular = _get(row, "sale_price"), _get(row, "regular_price")
    starts, ends = _day(_get(row, "date_sale_price_starts")), _day(_get(row, "date_sale_price_ends"))
    if sale and (starts is None or starts <= today) and (ends is None or today <= ends):
        return sale, regular
    return regular or sale, ""


def _woo_stock(row: dict[str, Any]) -> str:
    stock = _get(row, "stock")
    if stock:
        return stock
    in_stock = _get(row, "in_stock").lower()
    return "0" if in_stock in ("0", "no", "false", "outofstock") else ""


def _woo_options(row: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for i in range(1, 10):
        name, value = _get(row, f"attribute_{i}_name"), _get(row, f"attribute_{i}_value_s")
        if name and value:
            out.append((name, value))
    return out


def _woocommerce(rows: list[tuple[int, dict[str, Any]]], today: date) -> list[tuple[int, dict[str, Any]]]:
    """WooCommerce: `simple` and `variable` rows are products; `variation` rows point at theirs with `Parent`
    ("id:123" or the parent's SKU)."""
    out: list[tuple[int, dict[str, Any]]] = []
    parents: dict[str, dict[str, Any]] = {}
    for pos, row in rows:
        kinds = {k.strip() for k in _get(row, "type").lower().split(",")}
        if "variation" in kinds:
            continue
        price, regular = _woo_price(row, today)
        if kinds & {"grouped", "external"} and not price:
            out.append((pos, {SKIPPED: f"{_get(row, 'name')!r} is a {'/'.join(sorted(kinds))} product with no price"}))
            continue
        sku = _get(row, "sku")
        product = {
            KEY: sku or _get(row, "name"),
            "sku": sku or None,
            "name": _get(row, "name"),
            "description": descriptions(_get(row, "short_description"), _get(row, "description")),
            "brand": _get(row, "brands", "brand") or None,
            "category": _category(_get(row, "categories")),
            "tags": _get(row, "tags") or None,
            "variants": [],
        }
        if "variable" not in kinds:
            product.update(price=price or None, stock=_woo_stock(row) or None, regular_price=regular or None)
        if _get(row, "published") == "-1":
            out.append((pos, {SKIPPED: f"{product['name']!r} is a draft: not for sale", KEY: product[KEY]}))
            continue
        out.append((pos, product))
        if _get(row, "id"):
            parents[f"id:{_get(row, 'id')}"] = product
        if sku:
            parents[sku] = product
    for pos, row in rows:
        if "variation" not in _get(row, "type").lower():
            continue
        parent_ref = _get(row, "parent")
        product = parents.get(parent_ref) or parents.get(f"id:{parent_ref}")
        sku = _get(row, "sku")
        if product is None:
            reason = f"parent: no variable product {parent_ref!r} in the file" if parent_ref else "parent: missing"
            out.append((pos, {REJECTED: reason, KEY: sku or None}))
            continue
        options = _woo_options(row)
        if not options:
            out.append((pos, {REJECTED: f"variation of {product['name']!r} has no attribute value", KEY: sku or None}))
            continue
        price, regular = _woo_price(row, today)
        product["variants"].append(_variant(pos, options, sku, price, _woo_stock(row), regular))
    out.sort(key=lambda x: x[0])
    return out


def same_item(rows: list[tuple[int, dict[str, Any]]], key: str | None) -> list[list[tuple[int, dict[str, Any]]]]:
    """A plain CSV's rows of one item together, in the order the items first appear: rows with the same `key`
    value (a handle, a code) or, for rows without one, the same name; a row with neither stands alone."""
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for pos, row in rows:
        own = _get(row, key) if key else ""
        name = " ".join(_get(row, "name").casefold().split())
        groups.setdefault(f"key:{own}" if own else f"name:{name}" if name else f"row:{pos}", []).append((pos, row))
    return list(groups.values())


def option_columns(rows: Sequence[tuple[int, dict[str, Any]]], columns: Iterable[str]) -> list[str]:
    """The columns that name the versions among one item's rows: a variant column with a value in any of them,
    and a size, colour, edition or format that differs between them."""
    have = set(columns)
    named = [c for c in VARIANT_COLUMNS if c in have and any(_get(r, c) for _, r in rows)]
    differ = [c for c in DIFFERING_COLUMNS if c in have and len({_get(r, c).casefold() for _, r in rows}) > 1]
    return named + differ


def options_of(row: dict[str, Any], columns: list[str], written: dict[str, str]) -> list[tuple[str, str]]:
    """A row's option values under its file's column names: [("Variant", "English edition")]."""
    return [(written.get(c, c), _get(row, c)) for c in columns if _get(row, c)]


def _tags(rows: Sequence[tuple[int, dict[str, Any]]]) -> list[str] | None:
    """Every tag of an item's rows, once each, in order: a version's own tag ("français") finds the item too."""
    out: dict[str, str] = {}
    for _, row in rows:
        tags = row.get("tags")
        for tag in re.split(r"[;|,]", tags) if isinstance(tags, str) else tags or []:
            if str(tag).strip():
                out.setdefault(str(tag).strip().casefold(), str(tag).strip())
    return list(out.values()) or None


def first_text(rows: Sequence[tuple[int, dict[str, Any]]], column: str) -> str:
    """The first value an item's rows give in a column (a version's row may leave the item's name out)."""
    return next((_get(r, column) for _, r in rows if _get(r, column)), "")


def texts(values: Iterable[str]) -> str:
    """An item's descriptions from its rows, each said once."""
    out: dict[str, str] = {}
    for text in values:
        if text:
            out.setdefault(" ".join(text.split()).casefold(), text)
    return "\n".join(out.values())


def plain_products(
    rows: list[tuple[int, dict[str, Any]]], written: dict[str, str], key: str | None
) -> tuple[list[tuple[int, dict[str, Any]]], set[str]]:
    """A plain CSV's product rows (under the importer's column names) with the rows of one product that name its
    versions made one product with `variants`, as `_grouped` makes them from a shop export; other rows as they
    are. `written` maps the file's option columns to its own spelling of them (the options' names); `key` is
    the column that keys a product (the handle), if the file has one. Returns the rows and the option columns
    read.

    A product's key is its handle; without one, the SKU of a product in one version, else its name's slug (its
    versions' SKUs are theirs: the first one's would change when the rows are reordered)."""
    out: list[tuple[int, dict[str, Any]]] = []
    read: set[str] = set()
    for group in same_item(rows, key):
        columns = option_columns(group, written)
        if not columns:
            out.extend(group)  # one version, or the same row twice: each row as it is, as before
            continue
        read.update(columns)
        first_pos, first = group[0]
        name = first_text(group, "name")
        handle = _get(first, key) if key else ""
        product: dict[str, Any] = {
            KEY: handle or name,
            "sku": handle or (_get(first, "sku") if len(group) == 1 else "") or None,
            "name": name or None,
            "description": texts(_get(r, "description") for _, r in group) or None,
            "category": first_text(group, "category") or None,
            "brand": first_text(group, "brand") or None,
            "model_number": first_text(group, "model_number") or None,
            "currency": first_text(group, "currency") or None,
            "tags": _tags(group),
            "variants": [],
        }
        seen: dict[tuple[tuple[str, str], ...], int] = {}
        for pos, row in group:
            options = options_of(row, columns, written)
            sku = _get(row, "sku")
            if not options:
                if pos != first_pos:
                    reason = f"variant of {name!r} names no option value ({', '.join(written[c] for c in columns)})"
                    out.append((pos, {REJECTED: reason, KEY: sku or None}))
                # else: the product's own row, its versions on the rows that follow
                continue
            if not _distinct(seen, options, pos, name, sku, out):
                continue
            variant = _variant(pos, options, sku, _get(row, "price"), _get(row, "stock"), _get(row, "regular_price"))
            product["variants"].append({**variant, "currency": _get(row, "currency") or None})
        out.append((first_pos, product))
    out.sort(key=lambda x: x[0])
    return out, read


# Point-of-sale and web-shop exports with one row per version, each repeating its product's fields.

_NO = frozenset({"n", "no", "0", "false", "hidden", "invisible"})
_YES = frozenset({"y", "yes", "1", "true"})
_DEFAULT_VERSIONS = frozenset({"", "default", "default variant", "regular"})
"""What a shop names the one version of a product sold in one (Lightspeed "Default", Square "Regular")."""
_TITLE = re.compile(r"([a-z]{2})_title_short")


def language(columns: Iterable[str]) -> str | None:
    """The language prefix of a Lightspeed export's texts ("en" of `EN_Title_Short`): English when the export
    has it, else the first language its columns give."""
    found = [m[1] for c in columns if (m := _TITLE.fullmatch(norm(c)))]
    return "en" if "en" in found else found[0] if found else None


def _items(rows: list[tuple[int, dict[str, Any]]], *keys: str) -> list[list[tuple[int, dict[str, Any]]]]:
    """An export's rows of one product together, in the order the products first appear: the first of `keys`
    a row has (an id, a handle, a name) says which product it is."""
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for pos, row in rows:
        own = next(((k, _get(row, k)) for k in keys if _get(row, k)), None)
        groups.setdefault(f"{own[0]}:{own[1].casefold()}" if own else f"row:{pos}", []).append((pos, row))
    return list(groups.values())


def _count(*values: str) -> tuple[str, bool]:
    """A version's stock from its stock column(s) (one per location: summed), and whether any was given. A
    negative count (sold more than was counted) is none left; a value that is no number is passed on to be
    reported."""
    total, given = 0, False
    for value in values:
        if not value:
            continue
        if not re.fullmatch(r"-?\d+(?:\.0+)?", value):
            return value, True
        total += max(0, int(float(value)))
        given = True
    return (str(total) if given else ""), given


Version = tuple[int, list[tuple[str, str]], str, str, str, str, dict[str, int] | None]
"""A version of a till's product: (line, options, SKU, price, regular price, stock, stock per location or None)."""


def _versions(product: dict[str, Any], versions: list[Version], out: list[tuple[int, dict[str, Any]]]) -> None:
    """A product's versions (`Version`): a product in one version without options takes its price and stock
    (and its stock per location); otherwise each version with options is a variant, and one without (or with the
    same options as another) is reported on its line."""
    name = product.get("name")
    if len(versions) == 1 and not versions[0][1]:
        _, _, sku, price, regular, stock, by_location = versions[0]
        product.update(sku=product["sku"] or sku or None, price=price or None, stock=stock or None)
        product.update(regular_price=regular or None, stock_by_location=by_location)
        return
    seen: dict[tuple[tuple[str, str], ...], int] = {}
    for pos, options, sku, price, regular, stock, by_location in versions:
        if not options:
            out.append((pos, {REJECTED: f"variant of {name!r} names no option value", KEY: sku or None}))
            continue
        if _distinct(seen, options, pos, name, sku, out):
            product["variants"].append(_variant(pos, options, sku, price, stock, regular, by_location))


def _hidden(
    group: list[tuple[int, dict[str, Any]]], key: str, name: str, why: str, out: list[tuple[int, dict[str, Any]]]
) -> None:
    """Every row of a product not for sale, skipped with the reason (its first row's names the product)."""
    for i, (pos, _) in enumerate(group):
        reason = f"{name!r} {why}: not for sale" if i == 0 else f"variant of {name!r}, which {why}"
        out.append((pos, {SKIPPED: reason, KEY: key or None}))


def _lightspeed_options(text: str) -> list[tuple[str, str]]:
    """A Lightspeed variant title as options: "Battery: 418 Wh" -> [("Battery", "418 Wh")]; "Size: M, Colour: Red"
    -> two; a title without a name ("Red") -> [("Variant", "Red")]; "Default" -> none."""
    text = text.strip().strip('"').strip()
    if text.casefold() in _DEFAULT_VERSIONS:
        return []
    parts = [p.strip().strip('"').strip() for p in text.split(",")]
    if len(parts) > 1 and all(":" in p for p in parts):
        pairs = [p.split(":", 1) for p in parts]
    elif ":" in text:
        pairs = [text.split(":", 1)]
    else:
        return [("Variant", text)]
    return [(k.strip() or "Variant", v.strip()) for k, v in pairs if v.strip()]


def _lightspeed(rows: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    """Lightspeed eCom: one row per variant, each repeating its product's fields; a product is its `Internal_ID`
    (else its URL), keyed by its URL (its handle) as a Shopify product is. Texts are read in one language."""
    out: list[tuple[int, dict[str, Any]]] = []
    lang = language(rows[0][1]) if rows else None
    t = f"{lang}_"
    for group in _items(rows, "internal_id", f"{t}url", f"{t}title_short"):
        first_pos, first = group[0]
        handle = _get(first, f"{t}url").strip("/")
        name = first_text(group, f"{t}title_short")
        if _get(first, "visible").lower() in _NO:
            _hidden(group, handle or name, name, "is not visible in the shop", out)
            continue
        longer = first_text(group, f"{t}title_long")
        levels = sorted((int(k.rsplit("_", 1)[1]), k) for k in first if re.fullmatch(r"category_\d+", k))
        categories = [_get(first, k) for _, k in levels]
        product: dict[str, Any] = {
            KEY: handle or name,
            "sku": handle or None,
            "name": name or None,
            "description": descriptions(
                longer if longer.casefold() != name.casefold() else "",
                _get(first, f"{t}description_short"),
                _get(first, f"{t}description_long"),
            ),
            "brand": _get(first, "brand") or None,
            "category": next((c for c in reversed(categories) if c), "")[:100] or None,
            "stock": None,
            "variants": [],
        }
        versions: list[Version] = []
        for pos, row in group:
            untracked = _get(row, "stock_track").lower() in _NO
            stock, _ = ("", False) if untracked else _count(_get(row, "stock_level"))
            if untracked:
                product[UNTRACKED] = True
            options = _lightspeed_options(_get(row, f"{t}variant"))
            sku = _get(row, "sku", "article_code")
            versions.append((pos, options, sku, _get(row, "price"), _get(row, "price_old"), stock, None))
        _versions(product, versions, out)
        out.append((first_pos, product))
    out.sort(key=lambda x: x[0])
    return out


def _minutes(row: dict[str, Any]) -> str:
    """A service's duration from any column that gives one ("Service Duration", "Duration (mins)", "Duration
    (hours)": a bare number in hours is read as hours)."""
    for column, value in row.items():
        text = str(value or "").strip()
        if "duration" in column and text:
            return f"{text} h" if "hour" in column and re.fullmatch(r"\d+(?:[.,]\d+)?", text) else text
    return ""


def _square_options(row: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for i in range(1, 10):
        name, value = _get(row, f"option_name_{i}"), _get(row, f"option_value_{i}")
        if value:
            out.append((name or f"Option {i}", value))
    return out


_QUANTITY = re.compile(r"current[\s_]*quantity[\s_]*[-:]?\s*(.*)", re.I | re.S)
"""A Square stock column and its location: "Current Quantity Peakwax Frisco"."""
_WHOLE = re.compile(r"-?\d+(?:\.0+)?")


def _locations(quantities: list[str], written: dict[str, str]) -> dict[str, str]:
    """Square's stock columns (normalised) with the location each counts, as the header names it ("Current
    Quantity Peakwax Frisco" -> "Peakwax Frisco"); none when the export has fewer than two locations (its one
    count is the shop's)."""
    out: dict[str, str] = {}
    for column in quantities:
        m = _QUANTITY.fullmatch(written.get(column, column).strip())
        name = " ".join(m[1].split()) if m else ""
        if name:
            out[column] = name
    return out if len(set(out.values())) > 1 else {}


def _by_location(row: dict[str, Any], locations: dict[str, str]) -> dict[str, int] | None:
    """A version's stock at each location that counts it (below zero: none left), in the export's order; None
    when no location counts it, or a count is no number (the stock is then reported)."""
    out: dict[str, int] = {}
    for column, name in locations.items():
        value = _get(row, column)
        if not value:
            continue
        if not _WHOLE.fullmatch(value):
            return None
        out[name] = out.get(name, 0) + max(0, int(float(value)))
    return out or None


def _square(rows: list[tuple[int, dict[str, Any]]], written: dict[str, str]) -> list[tuple[int, dict[str, Any]]]:
    """Square's item library: one row per variation, each repeating its item's fields; an item is its `Reference
    Handle` (else its name), keyed by the handle without its "#". An `Appointments Service` item with a duration
    is a service (its variations its options); without one it stays a product, its stock not stated. A seller
    with several locations has a `Current Quantity <location>` column for each: a version's stock is their sum,
    and its stock per location is kept too. `written` maps the export's columns (normalised) to its header's
    spelling, which names the locations."""
    out: list[tuple[int, dict[str, Any]]] = []
    quantities = list(dict.fromkeys(k for _, r in rows for k in r if k.startswith("current_quantity")))
    locations = _locations(quantities, written)
    for group in _items(rows, "reference_handle", "item_name"):
        first_pos, first = group[0]
        handle = _get(first, "reference_handle").lstrip("#").strip()
        name = first_text(group, "item_name")
        if _get(first, "archived").lower() in _YES:
            _hidden(group, handle or name, name, "is archived", out)
            continue
        description = descriptions(_get(first, "description"))
        several = len(group) > 1
        versions: list[Version] = []
        for pos, row in group:
            options = _square_options(row)
            variation = _get(row, "variation_name")
            if not options and several and variation:
                options = [("Variation", variation)]
            price, sale = _get(row, "price"), _get(row, "online_sale_price")
            stock, _ = _count(*(_get(row, k) for k in quantities))
            by_location = _by_location(row, locations)
            versions.append((pos, options, _get(row, "sku"), sale or price, price if sale else "", stock, by_location))
        duration = first_text([(p, {"d": _minutes(r)}) for p, r in group], "d")
        if "service" in _get(first, "item_type").lower() and duration:
            service: dict[str, Any] = {
                KIND: "services",
                KEY: handle or name,
                "code": handle or None,
                "name": name or None,
                "description": description or None,
                "duration_minutes": duration,
                "price": versions[0][3] or None,
            }
            if several:
                service["options"] = [
                    {"row": pos, "label": ", ".join(v for _, v in options) or _get(row, "variation_name"), "price": p}
                    | {"duration_minutes": _minutes(row) or None}
                    for (pos, options, _, p, _, _, _), (_, row) in zip(versions, group, strict=True)
                ]
            out.append((first_pos, service))
            continue
        product: dict[str, Any] = {
            KEY: handle or name,
            "sku": handle or None,
            "name": name or None,
            "description": description,
            "category": _category(_get(first, "categories", "category", "reporting_category")) or None,
            "stock": None,
            "variants": [],
        }
        if not any(v[5] for v in versions):
            product[UNTRACKED] = True  # no count at any location: a service, or an item Square does not count
        _versions(product, versions, out)
        out.append((first_pos, product))
    out.sort(key=lambda x: x[0])
    return out


# Ecwid: a product's row, then the rows of its options and of its variations.

_ECWID_CHOICE = "product_variation_option_"
"""The start of the columns of a variation's option values (`product_variation_option_Colour`)."""
_ECWID_ENABLED = ("product_is_available", "product_is_enabled", "product_enabled")
"""Whether Ecwid shows a product in the shop (disabled: not for sale)."""
_ECWID_ROWS = ("product_option", "product_variation")


class _EcwidProduct:
    """A product row of an Ecwid export with the option and variation rows that belong to it."""

    def __init__(self, pos: int, row: dict[str, Any]) -> None:
        self.pos, self.row = pos, row
        self.name = _get(row, "product_name")
        self.key = _get(row, "product_sku") or self.name
        self.options: list[tuple[int, dict[str, Any]]] = []
        self.variations: list[tuple[int, dict[str, Any]]] = []

    @property
    def disabled(self) -> bool:
        return _get(self.row, *_ECWID_ENABLED).lower() in _NO

    def named(self) -> dict[str, str]:
        """Its options' names, normalised to as written, in the order its option rows give them."""
        out: dict[str, str] = {}
        for _, r in self.options:
            if name := _get(r, "product_option_name"):
                out.setdefault(norm(name), name)
        return out

    def choices(self, written: dict[str, str]) -> list[tuple[str, str]]:
        """The columns of its variations' option values, each with its option's name as its option rows spell it
        (else as the header does: `product_variation_option_Lens index` -> "Lens index"), in its options' order."""
        named = self.named()
        order = list(named)
        out = []
        for column in (k for k in self.variations[0][1] if k.startswith(_ECWID_CHOICE)) if self.variations else ():
            own = column[len(_ECWID_CHOICE) :]
            out.append((column, named.get(own) or written.get(column, column)[len(_ECWID_CHOICE) :].strip() or own))
        return sorted(out, key=lambda c: order.index(norm(c[1])) if norm(c[1]) in order else len(order))

    def add_ons(self) -> list[str]:
        """The names of its options no variation combines (add-ons, priced by their markup)."""
        chosen = {
            k[len(_ECWID_CHOICE) :] for _, r in self.variations for k in r if k.startswith(_ECWID_CHOICE) and _get(r, k)
        }
        return [name for own, name in self.named().items() if own not in chosen]


def _ecwid_rows(rows: list[tuple[int, dict[str, Any]]]) -> tuple[list[_EcwidProduct], list[tuple[int, dict[str, Any]]]]:
    """An Ecwid export's products, each with its option and variation rows, and the rows that are no product's
    (rejected or skipped, with the reason). An option or variation row is its product's by the
    `product_internal_id` it repeats, else its `product_sku`, else (a file that gives neither) the product above it."""
    products: list[_EcwidProduct] = []
    by_id: dict[str, _EcwidProduct] = {}
    by_sku: dict[str, _EcwidProduct] = {}
    members: list[tuple[int, dict[str, Any], str, _EcwidProduct | None]] = []
    out: list[tuple[int, dict[str, Any]]] = []
    for pos, row in rows:
        kind = _get(row, "type").lower() or ("product" if _get(row, "product_name") else "")
        if kind == "product":
            product = _EcwidProduct(pos, row)
            products.append(product)
            if own := _get(row, "product_internal_id"):
                by_id.setdefault(own, product)
            if sku := _get(row, "product_sku"):
                by_sku.setdefault(sku, product)
        elif kind in _ECWID_ROWS:
            members.append((pos, row, kind, products[-1] if products else None))
        elif kind == "category":
            out.append((pos, {SKIPPED: f"category {_get(row, 'category_path')!r}: nothing to import"}))
        else:
            reason = f"type: {_get(row, 'type')!r} is no row type of an Ecwid export" if kind else "type: missing"
            out.append((pos, {REJECTED: reason, KEY: _get(row, "product_sku") or None}))
    for pos, row, kind, above in members:
        own, sku = _get(row, "product_internal_id"), _get(row, "product_sku")
        owner = (by_id.get(own) if own else None) or (by_sku.get(sku) if sku else None)
        if owner is None and not (own or sku):
            owner = above
        if owner is None:
            where = (
                f"product_internal_id {own!r}" if own else f"product_sku {sku!r}" if sku else "no product row above it"
            )
            what = "option" if kind == "product_option" else "variation"
            reason = f"{what} of no product: {'no product row with ' if own or sku else ''}{where} in the file"
            out.append((pos, {REJECTED: reason, KEY: _get(row, "product_variation_sku", "product_sku") or None}))
            continue
        (owner.options if kind == "product_option" else owner.variations).append((pos, row))
    return products, out


_MARKUP = re.compile(r"([+-]?\d+(?:\.\d+)?)\s*(%?)")


def _ecwid_price(product: _EcwidProduct, row: dict[str, Any], options: list[tuple[str, str]]) -> str:
    """A variation's price: its own, else (Ecwid's default) its product's price plus its options' markups."""
    own = _get(row, "product_price")
    base = _get(product.row, "product_price")
    if own or not base:
        return own
    try:
        price = Decimal(base)
    except InvalidOperation:
        return base
    chosen = {(norm(n), v.casefold()) for n, v in options}
    for _, r in product.options:
        markup = _MARKUP.fullmatch(_get(r, "product_option_markup"))
        if markup and (norm(_get(r, "product_option_name")), _get(r, "product_option_value").casefold()) in chosen:
            step = Decimal(markup[1])
            price += Decimal(base) * step / 100 if markup[2] else step
    return str(price.quantize(Decimal("0.01")))


def _ecwid(rows: list[tuple[int, dict[str, Any]]], written: dict[str, str]) -> list[tuple[int, dict[str, Any]]]:
    """Ecwid: a product's `product` row, then its option and variation rows; a product is keyed by its
    `product_sku` (else its name), each variation a variant with its own SKU, price and stock. A disabled
    product (`product_is_available` false) is skipped with its rows; stock not tracked is not stated. `written`
    maps the export's columns (normalised) to its header's spelling, which names the variations' options."""
    products, out = _ecwid_rows(rows)
    for product in products:
        row, name = product.row, product.name
        if product.disabled:
            out.append((product.pos, {SKIPPED: f"{name!r} is disabled in the shop: not for sale", KEY: product.key}))
            for pos, _ in product.options:
                out.append((pos, {SKIPPED: f"option of {name!r}, which is disabled in the shop"}))
            for pos, r in product.variations:
                reason = f"variant of {name!r}, which is disabled in the shop"
                out.append((pos, {SKIPPED: reason, KEY: _get(r, "product_variation_sku") or None}))
            continue
        levels = sorted(
            (int(k.rsplit("_", 1)[1]), k) for k in row if re.fullmatch(r"product_category_\d+", k) and _get(row, k)
        )
        category = _get(row, levels[0][1]).rsplit("/", 1)[-1].strip()[:100] if levels else ""
        sku = _get(row, "product_sku")
        item: dict[str, Any] = {
            KEY: product.key,
            "sku": sku or None,
            "name": name or None,
            "description": descriptions(_get(row, "product_subtitle"), _get(row, "product_description")),
            "brand": _get(row, "product_brand") or None,
            "category": category or None,
            # the product's own price, unless its variations give theirs (then its price is their lowest)
            "price": _get(row, "product_price") or None,
            "regular_price": _get(row, "product_compare_to_price") or None,
            "stock": None,
            "variants": [],
        }
        tracked = _get(row, "product_is_inventory_tracked").lower()
        regular = _get(row, "product_compare_to_price")
        if not product.variations:
            stock, _ = ("", False) if tracked in _NO else _count(_get(row, "product_quantity"))
            item["stock"] = stock or None
            if tracked in _NO:
                item[UNTRACKED] = True
            out.append((product.pos, item))
            continue
        choices = product.choices(written)
        seen: dict[tuple[tuple[str, str], ...], int] = {}
        for pos, r in product.variations:
            options = [(label, _get(r, column)) for column, label in choices if _get(r, column)]
            own_sku = _get(r, "product_variation_sku")
            if not options:
                out.append((pos, {REJECTED: f"variant of {name!r} names no option value", KEY: own_sku or None}))
                continue
            if not _distinct(seen, options, pos, name, own_sku, out):
                continue
            untracked = (_get(r, "product_is_inventory_tracked").lower() or tracked) in _NO
            stock, _ = ("", False) if untracked else _count(_get(r, "product_quantity"))
            if untracked:
                item[UNTRACKED] = True
            price = _ecwid_price(product, r, options)
            was = _get(r, "product_compare_to_price") or regular
            item["variants"].append(_variant(pos, options, own_sku, price, stock, was))
        out.append((product.pos, item))
    out.sort(key=lambda x: x[0])
    return out


def unread(columns: Sequence[str], shop: ShopFormat, rows: list[tuple[int, dict[str, Any]]]) -> list[tuple[str, str]]:
    """The columns of a Shopify, Lightspeed, Square or Ecwid export the import does not store, as (column, reason);
    `rows` are the file's rows as read."""
    normed = [(c, norm(c)) for c in columns if c and c.strip()]
    have = {n for _, n in normed}
    table = [{norm(k): v for k, v in r.items() if k} for _, r in rows]

    def both(a: str, b: str) -> bool:
        """Whether a row gives both columns (so the second is not read there)."""
        return any(_get(r, a) and _get(r, b) for r in table)

    out: list[tuple[str, str]] = []
    if shop == "shopify":
        for column, n in normed:
            if re.fullmatch(r"option\d_(name|value)", n) or n in _SHOPIFY_READ:
                continue
            if n == "product_category":
                if both("type", "product_category"):
                    out.append((column, "read only where Type is empty: a product's Type is its category"))
            elif n == "image_src":
                out.append((column, "not read: the catalog keeps no images (a row with only an image is skipped)"))
            else:
                out.append((column, _why_unread(n, None)))
        return out
    if shop == "ecwid":
        return _ecwid_unread(normed, [(pos, t) for (pos, _), t in zip(rows, table, strict=True)])
    if shop == "lightspeed":
        lang = language([n for _, n in normed]) or "en"  # in the header's order, as the rows are read
        read = {"internal_id", "visible", "brand", "price", "price_old", "stock_track", "stock_level", "sku"}
        read |= {f"{lang}_{k}" for k in ("title_short", "title_long", "description_short", "description_long")}
        read |= {f"{lang}_url", f"{lang}_variant"}
        levels = [n for _, n in sorted((int(n.rsplit("_", 1)[1]), n) for n in have if re.fullmatch(r"category_\d+", n))]
        for column, n in normed:
            if n in levels:
                if any(both(n, later) for later in levels[levels.index(n) + 1 :]):
                    out.append((column, "read only where a later category column is empty: the most specific is kept"))
            elif n == "article_code":
                if both("sku", "article_code"):
                    out.append((column, "read only where SKU is empty: column 'SKU' gives a variant's SKU"))
            elif n not in read:
                out.append((column, _why_unread(n, lang)))
        return out
    read = {"reference_handle", "item_name", "variation_name", "sku", "description", "categories", "category"}
    read |= {"item_type", "price", "online_sale_price", "archived"}
    for column, n in normed:
        if re.fullmatch(r"option_(name|value)_\d+", n) or n.startswith("current_quantity") or "duration" in n:
            continue
        if n == "reporting_category":
            if both("categories", "reporting_category") or both("category", "reporting_category"):
                out.append((column, "read only where Categories is empty"))
        elif n == "item_type":
            services = any("service" in _get(r, "item_type").lower() and not _minutes(r) for r in table)
            if services:
                why = (
                    "its services without a duration are products with stock not stated (a service needs its duration)"
                )
                out.append((column, f"read in part: {why}"))
        elif n.startswith("price_"):
            out.append((column, "not read: column 'Price' gives the price"))
        elif n not in read:
            out.append((column, _why_unread(n, None)))
    return out


_SHOPIFY_READ = frozenset(
    {"handle", "title", "body_html", "vendor", "type", "tags", "status", "variant_sku", "variant_price"}
    | {"variant_compare_at_price", "variant_inventory_qty", "variant_inventory_tracker"}
)
_ECWID_READ = frozenset(
    {"type", "product_internal_id", "product_sku", "product_name", "product_subtitle", "product_description"}
    | {"product_brand", "product_price", "product_compare_to_price", "product_is_inventory_tracked"}
    | {"product_quantity", "product_variation_sku", "product_option_value", *_ECWID_ENABLED}
)
_LISTED = 5
"""How many products a reason names before it counts the rest."""


def _ecwid_unread(normed: list[tuple[str, str]], rows: list[tuple[int, dict[str, Any]]]) -> list[tuple[str, str]]:
    """The columns of an Ecwid export the import does not store, as (column, reason); its add-on options (options
    no variation combines) are named once, on `product_option_name`."""
    products, _ = _ecwid_rows(rows)
    kept = [p for p in products if not p.disabled]
    levels = sorted((int(n.rsplit("_", 1)[1]), n) for _, n in normed if re.fullmatch(r"product_category_\d+", n))
    out: list[tuple[str, str]] = []
    for column, n in normed:
        if n.startswith(_ECWID_CHOICE) or n in _ECWID_READ:
            continue
        if n in (k for _, k in levels):
            earlier = [k for _, k in levels[: [k for _, k in levels].index(n)]]
            if any(_get(p.row, n) and any(_get(p.row, k) for k in earlier) for p in kept):
                out.append(
                    (column, "read only where an earlier category column is empty: a product's first category is kept")
                )
        elif n == "product_option_name":
            add_ons = [(p.name, names) for p in kept if (names := p.add_ons())]
            if add_ons:
                named = [f"{name!r} ({', '.join(names)})" for name, names in add_ons[:_LISTED]]
                more = f" and {len(add_ons) - _LISTED} more" if len(add_ons) > _LISTED else ""
                out.append(
                    (
                        column,
                        "read in part: options no variation combines (add-ons, priced by their markup) are not read, "
                        f"the catalog has no place for them: {', '.join(named)}{more}",
                    )
                )
        elif n == "product_option_markup":
            priced = [
                p
                for p in kept
                for _, r in p.variations
                if not _get(r, "product_price") and _get(p.row, "product_price")
            ]
            if priced:
                out.append((column, "read only for a variation without a price: its product's price plus its markups"))
            elif any(
                (m := _MARKUP.fullmatch(_get(r, "product_option_markup"))) and Decimal(m[1])
                for p in kept
                for _, r in p.options
            ):
                out.append((column, "not read: each variation gives its own price"))
        else:
            out.append((column, _why_unread(n, None)))
    return out


def _why_unread(column: str, lang: str | None) -> str:
    if "cost" in column:
        return "not read: a cost price is never shown to customers"
    other = re.fullmatch(r"([a-z]{2})_(title_short|title_long|description_short|description_long|url|variant)", column)
    if lang and other and other[1] != lang:
        return f"not read: the {lang.upper()} texts are read"
    return "not read: the catalog has no place for it"
