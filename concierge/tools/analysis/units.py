"""Quantities and the attributes customers ask about, whatever spelling either side uses.

A manual says "Capacity: 40 liters", a customer asks "how many litres does it hold?"; a spec says "Weight: 17 lbs",
the question says "how heavy" or "in kg". This module knows the common units with their spellings and
conversions, and the everyday attributes of products with the words that ask for them. It is general English
shop vocabulary, the same for every tenant; the tenant's own words come from its catalog.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from concierge.tools.analysis.text import stems

# unit -> (dimension, factor to the dimension's base unit); temperature is converted apart.
UNITS: dict[str, tuple[str, float]] = {
    "kg": ("mass", 1.0),
    "g": ("mass", 0.001),
    "lb": ("mass", 0.45359237),
    "oz": ("mass", 0.028349523),
    "l": ("volume", 1.0),
    "ml": ("volume", 0.001),
    "gal": ("volume", 3.785411784),
    "fl oz": ("volume", 0.0295735),
    "cm": ("length", 1.0),
    "mm": ("length", 0.1),
    "m": ("length", 100.0),
    "in": ("length", 2.54),
    "ft": ("length", 30.48),
    "°f": ("temperature", 1.0),
    "°c": ("temperature", 1.0),
    "min": ("time", 1.0),
    "h": ("time", 60.0),
    "mah": ("charge", 1.0),
    "w": ("power", 1.0),
    "km": ("length", 100000.0),
    "mi": ("length", 160934.4),
    "qt": ("volume", 0.946353),
    "cup": ("volume", 0.2365882365),
    "s": ("time", 1 / 60),
    "day": ("time", 1440.0),
    "week": ("time", 10080.0),
    "month": ("time", 43830.0),
    "year": ("time", 525960.0),
    "ah": ("charge", 1000.0),
    "kw": ("power", 1000.0),
    "v": ("voltage", 1.0),
    "wh": ("energy", 1.0),
    "kwh": ("energy", 1000.0),
    "nm": ("torque", 1.0),
    "db": ("loudness", 1.0),
    "rpm": ("rate", 1.0),
    "/min": ("rate", 1.0),  # "1,100 stitches per minute": how fast, in things per minute (`_RATE`)
    "/s": ("rate", 60.0),
    "/h": ("rate", 1 / 60),
    "psi": ("pressure", 1.0),
    "ma": ("current", 0.001),
    "a": ("current", 1.0),
    "bar": ("pressure", 14.5038),
    "lm": ("light", 1.0),
    "gpm": ("flow", 3.785411784),
    "l/min": ("flow", 1.0),
}
SPELLINGS: dict[str, tuple[str, ...]] = {
    "kg": ("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms", "kilogramme", "kilogrammes"),
    "g": ("g", "gr", "gram", "grams", "gramme", "grammes"),
    "lb": ("lb", "lbs", "pound", "pounds"),
    "oz": ("oz", "ounce", "ounces"),
    "fl oz": ("fl oz", "fl. oz", "fluid ounce", "fluid ounces"),
    "l": ("l", "ltr", "liter", "liters", "litre", "litres"),
    "ml": ("ml", "milliliter", "milliliters", "millilitre", "millilitres"),
    "gal": ("gal", "gallon", "gallons"),
    "cm": ("cm", "centimeter", "centimeters", "centimetre", "centimetres"),
    "mm": ("mm", "millimeter", "millimeters", "millimetre", "millimetres"),
    "m": ("m", "meter", "meters", "metre", "metres"),
    "in": ("in", "inch", "inches", '"', "''"),
    "ft": ("ft", "foot", "feet", "'"),
    "°f": ("°f", "ºf", "° f", "f", "degrees f", "degrees fahrenheit", "fahrenheit", "deg f"),
    "°c": ("°c", "ºc", "° c", "c", "degrees c", "degrees celsius", "celsius", "centigrade", "deg c"),
    "min": ("min", "mins", "minute", "minutes"),
    "h": ("h", "hr", "hrs", "hour", "hours"),
    "mah": ("mah",),
    "w": ("w", "watt", "watts"),
    "km": ("km", "kms", "kilometer", "kilometers", "kilometre", "kilometres"),
    "mi": ("mi", "mile", "miles"),
    "qt": ("qt", "quart", "quarts"),
    "cup": ("cup", "cups"),
    "s": ("s", "sec", "secs", "second", "seconds"),
    "day": ("day", "days"),
    "week": ("week", "weeks", "wk", "wks"),
    "month": ("month", "months"),
    "year": ("year", "years", "yr", "yrs"),
    "ah": ("ah", "amp hour", "amp hours", "amp-hour", "amp-hours", "ampere hours"),
    "kw": ("kw", "kilowatt", "kilowatts"),
    "v": ("v", "volt", "volts"),
    "wh": ("wh", "watt hour", "watt hours", "watt-hour", "watt-hours"),
    "kwh": ("kwh", "kilowatt hour", "kilowatt hours"),
    "nm": ("nm", "n·m", "newton metre", "newton metres", "newton meter", "newton meters"),
    "db": ("db", "dba", "db(a)", "decibel", "decibels"),
    "rpm": ("rpm", "revolutions per minute"),
    "psi": ("psi",),
    "ma": ("ma", "milliamp", "milliamps", "milliampere", "milliamperes"),
    "a": ("amp", "amps", "ampere", "amperes"),
    "bar": ("bar", "bars"),
    "lm": ("lm", "lumen", "lumens"),
    "gpm": ("gpm", "gallons per minute", "gallon per minute"),
    "l/min": ("l/min", "liters per minute", "litres per minute", "lpm"),
}
_SPELLING_TO_UNIT = {s: unit for unit, spellings in SPELLINGS.items() for s in spellings}
UNIT_STEMS = frozenset(stems(" ".join(s for s in _SPELLING_TO_UNIT if len(s) >= 2 and s.replace(" ", "").isalpha())))
"""Stems of unit names ("litr", "pound", "ounc"): words that ask for a figure in that unit."""
_ALTERNATION = "|".join(re.escape(s) for s in sorted(_SPELLING_TO_UNIT, key=len, reverse=True))
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_QUANTITY = re.compile(
    rf"(-?\d{{1,3}}(?:,\d{{3}})+(?![\d.])|-?\d+(?:[.,]\d+)?)\s?(?:-\s?)?"
    rf"(?:(?:business|working|calendar|school|full|whole)\s+(?=(?:days?|weeks?|hours?)\b))?"
    rf"({_ALTERNATION})(?![a-z0-9])(?!/[a-z])",
    re.I,
)
"""A number and its unit ("7 to 10 business days" counts days); "200 km/h" is no length (a rate's unit is no unit
this module measures in)."""
_BARE_F = {"f", "c", "'", '"', "in", "m", "g", "l", "h", "w", "s", "v", "bar", "bars", "mi", "nm", "ah", "sec", "amp"}
"""Spellings that are ordinary letters or words on their own ("which amp?" is an amplifier): only units right after
a number."""


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str
    """Canonical unit: a key of `UNITS`."""
    text: str

    @property
    def dimension(self) -> str:
        return UNITS[self.unit][0]

    def to(self, unit: str) -> float | None:
        """This quantity in another unit of the same dimension, or None."""
        if unit not in UNITS or UNITS[unit][0] != self.dimension:
            return None
        if self.dimension == "temperature":
            if unit == self.unit:
                return self.value
            return (self.value - 32) * 5 / 9 if self.unit == "°f" else self.value * 9 / 5 + 32
        return self.value * UNITS[self.unit][1] / UNITS[unit][1]

    @property
    def base(self) -> float:
        """The value in the dimension's base unit (kg, l, cm, °C, minutes), for comparisons."""
        if self.dimension == "temperature":
            return self.to("°c") or 0.0
        return self.value * UNITS[self.unit][1]


def unit_of(spelling: str) -> str | None:
    """ "litres" -> "l", "Fahrenheit" -> "°f"."""
    return _SPELLING_TO_UNIT.get(spelling.lower().strip())


_WORD_AFTER = re.compile(r"\s+[a-z]", re.I)


_FEET_INCHES = re.compile(
    r"(?<![\w.])([1-9])\s?(?:'|’|ft\.?|feet|foot)\s?(1[01]|\d)(?:\s?(?:\"|”|''|inch(?:es)?\b|in\b\.?))?(?![\d.,]\d)",
    re.I,
)
"""A height as Americans write it: "6'2", "5' 9\"", "5 ft 10 in"."""


def feet_inches(text: str) -> str:
    """`text` with heights in feet and inches as inches ("6'2" -> "74 inches"), so they compare with ranges."""
    return _FEET_INCHES.sub(lambda m: f"{int(m.group(1)) * 12 + int(m.group(2))} inches", text)


def quantities(text: str) -> list[Quantity]:
    """Every number-with-unit in `text`: "40 liters", "3.5 lbs", "-10°F", "80 inches" ("33 in stock" is none),
    "6'2" (74 inches), and rates of things per unit of time ("1,100 stitches per minute")."""
    said = {f"{int(m.group(1)) * 12 + int(m.group(2))} inches": m.group(0).strip() for m in _FEET_INCHES.finditer(text)}
    text = feet_inches(text)
    found = []
    for m in _QUANTITY.finditer(text):
        unit = unit_of(m.group(2))
        if unit is None:
            continue
        if m.group(2).lower() in ("in", "s") and _WORD_AFTER.match(text, m.end()):
            continue
        found.append(Quantity(_number(m.group(1)), unit, said.get(m.group(0), m.group(0))))  # as the customer wrote it
    for m in _RATE.finditer(text):
        found.append(Quantity(_number(m.group(1)), _PER[m.group(2).lower()[:3]], m.group(0)))
    return found


def _number(written: str) -> float:
    """ "1,100" is a thousand and a hundred (a comma before three digits groups them); "2,5" is two and a half."""
    if re.fullmatch(r"-?\d{1,3}(?:,\d{3})+", written):
        return float(written.replace(",", ""))
    return float(written.replace(",", "."))


_RATE = re.compile(
    r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s+(?:[^\W\d_]+\s+){1,2}?(?:per|a|an|each|every)\s+"
    r"(minute|min|second|sec|hour|hr)\b",
    re.I,
)
"""Things per unit of time: "1,100 stitches per minute", "up to 20 cups an hour"."""
_PER = {"min": "/min", "sec": "/s", "hou": "/h", "hr": "/h"}


_NUM = r"(\d+(?:[.,]\d+)?)"
_UNIT = rf"({_ALTERNATION})(?![a-z0-9])"
_RANGE = re.compile(rf"{_NUM}\s?(?:{_UNIT})?\s?(?:–|—|-|to)\s?{_NUM}\s?{_UNIT}", re.I)
_RANGE_COLUMN = re.compile(rf"{_NUM}\s?(?:–|—|-|to)\s?{_NUM}\s\((?:[^()]*\()?{_UNIT}\)", re.I)
"""A table's range with the unit in its column's name: "165 – 173 (Rider height (cm))"."""
_AT_MOST = re.compile(
    r"\b(?:up to|max(?:imum)?\.?(?: (?:load|weight|user weight|capacity))?:?|under|less than|no more than|below|"
    rf"at most|not over)\s?{_NUM}\s?{_UNIT}|"
    rf"(?:≤|<)\s?{_NUM}\s?{_UNIT}|{_NUM}\s?{_UNIT}\s(?:or less|or under|max(?:imum)?)\b",
    re.I,
)
_AT_LEAST = re.compile(
    rf"\b(?:from|at least|over|more than|above|min(?:imum)?\.?)\s?{_NUM}\s?{_UNIT}|(?:≥|>)\s?{_NUM}\s?{_UNIT}|"
    rf"{_NUM}\s?{_UNIT}(?:\+|\s(?:or more|and (?:up|over|above)|upwards)\b)",
    re.I,
)


@dataclass(frozen=True)
class Bound:
    """A range a line states of one measure ("5–12 kg", "up to 25 mm", "7 kg and up"), in the dimension's base
    unit; None for an open end."""

    dimension: str
    low: float | None
    high: float | None
    text: str

    def holds(self, q: Quantity) -> bool:
        v = q.base
        return (self.low is None or v >= self.low - 1e-9) and (self.high is None or v <= self.high + 1e-9)


def bounds(text: str) -> list[Bound]:
    """The ranges a line states: what a size, a clip or a bed is for ("for dogs up to 20 kg", "5'9\" – 6'0\"")."""
    text = feet_inches(text)
    out: list[Bound] = []
    taken: list[tuple[int, int]] = []

    def add(low: str | None, high: str | None, spelling: str, m: re.Match[str], first: str | None = None) -> None:
        if any(a < m.end() and m.start() < b for a, b in taken):
            return
        unit = unit_of(spelling)
        if unit is None:
            return
        if first is not None and unit_of(first) is not None and UNITS[unit_of(first) or unit][0] != UNITS[unit][0]:
            return  # "5 kg - 12 cm" is two figures, not a range

        def base(n: str | None) -> float | None:
            return None if n is None else Quantity(float(n.replace(",", ".")), unit, "").base

        taken.append((m.start(), m.end()))
        out.append(Bound(UNITS[unit][0], base(low), base(high), m.group(0)))

    for m in _RANGE.finditer(text):
        add(m.group(1), m.group(3), m.group(4), m, m.group(2))
    for m in _RANGE_COLUMN.finditer(text):
        add(m.group(1), m.group(2), m.group(3), m)
    for m in _AT_MOST.finditer(text):
        g = [x for x in m.groups() if x is not None]
        add(None, g[0], g[1], m)
    for m in _AT_LEAST.finditer(text):
        g = [x for x in m.groups() if x is not None]
        add(g[0], None, g[1], m)
    # "for riders from 1.65 m up to 1.90 m": one range, said as its two ends
    for dim in {b.dimension for b in out}:
        lows = [b for b in out if b.dimension == dim and b.high is None]
        highs = [b for b in out if b.dimension == dim and b.low is None]
        if len(lows) == 1 and len(highs) == 1 and (lows[0].low or 0.0) < (highs[0].high or 0.0):
            both = Bound(dim, lows[0].low, highs[0].high, f"{lows[0].text} {highs[0].text}")
            out = [b for b in out if b not in (lows[0], highs[0])] + [both]
    return out


def units_named(text: str) -> list[str]:
    """Units a question names without a number ("how many liters", "in kg", "how many degrees Fahrenheit")."""
    return list(_units_named(text))


@lru_cache(maxsize=4096)
def _units_named(text: str) -> tuple[str, ...]:
    low = text.lower()
    out = []
    for spelling, unit in _SPELLING_TO_UNIT.items():
        if spelling in _BARE_F or len(spelling) < 2:
            continue
        if re.search(rf"(?<![a-z0-9]){re.escape(spelling)}(?![a-z0-9])", low) and unit not in out:
            out.append(unit)
    return tuple(out)


def number_in(text: str) -> int | None:
    """A small count written as digits or as a word ("for four people")."""
    m = re.search(r"\b(\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")\b", text.lower())
    if not m:
        return None
    return int(m.group(1)) if m.group(1).isdigit() else _NUMBER_WORDS[m.group(1)]


_PLURAL = {"cup": "cups"}
"""Units shown spelt out, not as a symbol."""


def convert_phrase(q: Quantity, wanted: list[str]) -> str:
    """ "(about 1.1 kg)" when the customer asked in another unit of the same dimension, else ""."""
    for unit in wanted:
        if unit == q.unit:
            return ""
        value = q.to(unit)
        if value is not None:
            shown = f"{value:.1f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:.0f}"
            label = unit.upper() if unit.startswith("°") else _PLURAL.get(unit, unit)
            return f" (about {shown} {label})"
    return ""


@dataclass(frozen=True)
class Attribute:
    """An everyday product attribute: the words that ask for it, the spec keys that state it, its units."""

    name: str
    cues: frozenset[str]
    """Stems of question words that ask for it ("heavy", "weigh")."""
    keys: frozenset[str]
    """Stems of the spec keys that state it ("weight")."""
    dimension: str | None = None
    words: frozenset[str] = frozenset()
    """The cue words as written ("quieter"): comparatives are read by word, not by stem."""

    @property
    def cues_words(self) -> frozenset[str]:
        return self.words


def _attr(name: str, cues: str, keys: str, dimension: str | None = None) -> Attribute:
    return Attribute(name, frozenset(stems(cues)), frozenset(stems(keys)), dimension, frozenset(cues.split()))


ATTRIBUTES: tuple[Attribute, ...] = (
    _attr("weight", "weight weigh weighs heavy heavier heaviest lighter lightest lightweight", "weight weighs", "mass"),
    _attr("capacity", "capacity hold holds volume liters litres storage", "capacity volume", "volume"),
    _attr(
        "dimensions",
        "size dimensions bigger biggest larger smaller height width length measure measurements",
        "dimensions size length width height measurements packed",
        "length",
    ),
    _attr(
        "temperature",
        "temperature degrees warm warmer warmest cold colder hot hotter hottest rated rating fahrenheit celsius "
        "comfort",
        "temperature comfort limit",
        "temperature",
    ),
    _attr(
        "waterproof",
        "waterproof water resistant rain wet rainproof repellent leak",
        "waterproof water resistance resistant hydrostatic",
    ),
    _attr("material", "material materials made fabric fabrics wood", "material materials fabric shell lining"),
    _attr("color", "color colour colors colours", "color colour colors colours"),
    _attr("warranty", "warranty guarantee guaranteed", "warranty guarantee"),
    _attr("origin", "origin origins", "origin grown sourced garden farm estate region country comes made produced"),
    _attr("occupancy", "people person persons occupants sleeps sleep fits", "capacity occupancy sleeps person people"),
    _attr(
        "power",
        "power powerful output watts wattage btu heat strong motor",
        "output power heat btu wattage motor",
        "power",
    ),
    _attr(
        "loudness",
        "loud louder loudest quiet quieter quietest noise noisy noisier decibels",
        "noise sound loudness",
        "loudness",
    ),
    _attr("brightness", "bright brighter brightest brightness lumens", "brightness output lumens light", "light"),
    _attr("voltage", "volt volts voltage", "voltage", "voltage"),
    # Only its phrases ask it (`_PHRASES`): "current" alone is also "currently in stock".
    _attr("current", "amps amperage milliamps draw draws", "current draw consumption", "current"),
    _attr("torque", "torque", "torque", "torque"),
    _attr("pressure", "pressure psi", "pressure", "pressure"),
    _attr("speed", "fast faster speed spin spins rpm", "speed", "rate"),
    _attr("range", "far range distance", "range distance", "length"),
    _attr(
        "runtime", "runtime life playback playtime listening play plays", "runtime life playback playtime run", "time"
    ),
    # Only their phrases ask these (`_PHRASES`): "charge" alone is also "free of charge" or "charge my phone".
    _attr("charging", "charge charging recharge recharging topped flat empty", "charging charge recharge", "time"),
    _attr("battery", "mah battery", "battery capacity cell", "charge"),
    _attr("fuel", "fuel gas propane butane", "fuel type fuel"),
    _attr("duration", "long duration last lasts take takes minutes hours", "duration time minutes hours runtime"),
    _attr("frequency", "often frequently", "every interval frequency replace change", "time"),
    _attr("load", "load payload limit", "load payload capacity limit max user duty", "mass"),
    _attr("price", "price cost costs much expensive cheap cheaper cheapest pay spend budget", "price cost"),
    _attr("stock", "stock available availability left", "stock available"),
    # Only its phrases ask it (`_PHRASES`): "hours" alone is also how long something takes. A time of day states it
    # without any of its words ("Saturday 9:00-15:00"): such a line holds `CLOCK_TERM`.
    Attribute(
        "hours",
        frozenset(stems("open opening close closing")),
        frozenset(stems("open opening close closing closed")) | {"\x00clock"},
        None,
        frozenset("open opening close closing".split()),
    ),
)
CLOCK_TERM = "\x00clock"
"""The term of a line holding a time of day (`CLOCK_TIME`): what "what time do you close?" asks for."""
BY_NAME = {a.name: a for a in ATTRIBUTES}
MATERIALS = frozenset(
    stems(
        """wool cotton linen silk leather suede nylon polyester polypropylene polyethylene polycarbonate acrylic
        spandex elastane fleece felt canvas denim down rubber silicone latex plastic abs pvc foam neoprene steel
        stainless aluminium aluminum titanium iron copper brass bronze zinc carbon fibreglass fiberglass glass
        ceramic porcelain stoneware wood wooden oak ash beech birch maple walnut pine spruce cedar mahogany rosewood
        teak bamboo rattan cork paper cardboard stone marble granite concrete resin"""
    )
)
"""What things are made of: a sentence naming one answers "what is it made of?" without saying "material"."""
_PRICE_WORDS = frozenset(stems("price cost costs expensive cheap cheaper cheapest pay spend budget"))


CLOCK = r"(?:\d{1,2}(?:[:.h]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}[:h]\d{2}|midnight|noon|midday)"
"""A time of day as shops write their hours: "9am", "17:30", "9.30 pm", "18h00", "midnight"."""
CLOCK_TIME = re.compile(rf"(?<![\w:.]){CLOCK}(?![\w:])", re.I)
CLOCK_RANGE = re.compile(rf"(?<![\w:.]){CLOCK}\s*(?:-|–|—|to|until|till)\s*{CLOCK}(?![\w:])", re.I)

_TIMED_QUESTION = re.compile(
    r"\bhow (?:long|soon|quickly|fast)\b|\b(?:time|minutes?|hours?|days?|weeks?|months?|years?|duration|last|lasts|"
    r"lasting)\b|\bwhen\b",
    re.I,
)
_HOW_MUCH_IS = re.compile(
    r"\bhow much (?:is|are|was|were|would|will|'s|for|to)\b"
    r"(?![^?]*\b(?:weigh\w*|hold\w*|fit|carry|take|last|left|room)\b)",
    re.I,
)
_PHRASED = frozenset({"load", "charging", "battery"})
"""Attributes only their own words ask for: "in kg" asks a weight, never what an item bears."""
_LOAD = re.compile(
    r"\bhow (?:much weight|heavy (?:a|an) \w+) (?:can|will|does|do|could)\b|\bweight (?:limit|capacity|rating)\b|"
    r"\bmax(?:imum)? (?:load|weight)\b|\bload capacity\b",
    re.I,
)
_PHRASES = {
    "charging": re.compile(
        r"\bhow long\b.{0,60}\b(?:re)?charg|\b(?:re)?charg\w*\s+(?:time|takes?)\b|\btop(?:ped|s)? (?:it |\w+ )?up\b|"
        r"\bfrom (?:flat|empty)\b",
        re.I,
    ),
    "battery": re.compile(
        r"\bhow (?:big|large) is (?:the|its|it's|their) battery\b|\bbattery (?:capacity|size)\b|"
        r"\bhow much (?:charge|energy|juice) does\b.{0,60}\b(?:hold|store|have)\b|\bsize battery\b",
        re.I,
    ),
    "capacity": re.compile(
        r"\bhow much (?:[^\W\d_]+ ){1,2}(?:can|could|will|does|do|would) (?:i|you|we|it|they|the [^\W\d_]+) "
        r"(?:put|fit|get|load|pour|store|hold|take|carry)\b(?! up\b)|\bhow (?:many|much) (?:[^\W\d_]+ ){0,2}"
        r"(?:fits?|goes|go) in\b",
        re.I,
    ),
    "origin": re.compile(
        r"\bwhere(?:'s| is| are| does| do| was| were)\b.{0,50}\b(?:from|grown|made|produced|sourced|come)\b",
        re.I,
    ),
    "runtime": re.compile(
        r"\bbatter(?:y|ies)\b.{0,30}\blasts?\b|\blasts?\b.{0,30}\bbatter(?:y|ies)\b|\bbattery life\b|"
        r"\bhow long (?:does|will|can|would) .{0,40}\b(?:run|play|go|work)\b",
        re.I,
    ),
    "current": re.compile(
        r"\bhow (?:much|many) (?:current|amps|milliamps)\b|\b(?:current|power) draw\b|\bamperage\b", re.I
    ),
    "hours": re.compile(
        r"\bwhat time\b|\b(?:until|till|til) when\b|\bhow (?:late|early)\b.{0,30}\b(?:open|close|closed|come|"
        r"book|reserve|stay|drop)\b|\b(?:opening|closing|business|shop|store|salon|cafe|café) (?:hours|times?)\b|"
        r"\b(?:are|is) (?:you|y'all|u|it|the \w+) (?:open|closed)\b|"
        r"\b(?:when|what days?) (?:do|are|does|is) (?:you|it|the \w+) (?:open|close|closed)\b|"
        r"\bdo you (?:open|close)\b|"
        r"\bopen (?:on|at|today|tonight|tomorrow|late|early|this)\b",
        re.I,
    ),
    # "can I grab one this weekend?", "do you have it?": whether there is one to buy, in the customer's words
    "stock": re.compile(
        r"\b(?:do|does|did) (?:you|ya|u|the shop) (?:have|carry|stock) (?:it|one|them|this|that|those)\b|"
        r"\b(?:have|has) (?:you|ya|u) got (?:it|one|them|this|that|those)\b|"
        r"\b(?:can|could|may) (?:i|we) (?:grab|get|buy|pick up|pick|order|collect) (?:one|it|them|a copy)"
        r"(?: (?:today|tonight|tomorrow|now|right now|this (?:weekend|week|morning|afternoon|evening)|"
        r"on (?:\w+day|the weekend)))?\b",
        re.I,
    ),
    # "what do you charge to fix a hinge?": a price, where "charge" alone is a battery's
    "price": re.compile(
        r"\b(?:do|does|did|would|will) (?:you|ya|u|y'all|they|the shop) charge\b|\bwhat(?:'s| is) the charge\b|"
        r"\bcharge (?:for|to)\b(?! (?:it|the battery|a battery|my|your|its)\b)",
        re.I,
    ),
}
"""Attributes asked by a phrase rather than a word: how long to charge is a charging time, not how long it runs."""
_PHRASE_ONLY = frozenset({"charging", "battery", "current", "hours"})
"""Attributes no single word asks."""


def phrased(text: str) -> list[str]:
    """The attributes a question asks by a phrase (`_PHRASES`)."""
    return [n for n, p in _PHRASES.items() if p.search(text) and not (n == "charging" and PER_CHARGE.search(text))]


def phrase_words(text: str) -> dict[str, frozenset[str]]:
    """The stems of the phrases that ask an attribute ("topped up from flat": charging), by attribute: words no
    source needs to hold, the attribute's figure answers them."""
    out: dict[str, frozenset[str]] = {}
    for name in phrased(text):
        out[name] = frozenset().union(*(stems(m.group(0)) for m in _PHRASES[name].finditer(text)))
    runtime = PER_CHARGE.search(text)
    if runtime:
        out["runtime"] = frozenset(stems(runtime.group(0)))
    return out


_HOW_MEASURES = {
    "long": {"time", "length"},
    "soon": {"time"},
    "heavy": {"mass"},
    "warm": {"temperature"},
    "hot": {"temperature"},
    "cold": {"temperature"},
    "tall": {"length"},
}
"""How-words that fix the measure asked: other measures' attributes the question's nouns suggest are not asked."""
PER_CHARGE = re.compile(
    r"\b(?:per|on a|on one|on a single|on a full|between|each|a single|one) (?:full )?(?:charges?|battery|batteries)\b",
    re.I,
)
"""A time "per charge" is how long an item runs, never how long it takes to charge."""
_HOW = re.compile(
    r"\bhow (big|large|small|long|soon|wide|tall|heavy|warm|hot|cold|much (?:does|do|will) \w+ (?:weigh|hold))\b", re.I
)
_HOW_ATTRIBUTE = {
    "big": "dimensions",
    "large": "dimensions",
    "small": "dimensions",
    "wide": "dimensions",
    "tall": "dimensions",
    "heavy": "weight",
    "warm": "temperature",
    "hot": "temperature",
    "cold": "temperature",
}


def asked_attributes(question: str, names: str = "") -> list[Attribute]:
    """The attributes a question asks about, most specific first (see `_asked_attributes`)."""
    return list(_asked_attributes(question, names))


@lru_cache(maxsize=4096)
def _asked_attributes(question: str, names: str = "") -> tuple[Attribute, ...]:
    """The attributes a question asks about, most specific first ("how much does it weigh" is weight, not price).
    Words of the item names in `names` ask nothing ("Sleeping Bag" is no question about sleeping)."""
    q = stems(question) - stems(names)
    found = [a for a in ATTRIBUTES if a.cues & q and a.name not in _PHRASE_ONLY]
    said = question  # the question without the item names ("30 ml" of a name asks for no volume)
    for name in sorted(re.split(r"\s{2,}|\|", names), key=len, reverse=True):
        if name.strip():
            said = re.sub(re.escape(name.strip()), " ", said, flags=re.I)
    for word in re.findall(r"[^\W\d_]+", names):
        said = re.sub(rf"\b{re.escape(word)}\b", " ", said, flags=re.I)
    how = _HOW.search(question)
    if how and how.group(1).lower() == "soon":
        found = [BY_NAME["duration"], *(a for a in found if a.name != "duration")]  # "how soon can I wash it?"
    elif how and how.group(1).lower() == "long":
        # "how long does it take / last / run" asks for a time; "how long is it" for a length.
        timed = re.search(
            r"\b(take|takes|last|lasts|run|runs|charge|charges|charging|keep|keeps|stay|stays|boil|wait|go|goes|going|"
            r"between|before|until|brew|brewing|steep|steeping|infuse|soak|cook|bake|heat|roast|dry|dries|cure|hold|"
            r"holds|need|needs|valid|set aside|stuck|book)\b",
            said,
            re.I,
        )
        attr = BY_NAME["duration" if timed else "dimensions"]
        found = [attr, *(a for a in found if a is not attr)]
    elif how and how.group(1).lower() in _HOW_ATTRIBUTE:
        attr = BY_NAME[_HOW_ATTRIBUTE[how.group(1).lower()]]
        found = [attr, *(a for a in found if a is not attr)]
    for name in phrased(said):
        found = [BY_NAME[name], *(a for a in found if a.name != name)]
        if name == "capacity":  # "how much water can I put in it" asks what it holds: no price, no waterproofing
            found = [a for a in found if a.name in ("capacity",) or a.dimension == "volume"]
        if name == "battery":  # "how big is the battery" asks no size of the item
            found = [a for a in found if a.name != "dimensions"]
    if how and how.group(1).lower() in _HOW_MEASURES:  # "how long does the battery last" asks no battery capacity
        kinds = _HOW_MEASURES[how.group(1).lower()]
        found = [a for a in found if a.dimension is None or a.dimension in kinds]
    if PER_CHARGE.search(said) and BY_NAME["runtime"] not in found:
        found.append(BY_NAME["runtime"])
    if _LOAD.search(question):  # "how much weight can it carry?" asks what it bears, not what it weighs
        found = [BY_NAME["load"], *(a for a in found if a.name not in ("load", "weight"))]
    for unit in units_named(said):
        dim = UNITS[unit][0]
        found += [a for a in ATTRIBUTES if a.dimension == dim and a not in found and a.name not in _PHRASED]
    if len(found) > 1 and any(a.name == "price" for a in found) and not (q & _PRICE_WORDS or "price" in phrased(said)):
        found = [a for a in found if a.name != "price"]  # "how much does it weigh": "much" alone is no price
    if any(a.name == "duration" for a in found) and not _TIMED_QUESTION.search(question):
        found = [a for a in found if a.name != "duration"]  # "what batteries does it take?" asks no time
    if _HOW_MUCH_IS.search(said) and all(a.name in ("price", "dimensions", "stock") for a in found):
        # "how much is that size?", "how much are the large ones?": a price, whatever else the words name; "how
        # much is it and do you have one?" asks its stock as well
        found = [BY_NAME["price"], *(a for a in found if a.name not in ("price", "dimensions"))]
    if re.search(r"\bwhere\b", question, re.I):
        found = [a for a in found if a.name != "material"]  # "where is it made?" asks a place, not a material
    if any(a.name == "hours" for a in found):
        found = [BY_NAME["hours"]]  # "what are your opening hours?" asks no duration, runtime or frequency
    return tuple(found)


_NOT_KEYS = frozenset(
    "we our you your it its this that they the i my there here note do don't dont avoid use never always please if "
    "when make keep check ensure read store".split()
)


_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_SPEC_MARKS = re.compile(r"\*\*|__|`")


def table_cells(line: str) -> list[str] | None:
    """A Markdown table row's cells, a figure and its unit in separate cells joined ("| Weight | 3.9 | kg |" ->
    ["Weight", "3.9 kg"]); [] for the rule under a header; None for a line that is no table row."""
    text = line.strip()
    if not (text.startswith("|") and text.endswith("|") and text.count("|") >= 3):
        return None
    if _TABLE_RULE.match(text):
        return []
    cells = [c for c in (c.strip() for c in text.strip("|").split("|")) if c and c not in ("-", "—", "–")]
    out: list[str] = []
    for cell in cells:
        if out and _NUMBER_CELL.match(out[-1]) and unit_of(cell) is not None:
            out[-1] = f"{out[-1]} {cell}"
        else:
            out.append(cell)
    return out


_NUMBER_CELL = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def table_row(line: str) -> str | None:
    """A Markdown table row as a spec line: "| Weight | 3.9 kg |" -> "Weight: 3.9 kg"; "" for the rule under a
    header; None for a line that is no table row."""
    cells = table_cells(line)
    if cells is None:
        return None
    if len(cells) < 2:
        return cells[0] if cells else ""
    return f"{cells[0]}: {', '.join(cells[1:])}"


_ITEM_COLUMN = frozenset(stems("model models product products name item items version variant edition sku range"))
_LEADERS = re.compile(r"^(\s*(?:[-*\u2022]\s+)?[A-Za-z][^.:|]{0,40}?)\s*(?:\.\s?){3,}\s*(\S.*)$")


ITEM_ROW = re.compile(r"^(.{1,60}?) — [^:]{1,40}: ")
"""A line `item_row` made: "Aster 700 — Weight: 7.4 kg" (group 1 names the item)."""


def item_row(cells: list[str], header: list[str] | None) -> list[str] | None:
    """A row of a table whose first column names items ("| Model | Weight | Power |"), one line per figure with
    the item it belongs to: "Aster 700 — Weight: 7.4 kg". None for a row of any other table."""
    if not header or len(cells) < 2 or not stems(header[0]) & _ITEM_COLUMN:
        return None
    return [f"{cells[0]} — {h}: {c}" for h, c in zip(header[1:], cells[1:], strict=False)]


def document_lines(text: str) -> list[str]:
    """A document's lines with its spec lines made plain: table rows as "Key: value" (the rows of a table of
    several items as one line per figure naming its item, see `item_row`), leader dots ("Weight ...... 7 kg")
    as a colon, header rows and rules dropped."""
    return [line for line, _ in marked_lines(text)]


def marked_lines(text: str) -> list[tuple[str, bool]]:
    """`document_lines`, each with whether it was a table's row (a line of its own, never a wrapped sentence's)."""
    out: list[tuple[str, bool]] = []
    raws = text.splitlines()
    header: list[str] | None = None
    for i, raw in enumerate(raws):
        cells = table_cells(raw)
        if cells is None:
            header = None
            m = _LEADERS.match(raw)
            out.append((f"{m.group(1).rstrip()}: {m.group(2)}" if m else raw, False))
            continue
        if not cells:
            continue
        if i + 1 < len(raws) and table_cells(raws[i + 1]) == []:
            header = cells  # a header row names the columns, states nothing
            continue
        rows = item_row(cells, header)
        if rows is not None:
            out.extend((row, True) for row in rows)
        elif len(cells) >= 2:
            out.append((f"{cells[0]}: {_row_values(cells[1:], header)}", True))
    return out


def _row_values(values: list[str], header: list[str] | None) -> str:
    """A spec row's values: one when every column says the same ("Height: 76 cm"), else each with its column's
    name, a version ("183 × 107 cm (6 seats), 244 × 107 cm (8 seats)") or what it measures ("71–96 cm (Chest
    girth), 25–45 kg (Dog weight)")."""
    if len(set(values)) == 1:
        return values[0]
    labels = header[1:] if header is not None and len(header) == len(values) + 1 else []
    if labels and all(labels):
        return ", ".join(f"{v} ({h})" for v, h in zip(values, labels, strict=True))
    return ", ".join(values)


def _dashed(line: str) -> re.Match[str] | None:
    """ "Weight — 7.4 kg", "Material - PVC": a key, a dash and a short value (a figure or a few words)."""
    m = re.match(r"^\s*([A-Z][\w /&()'-]{1,40}?)\s+[—–-]\s+(\S.*)$", line)
    if m and (m.group(2)[0].isdigit() or len(m.group(2).split()) <= 3) and not m.group(2).endswith((".", "!", "?")):
        return m
    return None


def key_value(line: str) -> tuple[str, str] | None:
    """A spec line "Capacity: 40 liters" as ("Capacity", "40 liters"), also as a bullet ("- **Capacity**: 40 L")
    or a table row ("| Capacity | 40 L |"); None for prose."""
    row = table_row(line)
    line = row if row is not None else re.sub(r"^\s*[-*\u2022]\s+", "", _SPEC_MARKS.sub("", line))
    m = re.match(r"^\s*([A-Z][\w /&()'×-]{1,40}?)\s*:\s+(\S.*)$", line) or _dashed(line)
    if not m or len(m.group(1).split()) > 5 or any(c.isdigit() for c in m.group(1)):
        return None
    if m.group(1).split()[0].lower() in _NOT_KEYS:
        return None
    return m.group(1).strip(), m.group(2).strip()


_PIECES = re.compile(r"(?<=[.!?])\s+|\s+·\s+|;\s+")


def prose_figures(line: str) -> list[tuple[str, str]]:
    """Figures prose states with the word of their attribute, as (attribute, figure): "The unit weighs 3.6 kg." ->
    ("Weight", "3.6 kg"); "Key figures: 42 cm width · 7.4 kg weight" -> one per piece. A piece holding
    two figures of a kind, or none, or a row of a table of several items, gives nothing."""
    if ITEM_ROW.match(line) or (key_value(line) is not None and not re.search(r"\s·\s", line)):
        return []
    out = []
    for piece in _PIECES.split(line):
        found = quantities(piece)
        if len(found) != 1:
            continue
        said = stems(piece)
        attrs = [a for a in ATTRIBUTES if a.dimension == found[0].dimension and said & (a.cues | a.keys)]
        if attrs:
            rest = " ".join(piece.split(":")[-1].replace(found[0].text, " ").split()).strip(" .")
            # "42 cm width" is a width; "The unit weighs 3.6 kg" a weight
            plain = 0 < len(rest.split()) <= 3 and rest.split()[0].lower() not in ("the", "a", "an", "it", "its")
            key = rest if plain else attrs[0].name
            out.append((key[:1].upper() + key[1:], found[0].text))
    return out
