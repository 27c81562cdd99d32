"""Evaluation tenants generated from data: a catalog, per-product manuals and questions whose reference answers come
from the same generated data, never from a person who has seen the answerer at work.

Each business (`BUSINESSES`) is a template of categories, attributes and ways of writing them: spec lines in
several layouts (bold keys, bullets, a table), prose sentences, unit spellings chosen per product, warranties
written as a spec line or a sentence, a store policy page. A seed draws the products, their figures, the layout
of each manual and the wording of each question from the template's pools, so the questions are not the wording
the rules were written against.

The varied businesses (`garden`, `office`: `Business.variety`) write more ways still: three-column tables, a figure
and its unit in separate cells, leader dots, dashes, value-first lists, prose paragraphs with an earlier model's
figure, decimal commas and other units of a measure, range guides with a row per model; and ask more ways: two items
at once ("how much are they?"), the same question of the next item ("And the Y?"), a comparison as a follow-up,
features no source states.

Splits: `bikes`, `garden` and `office` are development businesses (their misses may be read while improving the
general mechanisms); `hardware` and `kitchen` are holdouts: run for figures only, never read miss by miss while
tuning. Build one with `concierge eval --synthetic NAME` (written under `$CONCIERGE_DATA_DIR/synthetic/NAME/`).
"""

import csv
import io
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEV_BUSINESSES = ("bikes", "garden", "office", "audio")
HOLDOUT_BUSINESSES = ("hardware", "kitchen")


@dataclass(frozen=True)
class Attr:
    """A product attribute as a business writes it and as customers ask about it."""

    name: str
    keys: tuple[str, ...]
    """Spec keys a manual may use for it ("Weight", "Net weight")."""
    units: tuple[str, ...] = ()
    """Spellings of its unit a manual may use ("kg", "kilograms"); empty for words or plain counts."""
    low: float = 0
    high: float = 0
    step: float = 1
    words: tuple[str, ...] = ()
    """Values of a worded attribute ("aluminium", "carbon")."""
    asks: tuple[str, ...] = ()
    """Question templates naming the product: "How much does the {name} weigh?"."""
    followups: tuple[str, ...] = ()
    """The same question as a follow-up: "how heavy is it?"."""
    prose: tuple[str, ...] = ()
    """Sentences stating it in a manual: "The {name} weighs {value}."."""
    less: str = ""
    """Comparative asking for the lower figure ("lighter"), for comparisons."""
    more: str = ""
    below: tuple[str, ...] = ()
    """Constraint questions asking for a figure under a bound: "Do you have a {noun} under {bound}?"."""
    above: tuple[str, ...] = ()
    alt: tuple[tuple[str, float], ...] = ()
    """Other units a varied manual may write it in, with the factor from the first unit: ("kW", 0.001)."""


@dataclass(frozen=True)
class Category:
    name: str
    noun: str
    plural: str
    attrs: tuple[str, ...]
    price: tuple[int, int]
    models: tuple[str, ...]


@dataclass(frozen=True)
class Business:
    key: str
    name: str
    description: str
    currency: str
    categories: tuple[Category, ...]
    attrs: dict[str, Attr]
    brands: tuple[str, ...]
    absent: tuple[str, ...]
    """Questions about a product no source answers: "What country is the {name} made in?"."""
    policy: dict[str, Any] = field(default_factory=dict)
    variety: bool = False
    """Write manuals and questions in the wider set of ways (`_varied_specs`, `_varied_questions`): tables of three
    or more columns, leader dots, value-first lines, decimal commas, range guides naming several items,
    follow-ups about two items, features no source states."""
    features: tuple[str, ...] = ()
    """Features no source states, asked as "Does the {name} have {feature}?": must be declined."""
    shapes: bool = False
    """Ask the shapes real customers use beyond the template's own wordings (`_shape_questions`): figures nobody
    states asked in words close to a stated key, a sibling model's figure, a part's warranty, follow-ups naming
    the item by its type word or its price rank, and a follow-up whose "it" could be either of two items."""
    near: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per category: questions about a figure no source of its items states, worded close to a key that is stated
    ("how long does the {name} take to charge?" of a speaker whose manual gives only its playback time)."""
    parts: tuple[str, ...] = ()
    """Parts of the items no source gives a warranty for ("the battery"): "is the battery covered?" is declined."""


WARRANTY = Attr(
    "warranty",
    ("Warranty",),
    asks=(
        "What's the warranty on the {name}?",
        "How long is the {name} guaranteed for?",
        "Does the {name} come with a warranty?",
        "how many years warranty on the {name}",
    ),
    followups=("what's the warranty on it?", "Is it under warranty, and for how long?", "and the warranty?"),
)
WEIGHT_KG = Attr(
    "weight",
    ("Weight", "Net weight", "Item weight"),
    ("kg", "kilograms"),
    asks=(
        "How much does the {name} weigh?",
        "What's the weight of the {name}?",
        "how heavy is the {name}",
        "{name} weight?",
    ),
    followups=("How much does it weigh?", "how heavy is it?", "and what does it weigh?"),
    prose=("The {name} weighs {value}.", "At just {value}, the {name} is easy to carry."),
    less="lighter",
    more="heavier",
    below=("Do you have a {noun} that weighs less than {bound}?", "Any {plural} under {bound}?"),
)


def _weight(low: float, high: float, step: float, units: tuple[str, ...] = ("kg", "kilograms")) -> Attr:
    return Attr(**{**WEIGHT_KG.__dict__, "low": low, "high": high, "step": step, "units": units})


BIKES = Business(
    key="bikes",
    name="Spokewise Cycles",
    description="A bicycle shop: bikes, helmets, lights, locks and pumps.",
    currency="EUR",
    brands=("Velorin", "Torvan", "Cadenza", "Brightspoke"),
    categories=(
        Category(
            "Road Bikes",
            "road bike",
            "road bikes",
            ("weight", "frame", "gears", "wheel"),
            (700, 3200),
            ("Aero", "Strada", "Corsa", "Veloce"),
        ),
        Category(
            "Mountain Bikes",
            "mountain bike",
            "mountain bikes",
            ("weight", "frame", "gears", "travel"),
            (600, 2800),
            ("Ridge", "Canyonline", "Switchback"),
        ),
        Category(
            "E-Bikes",
            "e-bike",
            "e-bikes",
            ("weight", "range", "motor", "battery", "charge"),
            (1500, 4200),
            ("Volt", "Pulse", "Current"),
        ),
        Category(
            "Bike Lights",
            "bike light",
            "bike lights",
            ("brightness", "runtime", "weight"),
            (20, 140),
            ("Beam", "Halo", "Flare"),
        ),
        Category(
            "Bike Locks",
            "bike lock",
            "bike locks",
            ("length", "security", "weight"),
            (25, 120),
            ("Bastion", "Keep", "Shackle"),
        ),
    ),
    attrs={
        "weight": _weight(0.1, 24, 0.1),
        "frame": Attr(
            "frame",
            ("Frame", "Frame material"),
            words=("aluminium", "carbon fibre", "steel", "titanium"),
            asks=("What is the {name}'s frame made of?", "What frame material does the {name} use?"),
            followups=("what's the frame made of?", "and the frame material?"),
            prose=("The {name} is built around a {value} frame.",),
        ),
        "gears": Attr(
            "gears",
            ("Gears", "Number of gears", "Speeds"),
            low=8,
            high=24,
            step=1,
            asks=("How many gears does the {name} have?", "how many speeds is the {name}?"),
            followups=("how many gears has it got?",),
            prose=("The {name} has {value} gears.",),
        ),
        "wheel": Attr(
            "wheel",
            ("Wheel size", "Wheels"),
            ("in", "inch", "inches"),
            low=26,
            high=29,
            step=1,
            asks=("What wheel size is the {name}?", "How big are the wheels on the {name}?"),
            followups=("what size are the wheels?",),
            prose=("The {name} rolls on {value} wheels.",),
        ),
        "travel": Attr(
            "travel",
            ("Suspension travel", "Fork travel"),
            ("mm", "millimetres"),
            low=100,
            high=170,
            step=10,
            asks=("How much suspension travel does the {name} have?",),
            followups=("how much travel does the fork have?",),
            prose=("Its fork gives the {name} {value} of travel.",),
        ),
        "range": Attr(
            "range",
            ("Range", "Battery range", "Assisted range"),
            ("km", "kilometres"),
            low=40,
            high=160,
            step=5,
            asks=("How far can the {name} go on one charge?", "What's the range of the {name}?"),
            followups=("how far does it go on a charge?", "and the range?"),
            prose=("On a full charge the {name} covers up to {value}.",),
            more="longer range",
            above=("Do you have an {noun} with a range of at least {bound}?",),
        ),
        "motor": Attr(
            "motor",
            ("Motor", "Motor power", "Rated power"),
            ("W", "watts"),
            low=250,
            high=750,
            step=50,
            asks=("How powerful is the motor on the {name}?", "What's the motor power of the {name}?"),
            followups=("how strong is the motor?",),
            prose=("A {value} hub motor drives the {name}.",),
            more="more powerful",
        ),
        "battery": Attr(
            "battery",
            ("Battery", "Battery capacity"),
            ("Wh",),
            low=300,
            high=750,
            step=25,
            asks=("What's the battery capacity of the {name}?",),
            followups=("how big is the battery?",),
            prose=("The {name} carries a {value} battery.",),
        ),
        "charge": Attr(
            "charge",
            ("Charging time", "Charge time"),
            ("hours", "h"),
            low=3,
            high=7,
            step=0.5,
            asks=("How long does the {name} take to charge?", "What's the charging time of the {name}?"),
            followups=("how long does it take to charge?",),
            prose=("A full charge of the {name} takes {value}.",),
        ),
        "brightness": Attr(
            "brightness",
            ("Brightness", "Light output", "Max output"),
            ("lumens", "lm"),
            low=200,
            high=1800,
            step=50,
            asks=("How bright is the {name}?", "How many lumens does the {name} put out?"),
            followups=("how bright is it?",),
            prose=("The {name} puts out up to {value}.",),
            more="brighter",
        ),
        "runtime": Attr(
            "runtime",
            ("Runtime", "Battery life", "Run time"),
            ("hours", "h"),
            low=2,
            high=30,
            step=1,
            asks=("How long does the battery of the {name} last?", "What's the runtime of the {name}?"),
            followups=("how long does the battery last?",),
            prose=("The {name} runs for up to {value} on one charge.",),
        ),
        "length": Attr(
            "length",
            ("Length", "Chain length", "Cable length"),
            ("cm", "centimetres"),
            low=60,
            high=180,
            step=5,
            asks=("How long is the {name}?", "What length is the {name}?"),
            followups=("how long is it?",),
            prose=("The {name} measures {value} in length.",),
        ),
        "security": Attr(
            "security",
            ("Security rating", "Security level"),
            words=("8/15", "10/15", "12/15", "14/15"),
            asks=("What's the security rating of the {name}?",),
            followups=("how secure is it?",),
            prose=("The {name} holds a security rating of {value}.",),
        ),
    },
    absent=(
        "What country is the {name} made in?",
        "Who designed the {name}?",
        "How many {name}s have you sold this year?",
        "Is the {name} available in a limited edition?",
    ),
    policy={"returns_days": 30, "free_shipping_over": 80, "delivery_days": "2 to 4", "price_match": False},
)

HARDWARE = Business(
    key="hardware",
    name="Ironbark Hardware",
    description="A hardware store: power tools, ladders, pressure washers and work lights.",
    currency="USD",
    brands=("Korvex", "Stahlgrau", "Pinewright", "Duratek"),
    categories=(
        Category(
            "Cordless Drills",
            "cordless drill",
            "cordless drills",
            ("voltage", "torque", "battery", "weight"),
            (60, 320),
            ("DX", "Torq", "Drive"),
        ),
        Category(
            "Circular Saws",
            "circular saw",
            "circular saws",
            ("blade", "depth", "speed", "weight"),
            (80, 400),
            ("Cutline", "Kerf", "Rip"),
        ),
        Category("Ladders", "ladder", "ladders", ("height", "load", "weight"), (70, 450), ("Step", "Reach", "Summit")),
        Category(
            "Pressure Washers",
            "pressure washer",
            "pressure washers",
            ("pressure", "flow", "hose", "noise"),
            (120, 700),
            ("Jet", "Blast", "Surge"),
        ),
        Category(
            "Work Lights",
            "work light",
            "work lights",
            ("brightness", "runtime", "ip"),
            (25, 180),
            ("Glow", "Lumo", "Site"),
        ),
    ),
    attrs={
        "weight": _weight(1.0, 16, 0.1, ("lbs", "pounds", "lb")),
        "voltage": Attr(
            "voltage",
            ("Voltage", "Battery voltage"),
            ("V", "volts"),
            low=12,
            high=20,
            step=2,
            asks=("What voltage is the {name}?", "Is the {name} a 12 or 18 volt drill?"),
            followups=("what voltage is it?",),
            prose=("The {name} runs on a {value} battery platform.",),
        ),
        "torque": Attr(
            "torque",
            ("Max torque", "Torque"),
            ("Nm", "newton metres"),
            low=30,
            high=130,
            step=5,
            asks=("How much torque does the {name} have?", "What's the max torque of the {name}?"),
            followups=("how much torque does it deliver?",),
            prose=("The {name} delivers up to {value} of torque.",),
            more="more torque",
        ),
        "battery": Attr(
            "battery",
            ("Battery", "Battery capacity"),
            ("Ah",),
            low=1.5,
            high=6,
            step=0.5,
            asks=("What size battery comes with the {name}?", "How many amp hours is the battery of the {name}?"),
            followups=("what battery does it come with?",),
            prose=("The {name} ships with a {value} battery.",),
        ),
        "blade": Attr(
            "blade",
            ("Blade diameter", "Blade size"),
            ("mm",),
            low=140,
            high=235,
            step=5,
            asks=("What blade size does the {name} take?", "What's the blade diameter of the {name}?"),
            followups=("what size blade does it use?",),
            prose=("The {name} takes a {value} blade.",),
        ),
        "depth": Attr(
            "depth",
            ("Max cutting depth", "Cutting depth", "Depth of cut"),
            ("mm",),
            low=40,
            high=85,
            step=1,
            asks=("How deep can the {name} cut?", "What's the maximum cutting depth of the {name}?"),
            followups=("how deep does it cut?",),
            prose=("The {name} cuts up to {value} deep.",),
            more="deeper cut",
        ),
        "speed": Attr(
            "speed",
            ("No-load speed", "Speed"),
            ("rpm", "RPM"),
            low=3500,
            high=6000,
            step=100,
            asks=("How fast does the {name} spin?", "What's the no-load speed of the {name}?"),
            followups=("how fast does the blade spin?",),
            prose=("The {name}'s blade spins at {value} with no load.",),
        ),
        "height": Attr(
            "height",
            ("Max working height", "Reach height", "Height"),
            ("ft", "feet"),
            low=6,
            high=24,
            step=1,
            asks=("How tall is the {name}?", "How high can I reach with the {name}?"),
            followups=("how tall is it?", "how high does it reach?"),
            prose=("The {name} extends to a working height of {value}.",),
            more="taller",
            above=("Do you have a {noun} that reaches at least {bound}?",),
        ),
        "load": Attr(
            "load",
            ("Load capacity", "Max load", "Duty rating"),
            ("lbs", "pounds"),
            low=200,
            high=375,
            step=25,
            asks=("How much weight can the {name} hold?", "What's the load capacity of the {name}?"),
            followups=("how much weight can it hold?",),
            prose=("The {name} is rated for loads up to {value}.",),
        ),
        "pressure": Attr(
            "pressure",
            ("Max pressure", "Pressure", "Rated pressure"),
            ("psi", "PSI"),
            low=1500,
            high=3400,
            step=100,
            asks=("What pressure does the {name} reach?", "How many PSI is the {name}?"),
            followups=("how much pressure does it put out?",),
            prose=("The {name} reaches a maximum pressure of {value}.",),
            more="more powerful",
        ),
        "flow": Attr(
            "flow",
            ("Flow rate", "Water flow"),
            ("GPM", "gallons per minute"),
            low=1.1,
            high=2.8,
            step=0.1,
            asks=("What's the flow rate of the {name}?", "How many gallons per minute does the {name} use?"),
            followups=("what's its flow rate?",),
            prose=("The {name} moves {value} of water.",),
        ),
        "hose": Attr(
            "hose",
            ("Hose length", "High-pressure hose"),
            ("ft", "feet"),
            low=20,
            high=50,
            step=5,
            asks=("How long is the hose on the {name}?",),
            followups=("how long is the hose?",),
            prose=("A {value} hose comes with the {name}.",),
        ),
        "noise": Attr(
            "noise",
            ("Noise level", "Sound level"),
            ("dB", "decibels"),
            low=72,
            high=96,
            step=1,
            asks=("How loud is the {name}?", "What's the noise level of the {name}?"),
            followups=("how loud is it?", "is it noisy?"),
            prose=("The {name} runs at {value}.",),
            less="quieter",
        ),
        "brightness": Attr(
            "brightness",
            ("Brightness", "Light output"),
            ("lumens", "lm"),
            low=500,
            high=10000,
            step=500,
            asks=("How bright is the {name}?", "How many lumens is the {name}?"),
            followups=("how bright is it?",),
            prose=("The {name} lights a site with {value}.",),
            more="brighter",
            above=("Do you have a {noun} with at least {bound}?",),
        ),
        "runtime": Attr(
            "runtime",
            ("Runtime", "Battery life"),
            ("hours", "hrs"),
            low=2,
            high=12,
            step=1,
            asks=("How long does the {name} run on a charge?", "What's the battery life of the {name}?"),
            followups=("how long does it run on battery?",),
            prose=("The {name} runs for up to {value} per charge.",),
        ),
        "ip": Attr(
            "ip",
            ("Ingress protection", "IP rating", "Water resistance"),
            words=("IP44", "IP54", "IP65", "IP67"),
            asks=("What's the IP rating of the {name}?", "Is the {name} weatherproof?"),
            followups=("can it get wet?",),
            prose=("The {name} is sealed to {value}.",),
        ),
    },
    absent=(
        "What country is the {name} manufactured in?",
        "Does the {name} come with a carrying case?",
        "Can I rent the {name} instead of buying it?",
        "When was the {name} first released?",
    ),
    policy={"returns_days": 90, "free_shipping_over": 49, "delivery_days": "3 to 5", "price_match": True},
)

KITCHEN = Business(
    key="kitchen",
    name="Copperpot Kitchenware",
    description="A kitchen appliance shop: blenders, coffee machines, kettles, toasters and air fryers.",
    currency="GBP",
    brands=("Maison Ferro", "Kessler", "Brio", "Halvard"),
    categories=(
        Category(
            "Blenders",
            "blender",
            "blenders",
            ("power", "jug", "speeds", "noise"),
            (40, 400),
            ("Vortex", "Pulse", "Smoothie"),
        ),
        Category(
            "Coffee Machines",
            "coffee machine",
            "coffee machines",
            ("pressure", "tank", "heatup", "power"),
            (90, 900),
            ("Barista", "Crema", "Ristretto"),
        ),
        Category(
            "Kettles",
            "kettle",
            "kettles",
            ("capacity", "power", "boil", "cord"),
            (25, 140),
            ("Quickboil", "Heritage", "Arc"),
        ),
        Category(
            "Air Fryers",
            "air fryer",
            "air fryers",
            ("basket", "power", "temperature", "weight"),
            (60, 260),
            ("Crisp", "Airo", "Golden"),
        ),
        Category(
            "Toasters",
            "toaster",
            "toasters",
            ("slots", "power", "settings", "weight"),
            (25, 150),
            ("Morning", "Crumb", "Loaf"),
        ),
    ),
    attrs={
        "weight": _weight(1.2, 9, 0.1),
        "power": Attr(
            "power",
            ("Power", "Wattage", "Rated power"),
            ("W", "watts"),
            low=700,
            high=3000,
            step=100,
            asks=("What's the wattage of the {name}?", "How powerful is the {name}?"),
            followups=("how many watts is it?", "how powerful is it?"),
            prose=("The {name} draws {value}.",),
            more="more powerful",
        ),
        "jug": Attr(
            "jug",
            ("Jug capacity", "Jar capacity"),
            ("litres", "L"),
            low=0.6,
            high=2.2,
            step=0.1,
            asks=("How big is the jug of the {name}?", "What's the jug capacity of the {name}?"),
            followups=("how much does the jug hold?",),
            prose=("The {name}'s jug holds {value}.",),
        ),
        "speeds": Attr(
            "speeds",
            ("Speed settings", "Speeds"),
            low=2,
            high=10,
            step=1,
            asks=("How many speeds does the {name} have?",),
            followups=("how many speed settings does it have?",),
            prose=("The {name} offers {value} speed settings.",),
        ),
        "noise": Attr(
            "noise",
            ("Noise level", "Sound level"),
            ("dB", "decibels"),
            low=60,
            high=92,
            step=1,
            asks=("How noisy is the {name}?", "How loud does the {name} get?"),
            followups=("is it loud?", "how loud is it?"),
            prose=("In use the {name} measures {value}.",),
            less="quieter",
        ),
        "pressure": Attr(
            "pressure",
            ("Pump pressure", "Pressure"),
            ("bar",),
            low=9,
            high=20,
            step=1,
            asks=("How many bar is the pump of the {name}?", "What pump pressure does the {name} have?"),
            followups=("what pressure does the pump reach?",),
            prose=("The {name} extracts at {value}.",),
        ),
        "tank": Attr(
            "tank",
            ("Water tank", "Tank capacity", "Reservoir"),
            ("litres", "L", "ml"),
            low=1.0,
            high=2.5,
            step=0.1,
            asks=("How big is the water tank on the {name}?", "What's the water tank capacity of the {name}?"),
            followups=("how much water does the tank hold?",),
            prose=("The {name}'s water tank holds {value}.",),
        ),
        "heatup": Attr(
            "heatup",
            ("Heat-up time", "Ready in"),
            ("seconds", "s"),
            low=3,
            high=45,
            step=1,
            asks=("How long does the {name} take to heat up?",),
            followups=("how long does it take to warm up?",),
            prose=("The {name} is ready to brew in {value}.",),
        ),
        "capacity": Attr(
            "capacity",
            ("Capacity", "Volume"),
            ("litres", "L"),
            low=0.8,
            high=1.8,
            step=0.1,
            asks=("How much water does the {name} hold?", "What's the capacity of the {name}?"),
            followups=("how much does it hold?",),
            prose=("The {name} holds {value} of water.",),
            more="bigger",
            above=("Do you have a {noun} that holds at least {bound}?",),
        ),
        "boil": Attr(
            "boil",
            ("Boil time", "Boiling time"),
            ("minutes", "min"),
            low=2,
            high=6,
            step=0.5,
            asks=("How fast does the {name} boil?", "How long does the {name} take to boil?"),
            followups=("how quickly does it boil?",),
            prose=("A full {name} boils in {value}.",),
        ),
        "cord": Attr(
            "cord",
            ("Cord length", "Cable length"),
            ("cm", "m"),
            low=70,
            high=120,
            step=5,
            asks=("How long is the power cord of the {name}?",),
            followups=("how long is the cord?",),
            prose=("The {name} has a {value} cord.",),
        ),
        "basket": Attr(
            "basket",
            ("Basket capacity", "Capacity"),
            ("litres", "L"),
            low=2.5,
            high=9,
            step=0.5,
            asks=("How big is the basket of the {name}?", "What's the capacity of the {name}?"),
            followups=("how much food fits in it?", "what's the capacity?"),
            prose=("The {name}'s basket holds {value}.",),
            more="bigger",
        ),
        "temperature": Attr(
            "temperature",
            ("Temperature range", "Max temperature"),
            ("°C", "degrees Celsius"),
            low=180,
            high=230,
            step=10,
            asks=("How hot does the {name} get?", "What's the maximum temperature of the {name}?"),
            followups=("how hot does it get?",),
            prose=("The {name} heats up to {value}.",),
        ),
        "slots": Attr(
            "slots",
            ("Slots", "Number of slots"),
            low=2,
            high=4,
            step=2,
            asks=("How many slices does the {name} take?", "How many slots does the {name} have?"),
            followups=("how many slices can it toast at once?",),
            prose=("The {name} has {value} slots.",),
        ),
        "settings": Attr(
            "settings",
            ("Browning settings", "Browning levels"),
            low=5,
            high=9,
            step=1,
            asks=("How many browning settings does the {name} have?",),
            followups=("how many browning levels does it have?",),
            prose=("The {name} has {value} browning settings.",),
        ),
    },
    absent=(
        "Is the {name} dishwasher safe?",
        "What country is the {name} made in?",
        "Does the {name} have a self-cleaning mode?",
        "Who designed the {name}?",
    ),
    policy={"returns_days": 14, "free_shipping_over": 40, "delivery_days": "1 to 3", "price_match": False},
)

GARDEN = Business(
    key="garden",
    name="Greenhaven Garden Supply",
    description="A garden equipment shop: lawn mowers, hedge trimmers, leaf blowers, chainsaws and hoses.",
    currency="AUD",
    brands=("Verdalia", "Osterholt", "Fernway", "Quillon"),
    categories=(
        Category(
            "Lawn Mowers",
            "lawn mower",
            "lawn mowers",
            ("width", "grassbox", "power", "weight"),
            (150, 900),
            ("Meadow", "Striper", "Fairway"),
        ),
        Category(
            "Hedge Trimmers",
            "hedge trimmer",
            "hedge trimmers",
            ("blade", "gap", "runtime", "weight"),
            (60, 300),
            ("Topiary", "Clipper", "Boxwood"),
        ),
        Category(
            "Leaf Blowers",
            "leaf blower",
            "leaf blowers",
            ("airspeed", "noise", "power", "weight"),
            (50, 350),
            ("Gale", "Zephyr", "Sweep"),
        ),
        Category(
            "Chainsaws", "chainsaw", "chainsaws", ("bar", "power", "weight"), (120, 600), ("Timber", "Logger", "Ranger")
        ),
        Category(
            "Garden Hoses",
            "garden hose",
            "garden hoses",
            ("hoselength", "diameter", "burst", "material"),
            (20, 120),
            ("Rainmaker", "Soak", "Trickle"),
        ),
    ),
    attrs={
        "weight": Attr(
            **{
                **_weight(1.5, 38, 0.1, ("kg", "kilograms", "kilogrammes", "KG")).__dict__,
                "keys": ("Weight", "Net weight", "Mass", "Weight (bare tool)"),
                "asks": (
                    "How much does the {name} weigh?",
                    "Is the {name} heavy?",
                    "what's the {name} weigh",
                    "How heavy is the {name} to carry?",
                    "weight of the {name}?",
                ),
                "followups": ("what does it weigh?", "is it heavy?", "and how heavy is it?", "what about its weight?"),
            }
        ),
        "width": Attr(
            "width",
            ("Cutting width", "Cut width", "Deck width"),
            ("cm", "centimetres", "mm"),
            low=32,
            high=56,
            step=1,
            asks=(
                "How wide does the {name} cut?",
                "What's the cutting width of the {name}?",
                "how wide a strip does the {name} mow",
            ),
            followups=("how wide does it cut?", "and the cutting width?"),
            prose=(
                "The {name} mows a {value} strip with each pass.",
                "With a {value} cut, the {name} suits mid-size lawns.",
            ),
            more="wider",
        ),
        "grassbox": Attr(
            "grassbox",
            ("Grass box", "Collection bag capacity", "Catcher volume"),
            ("litres", "L", "ltr"),
            low=30,
            high=70,
            step=5,
            asks=(
                "How big is the grass box on the {name}?",
                "How much grass does the {name} collect before I empty it?",
                "What's the grass catcher capacity of the {name}?",
            ),
            followups=("how big is the grass box?", "how much does the bag hold?"),
            prose=("The {name}'s collection bag takes {value} of clippings.",),
        ),
        "power": Attr(
            "power",
            ("Motor power", "Rated power", "Output", "Power"),
            ("W", "watts"),
            low=600,
            high=2400,
            step=100,
            asks=(
                "How powerful is the {name}?",
                "How strong is the motor on the {name}?",
                "What wattage is the {name}?",
                "how many watts is the {name}",
            ),
            followups=("how strong is the motor?", "how powerful is it?", "what's its wattage?"),
            prose=("A {value} motor drives the {name}.", "The {name} is powered by a {value} motor."),
            more="more powerful",
            alt=(("kW", 0.001),),
        ),
        "blade": Attr(
            "blade",
            ("Blade length", "Cutting length", "Blade"),
            ("cm", "centimetres"),
            low=40,
            high=75,
            step=5,
            asks=("How long is the blade on the {name}?", "What blade length does the {name} have?"),
            followups=("how long is the blade?", "and the blade length?"),
            prose=("The {name} carries a {value} double-sided blade.",),
        ),
        "gap": Attr(
            "gap",
            ("Tooth gap", "Cutting capacity", "Max branch thickness"),
            ("mm", "millimetres"),
            low=14,
            high=30,
            step=1,
            asks=("How thick a branch can the {name} cut?", "What's the tooth gap of the {name}?"),
            followups=("how thick a branch can it handle?", "what's the tooth gap?"),
            prose=("The {name} cuts branches up to {value} thick.",),
        ),
        "runtime": Attr(
            "runtime",
            ("Runtime", "Run time per charge", "Battery life"),
            ("minutes", "min", "mins"),
            low=25,
            high=90,
            step=5,
            asks=(
                "How long does the {name} run on one battery?",
                "What's the battery life of the {name}?",
                "How many minutes do I get from a charge of the {name}?",
            ),
            followups=("how long does the battery last?", "how long will it run?"),
            prose=("A charged battery keeps the {name} going for {value}.",),
        ),
        "airspeed": Attr(
            "airspeed",
            ("Air speed", "Max air velocity", "Blowing speed"),
            ("km/h",),
            low=180,
            high=320,
            step=10,
            asks=("How fast is the air from the {name}?", "What air speed does the {name} reach?"),
            followups=("how fast does it blow?", "and the air speed?"),
            prose=("The {name} pushes air out at up to {value}.",),
        ),
        "noise": Attr(
            "noise",
            ("Noise level", "Sound power level", "Sound pressure"),
            ("dB", "dB(A)", "decibels"),
            low=78,
            high=104,
            step=1,
            asks=("How loud is the {name}?", "How noisy is the {name}?", "What's the noise level of the {name}?"),
            followups=("is it loud?", "how noisy is it?"),
            prose=("Measured at the operator's ear, the {name} produces {value}.",),
            less="quieter",
        ),
        "bar": Attr(
            "bar",
            ("Bar length", "Guide bar", "Guide bar length"),
            ("in", "inches", "inch"),
            low=12,
            high=20,
            step=2,
            asks=("What size bar does the {name} have?", "How long is the guide bar on the {name}?"),
            followups=("how long is the bar?", "and the bar length?"),
            prose=("The {name} runs a {value} guide bar.",),
        ),
        "hoselength": Attr(
            "hoselength",
            ("Length", "Hose length"),
            ("m", "metres", "meters"),
            low=10,
            high=50,
            step=5,
            asks=("How long is the {name}?", "What length is the {name}?", "how many metres is the {name}"),
            followups=("how long is it?", "and the length?"),
            prose=("The {name} reaches {value} from the tap.",),
            more="longer",
            above=("Do you have a {noun} at least {bound} long?",),
        ),
        "diameter": Attr(
            "diameter",
            ("Inner diameter", "Diameter", "Bore"),
            ("mm",),
            low=12,
            high=25,
            step=1,
            asks=("What diameter is the {name}?", "How wide is the bore of the {name}?"),
            followups=("what diameter is it?",),
            prose=("The {name} has a {value} bore.",),
        ),
        "burst": Attr(
            "burst",
            ("Burst pressure", "Max pressure", "Pressure rating"),
            ("bar",),
            low=12,
            high=40,
            step=2,
            asks=("What pressure can the {name} take?", "What's the burst pressure of the {name}?"),
            followups=("how much pressure can it take?",),
            prose=("The {name} withstands up to {value} before bursting.",),
        ),
        "material": Attr(
            "material",
            ("Material", "Hose material", "Construction"),
            words=("PVC", "rubber", "reinforced PVC", "polyurethane"),
            asks=("What is the {name} made of?", "What material is the {name}?"),
            followups=("what's it made of?", "and the material?"),
            prose=("The {name} is made of {value}.",),
        ),
    },
    absent=(
        "Where is the {name} manufactured?",
        "Can I hire the {name} for a weekend?",
        "What year did the {name} come out?",
        "Who engineered the {name}?",
    ),
    features=(
        "a carry bag",
        "a wall bracket",
        "an app connection",
        "a spare blade",
        "a mulching plug",
        "a charging dock",
    ),
    policy={"returns_days": 60, "free_shipping_over": 75, "delivery_days": "2 to 5", "price_match": True},
    variety=True,
)

OFFICE = Business(
    key="office",
    name="Deskline Office Furniture",
    description="An office furniture shop: standing desks, office chairs, monitor arms, lamps and filing cabinets.",
    currency="CAD",
    brands=("Arbeit", "Northwall", "Kinsey", "Ovaline"),
    categories=(
        Category(
            "Standing Desks",
            "standing desk",
            "standing desks",
            ("deskheight", "deskload", "desktop", "weight"),
            (300, 1400),
            ("Rise", "Lift", "Elevate"),
        ),
        Category(
            "Office Chairs",
            "office chair",
            "office chairs",
            ("userweight", "recline", "seatheight", "armrests"),
            (150, 1200),
            ("Posture", "Contour", "Tilt"),
        ),
        Category(
            "Monitor Arms",
            "monitor arm",
            "monitor arms",
            ("screen", "armload", "vesa"),
            (40, 300),
            ("Reach", "Swivel", "Pivot"),
        ),
        Category(
            "Desk Lamps",
            "desk lamp",
            "desk lamps",
            ("lumens", "colortemp", "lamppower"),
            (30, 220),
            ("Beam", "Glow", "Focus"),
        ),
        Category(
            "Filing Cabinets",
            "filing cabinet",
            "filing cabinets",
            ("drawers", "cabinetheight", "lock", "weight"),
            (120, 600),
            ("Archive", "Ledger", "Vault"),
        ),
    ),
    attrs={
        "weight": Attr(
            **{
                **_weight(4, 60, 0.5, ("kg", "kilograms", "lb")).__dict__,
                "keys": ("Weight", "Product weight", "Shipping weight", "Net weight"),
            }
        ),
        "deskheight": Attr(
            "deskheight",
            ("Height range", "Adjustable height", "Height adjustment"),
            words=("62–127 cm", "70–120 cm", "65–130 cm", "72–118 cm"),
            asks=(
                "How high does the {name} go?",
                "What's the height range of the {name}?",
                "How low and how high can the {name} be set?",
            ),
            followups=("how high does it go?", "what heights can it be set to?"),
            prose=("The {name} adjusts between {value}.",),
        ),
        "deskload": Attr(
            "deskload",
            ("Load capacity", "Max load", "Weight capacity"),
            ("kg", "kilograms"),
            low=60,
            high=160,
            step=10,
            asks=("How much weight can the {name} carry?", "What's the load capacity of the {name}?"),
            followups=("how much can it hold?", "what's the max load?"),
            prose=("The {name} carries up to {value} on its top.",),
            more="sturdier",
        ),
        "desktop": Attr(
            "desktop",
            ("Desktop width", "Top width", "Width"),
            ("cm", "mm"),
            low=100,
            high=180,
            step=20,
            asks=("How wide is the {name}?", "What's the desktop width of the {name}?"),
            followups=("how wide is it?", "and the width?"),
            prose=("The {name}'s top is {value} wide.",),
            more="wider",
        ),
        "userweight": Attr(
            "userweight",
            ("Max user weight", "User weight limit", "Maximum load"),
            ("kg", "lbs"),
            low=100,
            high=160,
            step=5,
            asks=("What's the weight limit of the {name}?", "How heavy a person can the {name} take?"),
            followups=("what's the weight limit?", "how heavy a person can it take?"),
            prose=("The {name} is tested for users up to {value}.",),
        ),
        "recline": Attr(
            "recline",
            ("Recline angle", "Max recline", "Backrest tilt"),
            ("°", "degrees"),
            low=100,
            high=135,
            step=5,
            asks=("How far does the {name} recline?", "What's the recline angle of the {name}?"),
            followups=("how far does it recline?", "and the recline?"),
            prose=("The backrest of the {name} tilts back to {value}.",),
        ),
        "seatheight": Attr(
            "seatheight",
            ("Seat height", "Seat height range"),
            words=("42–52 cm", "44–55 cm", "40–50 cm", "46–56 cm"),
            asks=("What's the seat height of the {name}?", "How high is the seat of the {name}?"),
            followups=("how high is the seat?",),
            prose=("The seat of the {name} sits at {value}.",),
        ),
        "armrests": Attr(
            "armrests",
            ("Armrests", "Arms"),
            words=("fixed", "2D adjustable", "4D adjustable", "flip-up"),
            asks=("What kind of armrests does the {name} have?", "Are the armrests on the {name} adjustable?"),
            followups=("what about the armrests?", "and the arms?"),
            prose=("The {name} comes with {value} armrests.",),
        ),
        "screen": Attr(
            "screen",
            ("Max screen size", "Screen size", "Monitor size"),
            ("in", "inches", '"'),
            low=24,
            high=49,
            step=1,
            asks=("What's the biggest screen the {name} can take?", "What screen size fits the {name}?"),
            followups=("how big a screen does it take?",),
            prose=("The {name} holds screens up to {value}.",),
        ),
        "armload": Attr(
            "armload",
            ("Load per arm", "Max payload", "Weight capacity"),
            ("kg",),
            low=2,
            high=15,
            step=0.5,
            asks=("How heavy a monitor can the {name} hold?", "What's the payload of the {name}?"),
            followups=("how heavy a monitor can it hold?",),
            prose=("Each arm of the {name} supports {value}.",),
        ),
        "vesa": Attr(
            "vesa",
            ("VESA", "Mount pattern", "VESA pattern"),
            words=("75x75", "100x100", "75x75 and 100x100"),
            asks=("What VESA pattern does the {name} use?", "Which mount pattern fits the {name}?"),
            followups=("what VESA pattern is it?",),
            prose=("The {name} fits {value} VESA mounts.",),
        ),
        "lumens": Attr(
            "lumens",
            ("Light output", "Brightness", "Luminous flux"),
            ("lumens", "lm"),
            low=300,
            high=1200,
            step=50,
            asks=("How bright is the {name}?", "How many lumens does the {name} give?"),
            followups=("how bright is it?",),
            prose=("The {name} gives off {value}.",),
            more="brighter",
        ),
        "colortemp": Attr(
            "colortemp",
            ("Colour temperature", "Color temperature", "Light colour"),
            ("K",),
            low=2700,
            high=6500,
            step=100,
            asks=("What colour temperature is the {name}?", "How warm is the light of the {name}?"),
            followups=("what colour temperature is it?",),
            prose=("The {name} shines at {value}.",),
        ),
        "lamppower": Attr(
            "lamppower",
            ("Power consumption", "Power", "Wattage"),
            ("W", "watts"),
            low=5,
            high=15,
            step=1,
            asks=("How many watts does the {name} use?", "What's the power consumption of the {name}?"),
            followups=("how much power does it use?",),
            prose=("The {name} draws just {value}.",),
        ),
        "drawers": Attr(
            "drawers",
            ("Drawers", "Number of drawers"),
            low=2,
            high=5,
            step=1,
            asks=("How many drawers does the {name} have?",),
            followups=("how many drawers has it got?",),
            prose=("The {name} has {value} drawers.",),
        ),
        "cabinetheight": Attr(
            "cabinetheight",
            ("Height", "Overall height"),
            ("cm", "mm"),
            low=60,
            high=140,
            step=5,
            asks=("How tall is the {name}?", "What's the height of the {name}?"),
            followups=("how tall is it?",),
            prose=("The {name} stands {value} tall.",),
            more="taller",
        ),
        "lock": Attr(
            "lock",
            ("Lock", "Locking"),
            words=("key lock", "combination lock", "central locking"),
            asks=("Does the {name} lock?", "What kind of lock does the {name} have?"),
            followups=("does it lock?",),
            prose=("The {name} is secured by a {value}.",),
        ),
    },
    absent=(
        "Is the {name} made in Canada?",
        "Who designed the {name}?",
        "Can I order the {name} in walnut?",
        "When did the {name} launch?",
    ),
    features=("a cable tray", "castors", "a footrest", "a USB charging port", "a headrest", "a wireless charger"),
    policy={"returns_days": 30, "free_shipping_over": 250, "delivery_days": "5 to 10", "price_match": False},
    variety=True,
)


AUDIO = Business(
    key="audio",
    name="Soundhaus Audio",
    description="A portable audio shop: headsets, portable speakers, power banks and microphones.",
    currency="GBP",
    brands=("Aurel", "Klangwerk", "Sonora", "Tessel"),
    categories=(
        Category(
            "Headsets",
            "headset",
            "headsets",
            ("playback", "charge", "weight", "driver"),
            (60, 400),
            ("Drift", "Cadence", "Lull", "Nocturne"),
        ),
        Category(
            "Portable Speakers",
            "speaker",
            "speakers",
            ("playback", "power", "range", "weight"),
            (40, 350),
            ("Pebble", "Tide", "Crest"),
        ),
        Category(
            "Power Banks",
            "power bank",
            "power banks",
            ("battery", "ports", "charge", "weight"),
            (20, 120),
            ("Reserve", "Spark", "Cellar"),
        ),
        Category(
            "Microphones",
            "microphone",
            "microphones",
            ("pattern", "cable", "weight"),
            (50, 300),
            ("Quill", "Vesper", "Murmur"),
        ),
    ),
    attrs={
        "weight": Attr(
            **{
                **WEIGHT_KG.__dict__,
                "low": 0.2,
                "high": 3.5,
                "step": 0.1,
                "alt": (("g", 1000.0),),
                "asks": (
                    "How much does the {name} weigh?",
                    "how heavy is the {name}?",
                    "Is the {name} light enough to carry around all day - what does it weigh?",
                ),
                "followups": ("how heavy is it?", "and what does it weigh?", "is it heavy?"),
            }
        ),
        "playback": Attr(
            "playback",
            ("Playback time", "Battery life", "Run time"),
            ("h", "hours"),
            low=6,
            high=40,
            step=1,
            asks=(
                "How long does the battery last on the {name}?",
                "how many hours of music do I get from the {name}?",
                "How long will the {name} play on a single charge?",
                "what's the battery life like on the {name}?",
            ),
            followups=(
                "how long does the battery last?",
                "and how many hours will it play for?",
                "how long does it run on one charge?",
            ),
            prose=("The {name} plays for up to {value} on a full charge.", "Expect {value} of listening per charge."),
        ),
        "charge": Attr(
            "charge",
            ("Charging time", "Recharge time", "Time to full charge"),
            ("h", "hours"),
            low=1,
            high=5,
            step=0.5,
            alt=(("min", 60.0),),
            asks=(
                "How long does the {name} take to charge?",
                "how long to fully charge the {name}?",
                "How long before the {name} is topped up from flat?",
            ),
            followups=("and how long does it take to charge?", "how long to recharge it?"),
            prose=("A full recharge of the {name} takes {value}.",),
        ),
        "driver": Attr(
            "driver",
            ("Driver size", "Driver diameter", "Drivers"),
            ("mm",),
            low=30,
            high=50,
            step=1,
            asks=("How big are the speakers inside the {name}?", "what size drivers does the {name} use?"),
            followups=("how big are the drivers in it?",),
            prose=("The {name} uses {value} drivers.",),
        ),
        "power": Attr(
            "power",
            ("Output power", "Amplifier output", "Rated output"),
            ("W", "watts"),
            low=5,
            high=60,
            step=1,
            asks=("How powerful is the {name}?", "how many watts is the {name}?", "What's the output of the {name}?"),
            followups=("how powerful is it?", "and how many watts does it put out?"),
            prose=("The {name} delivers {value} of output.",),
            more="more powerful",
        ),
        "range": Attr(
            "range",
            ("Bluetooth range", "Wireless range", "Range"),
            ("m", "metres"),
            low=10,
            high=40,
            step=5,
            asks=(
                "How far from my phone can the {name} be?",
                "what's the bluetooth range of the {name}?",
                "how far away can I walk with my phone before the {name} cuts out?",
            ),
            followups=("how far from my phone can I go?", "and its range?"),
            prose=("The {name} keeps its connection up to {value} away.",),
        ),
        "battery": Attr(
            "battery",
            ("Battery capacity", "Cell capacity", "Capacity"),
            ("mAh",),
            low=5000,
            high=26800,
            step=100,
            asks=(
                "How much charge does the {name} hold?",
                "how big is the battery in the {name}?",
                "What's the mAh of the {name}?",
            ),
            followups=("how big is its battery?", "and how much charge does it store?"),
            prose=("The {name} stores {value}.",),
        ),
        "ports": Attr(
            "ports",
            ("USB ports", "Output ports", "Outputs"),
            low=1,
            high=4,
            step=1,
            asks=(
                "How many devices can I charge at once with the {name}?",
                "how many phones can the {name} charge at the same time?",
                "How many USB ports does the {name} have?",
            ),
            followups=("how many things can it charge at once?",),
            prose=("The {name} has {value} USB outputs.",),
        ),
        "cable": Attr(
            "cable",
            ("Cable length", "Cord length", "Lead length"),
            ("m", "metres"),
            low=1,
            high=5,
            step=0.5,
            asks=(
                "How long is the cord on the {name}?",
                "how much cable comes with the {name}?",
                "What length of lead does the {name} have?",
            ),
            followups=("how long is the cord?", "and the cable length?"),
            prose=("The {name} ships with a {value} cable.",),
        ),
        "pattern": Attr(
            "pattern",
            ("Polar pattern", "Pickup pattern"),
            words=("cardioid", "omnidirectional", "supercardioid", "figure-8"),
            asks=("What pickup pattern does the {name} use?", "what's the polar pattern of the {name}?"),
            followups=("which pickup pattern does it have?",),
            prose=("The {name} has a {value} pickup pattern.",),
        ),
    },
    absent=(
        "What country is the {name} made in?",
        "Who designed the {name}?",
        "When was the {name} first released?",
    ),
    features=(
        "active noise cancelling",
        "a carry case",
        "a replaceable battery",
        "an equaliser app",
        "a wall mount",
        "wireless charging",
    ),
    near={
        "Headsets": (
            "How loud can the {name} get?",
            "What's the impedance of the {name}?",
            "how far from my phone can I be with the {name}?",
        ),
        "Portable Speakers": (
            "How long does the {name} take to charge?",
            "how waterproof is the {name}?",
            "What size are the drivers in the {name}?",
        ),
        "Power Banks": (
            "What's the output wattage of the {name}?",
            "How many times can the {name} charge my phone?",
            "how long does the battery last on the {name}?",
        ),
        "Microphones": (
            "How far from the {name} should I sit?",
            "What's the sensitivity of the {name}?",
            "how long does the {name} take to charge?",
        ),
    },
    parts=("battery", "charging cable", "ear cushions", "carry strap"),
    policy={"returns_days": 45, "free_shipping_over": 40, "delivery_days": "1 to 3", "price_match": False},
    variety=True,
    shapes=True,
)

BUSINESSES = {b.key: b for b in (BIKES, HARDWARE, KITCHEN, GARDEN, OFFICE, AUDIO)}


@dataclass
class Product:
    sku: str
    name: str
    category: Category
    brand: str
    price: float
    stock: int
    values: dict[str, str]
    """Attribute -> the value as the manual writes it ("7.4 kg", "carbon fibre")."""
    numbers: dict[str, float]
    warranty_years: int
    doc: str
    """The manual's title (its file name without the extension)."""


_SYLLABLES = ("ka", "ro", "vel", "tin", "mar", "lo", "zen", "qui", "dra", "sol", "nex", "ther", "bo", "ly")
_NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five", 1: "one"}


def _fmt(x: float, step: float) -> str:
    return f"{x:.0f}" if float(step).is_integer() else f"{x:.1f}"


def _draw(attr: Attr, rng: random.Random) -> tuple[str, float]:
    if attr.words:
        w = rng.choice(attr.words)
        return w, float(attr.words.index(w))
    n = round(rng.uniform(attr.low, attr.high) / attr.step) * attr.step
    n = max(attr.low, min(attr.high, n))
    shown = _fmt(n, attr.step)
    if not attr.units:
        return shown, float(shown)
    unit = rng.choice(attr.units)
    if unit == "ml":
        return f"{float(shown) * 1000:.0f} ml", float(shown)
    if unit == "m" and attr.units[0] == "cm":
        return f"{float(shown) / 100:g} m", float(shown)
    gap = "" if unit in ("°C",) else " "
    return f"{shown}{gap}{unit}", float(shown)


def _draw_varied(attr: Attr, rng: random.Random) -> tuple[str, float]:
    """A figure as manuals really write it: another unit of the same measure ("1.6 kW" for 1600 W), a decimal comma
    ("7,4 kg"), no space before the unit ("42cm"); the number stays in the first unit, for comparisons."""
    if attr.words or not attr.units:
        return _draw(attr, rng)
    n = round(rng.uniform(attr.low, attr.high) / attr.step) * attr.step
    n = float(_fmt(max(attr.low, min(attr.high, n)), attr.step))
    unit, factor = rng.choice([(u, 1.0) for u in attr.units] + list(attr.alt))
    if unit == "mm" and attr.units[0] == "cm":
        factor = 10.0
    shown = f"{n * factor:g}"
    style = rng.random()
    if style < 0.15 and "." in shown:
        shown = shown.replace(".", ",")
    gap = "" if unit in ("°", '"') or (style > 0.8 and unit.isalpha() and len(unit) <= 3) else " "
    return f"{shown}{gap}{unit}", n


def products_of(b: Business, rng: random.Random) -> list[Product]:
    out: list[Product] = []
    n = 0
    for cat in b.categories:
        count = rng.randint(3, 4)
        models = list(cat.models)
        rng.shuffle(models)
        for i in range(count):
            n += 1
            brand = rng.choice(b.brands)
            model = models[i % len(models)] + (f" {rng.choice([2, 3, 5, 7]) * 100}" if i >= len(models) - 1 else "")
            name = f"{brand} {model} {cat.noun.title() if cat.noun[0] != 'e' else 'E-Bike'}"
            if any(p.name == name for p in out):
                name = f"{brand} {model} {rng.choice(['Pro', 'Plus', 'Lite', 'XR'])} {cat.noun.title()}"
            values, numbers = {}, {}
            for a in cat.attrs:
                v, x = (_draw_varied if b.variety else _draw)(b.attrs[a], rng)
                values[a], numbers[a] = v, x
            price = round(rng.uniform(*cat.price) / 5) * 5 - 0.01
            sku = f"{b.key[:2].upper()}-{n:03d}"
            slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            out.append(
                Product(
                    sku,
                    name,
                    cat,
                    brand,
                    round(price, 2),
                    rng.randint(0, 40),
                    values,
                    numbers,
                    rng.choice([1, 2, 3, 5]),
                    f"{slug}-manual",
                )
            )
    return out


def _spec_lines(b: Business, p: Product, rng: random.Random, layout: str) -> list[str]:
    rows = [(rng.choice(b.attrs[a].keys), v) for a, v in p.values.items()]
    rows.insert(rng.randint(0, len(rows)), ("Model", p.name.split(" ", 1)[1]))
    if rng.random() < 0.5:
        rows.append(("Warranty", f"{p.warranty_years} year{'s' if p.warranty_years > 1 else ''}"))
    if layout == "bold":
        return [f"**{k}**: {v}  " for k, v in rows]
    if layout == "bullets":
        return [f"- {k}: {v}" for k, v in rows]
    return ["| Specification | Value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]


def manual(b: Business, p: Product, rng: random.Random) -> str:
    """A product manual: overview, specifications in one of several layouts (or prose), care, warranty."""
    layout = rng.choice(["bold", "bullets", "table", "prose"])
    lines = [f"# {p.name}", "", f"{p.brand} {p.category.noun} — user manual.", "", "## Overview", ""]
    lines.append(
        f"Thank you for choosing the {p.name}. This guide explains how to set up, use and look after your "
        f"{p.category.noun}. Please read it before first use and keep it for reference."
    )
    lines += ["", "## Specifications" if layout != "prose" else "## About this product", ""]
    if layout == "prose":
        said = []
        for a, v in p.values.items():
            attr = b.attrs[a]
            said.append(
                rng.choice(attr.prose)
                .format(name=p.name if rng.random() < 0.5 else "unit", value=v)
                .replace("The unit", f"The {p.category.noun}")
                .replace("the unit", f"the {p.category.noun}")
            )
        lines.append(" ".join(said))
    else:
        lines += _spec_lines(b, p, rng, layout)
    lines += [
        "",
        "## Care and maintenance",
        "",
        f"- Wipe the {p.category.noun} with a dry cloth after use.",
        "- Store it in a dry place away from direct sunlight.",
        "- Inspect it regularly and replace worn parts with genuine spares.",
        "",
        "## Warranty",
        "",
    ]
    years = p.warranty_years
    lines.append(
        rng.choice(
            [
                f"The {p.name} is covered by a {years}-year limited warranty against defects in materials and "
                "workmanship.",
                f"{p.brand} guarantees this product for {years} year{'s' if years > 1 else ''} from the date of "
                "purchase. Keep your receipt as proof of purchase.",
            ]
        )
    )
    return "\n".join(lines) + "\n"


_NOTES = ("", "nominal", "typical", "measured to EN standards", "without accessories", "manufacturer's figure")
_LAYOUTS = ("bold", "bullets", "table", "table3", "split", "leaders", "dash", "glance", "paragraphs")


def _model(p: Product) -> str:
    """The product's model as a range guide writes it: "Meadow 300" for "Verdalia Meadow 300 Lawn Mower"."""
    return p.name.removeprefix(f"{p.brand} ").removesuffix(f" {p.category.noun.title()}")


def _varied_specs(b: Business, p: Product, rng: random.Random, layout: str) -> list[str]:
    """Specification lines in layouts beyond key: value: three-column tables, a value and its unit in separate
    cells, leader dots, dashes, value-first lists."""
    rows = [(a, rng.choice(b.attrs[a].keys), v) for a, v in p.values.items()]
    if layout in ("bold", "bullets", "table"):
        return _spec_lines(b, p, rng, layout)
    if layout == "table3":
        head = rng.choice([("Specification", "Value", "Notes"), ("Feature", "Rating", "Remarks")])
        body = [f"| {k} | {v} | {rng.choice(_NOTES)} |" for _, k, v in rows]
        return [f"| {head[0]} | {head[1]} | {head[2]} |", "|---|---|---|", *body]
    if layout == "split":
        body = []
        for _, k, v in rows:
            m = re.match(r"^(\d+(?:[.,]\d+)?)\s*(\D.*)$", v)
            body.append(f"| {k} | {m.group(1)} | {m.group(2)} |" if m else f"| {k} | {v} | — |")
        return ["| Parameter | Value | Unit |", "|---|---|---|", *body]
    if layout == "leaders":
        return [f"{k} {'.' * (28 - len(k))} {v}" for _, k, v in rows]
    if layout == "dash":
        mark = rng.choice([" — ", " - ", " – "])
        return [f"{k}{mark}{v}" for _, k, v in rows]
    if layout == "glance":
        return ["At a glance: " + " · ".join(f"{v} {k.lower()}" for _, k, v in rows)]
    # paragraphs: prose spread over paragraphs, between sentences that state nothing, with an earlier model's figure
    said = [
        rng.choice(b.attrs[a].prose).format(name=rng.choice([p.name, f"{p.category.noun}"]), value=v)
        for a, _, v in rows
    ]
    said = [s[:1].upper() + s[1:] for s in said]
    filler = [
        f"Every {p.category.noun} is checked by hand before it leaves the workshop.",
        "Owners tell us it is the part of the garden routine they look forward to.",
        f"The controls of the {p.name} fall naturally to hand.",
    ]
    _, _, v = rows[0]
    m = re.match(r"^(\d+(?:[.,]\d+)?)(\s*\D.*)$", v)
    if m and rng.random() < 0.6:
        old = f"{float(m.group(1).replace(',', '.')) * 1.3:.0f}"
        said.insert(1, f"The first-generation {_model(p)} Mk I, now discontinued, managed {old}{m.group(2)}.")
    paragraphs = [" ".join(said[:2] + filler[:1]), " ".join(said[2:] + filler[1:])]
    return [paragraphs[0], "", paragraphs[1]]


def varied_manual(b: Business, p: Product, rng: random.Random) -> str:
    """A manual in one of the wider layouts (`_LAYOUTS`), the warranty as a line or a sentence."""
    layout = rng.choice(_LAYOUTS)
    lines = [f"# {p.name}", "", f"{p.brand} {p.category.noun} — owner's handbook.", "", "## Introduction", ""]
    lines.append(
        f"Congratulations on your new {p.name}. This handbook covers assembly, safe use and upkeep of your "
        f"{p.category.noun}; keep it somewhere handy."
    )
    lines += ["", rng.choice(["## Technical data", "## Specifications", "## Key figures"]), ""]
    lines += _varied_specs(b, p, rng, layout)
    years = p.warranty_years
    lines += [
        "",
        "## Looking after it",
        "",
        f"Clean the {p.category.noun} after each use and store it indoors over winter.",
        "",
        "## Guarantee",
        "",
        rng.choice(
            [
                f"Your {p.name} carries a {years}-year guarantee from the date of purchase.",
                f"Warranty: {years} year{'s' if years > 1 else ''} (parts and labour).",
                f"We repair or replace the {p.category.noun} free of charge for {_NUMBERS[years]} "
                f"year{'s' if years > 1 else ''} if a fault appears.",
            ]
        ),
    ]
    return "\n".join(lines) + "\n"


def _guide_title(cat: Category) -> str:
    return re.sub(r"[^a-z0-9]+", "-", cat.name.lower()).strip("-") + "-range-guide"


def range_guide(b: Business, cat: Category, products: list[Product], rng: random.Random) -> str:
    """One page naming every product of a category, a table with a row per model: a source whose every line is
    about another item than most questions ask about."""
    attrs = list(cat.attrs[:3])
    named = rng.random() < 0.5  # rows by full name, or by model name only ("Meadow 300")
    head = ["Model", *(b.attrs[a].keys[0] for a in attrs)]
    lines = [
        f"# {cat.name}: the range at a glance",
        "",
        f"All our {cat.plural} side by side. Figures come from each maker's own data sheet.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for p in products:
        lines.append("| " + " | ".join([p.name if named else _model(p), *(p.values[a] for a in attrs)]) + " |")
    return "\n".join(lines) + "\n"


def policies(b: Business) -> str:
    pol = b.policy
    match = (
        "We match the price of any identical item sold by a national retailer: show us the offer at checkout."
        if pol["price_match"]
        else ""
    )
    return (
        f"# {b.name} store policies\n\n## Returns\n\nYou can return any unused item within {pol['returns_days']} days "
        "of delivery for a full refund. Items must be in their original packaging.\n\n## Delivery\n\n"
        f"Standard delivery takes {pol['delivery_days']} working days. Delivery is free on orders over "
        f"{pol['free_shipping_over']} {b.currency}; below that it costs 4.95 {b.currency}.\n\n"
        f"## Price match\n\n{match or 'We do not offer price matching.'}\n"
    )


def catalog_csv(b: Business, products: list[Product], rng: random.Random) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["sku", "name", "price", "category", "brand", "stock", "description"])
    for p in products:
        blurb = (
            f"The {p.name} from {p.brand} is a {p.category.noun} made for everyday use, with a "
            f"{p.warranty_years}-year warranty."
            if rng.random() < 0.5
            else f"Meet the {p.name}: a dependable {p.category.noun} by {p.brand}."
        )
        w.writerow([p.sku, p.name, f"{p.price:.2f}", p.category.name, p.brand, p.stock, blurb])
    return buf.getvalue()


# --- questions --------------------------------------------------------------------------------------------------


def _doc(p: Product) -> dict[str, str]:
    return {"source": "documents", "title": p.doc, "section": ""}


def _guide(b: Business, cat: Category, attr: str) -> list[dict[str, str]]:
    """The category's range guide, when it states the attribute (a varied business's guides state the first three)."""
    if not b.variety or attr not in cat.attrs[:3]:
        return []
    return [{"source": "documents", "title": _guide_title(cat), "section": ""}]


def _cat(p: Product) -> dict[str, str]:
    return {"source": "catalog", "id": f"catalog:product:{p.sku}"}


def _figure(value: str) -> list[str]:
    """The figure as it must appear: the value as written, or its number with the unit spelt another way."""
    m = re.match(r"^(\d+(?:[.,]\d+)?)\s*(.*)$", value)
    if not m:
        return [value]
    number = m.group(1)
    return [f"{value}|{number}"] if m.group(2) else [number]


def _warranty_figure(years: int) -> str:
    word = _NUMBERS.get(years, str(years))
    return "|".join([f"{years}-year", f"{years} year", f"{word}-year", f"{word} year"])


def _turn(question: str, kind: str, sources: list, answer: str, must: list[str], items: list[Product]) -> dict:
    return {
        "question": question,
        "kind": kind,
        "expected_sources": sources,
        "items": [f"catalog:product:{p.sku}" for p in items],
        "answer": answer,
        "must_contain": must,
    }


def _fact(b: Business, p: Product, attr: str, rng: random.Random, follow: bool = False) -> dict:
    a = b.attrs[attr] if attr != "warranty" else WARRANTY
    template = rng.choice(a.followups if follow else a.asks)
    q = template.format(name=p.name)
    if attr == "warranty":
        years = p.warranty_years
        return _turn(q, "fact", [_doc(p)], f"The {p.name} has a {years}-year warranty.", [_warranty_figure(years)], [p])
    v = p.values[attr]
    sources = [_doc(p), *_guide(b, p.category, attr)]  # a range guide's row states it too
    return _turn(q, "fact", sources, f"The {p.name}'s {a.keys[0].lower()} is {v}.", _figure(v), [p])


def _price(b: Business, p: Product, q: str) -> dict:
    shown = f"{p.price:.2f}"
    return _turn(q, "price", [_cat(p)], f"The {p.name} costs {shown} {b.currency}.", [shown], [p])


def _varied_questions(b: Business, products: list[Product], rng: random.Random) -> list[dict]:
    """Question shapes beyond one item and one attribute: two items at once ("how much are they?"), the same
    attribute of the next item ("and the Y?"), a comparison as a follow-up, features no source states."""
    out: list[dict] = []
    by_cat = {c.name: [p for p in products if p.category is c] for c in b.categories}
    ask_feature = (
        "Does the {name} have {feature}?",
        "Does the {name} come with {feature}?",
        "is there {feature} on the {name}",
    )
    for p in rng.sample(products, 4):
        q = rng.choice(ask_feature).format(name=p.name, feature=rng.choice(b.features))
        out.append(_turn(q, "unanswerable", [], "I don't know.", [], [p]))
    for p in rng.sample(products, 6):  # one more fact each, in another of the template's wordings
        out.append(_fact(b, p, rng.choice(list(p.values)), rng))
    for cat in rng.sample(list(b.categories), 3):
        x, y = rng.sample(by_cat[cat.name], 2)
        both = [x, y]
        turns = [
            _turn(
                rng.choice(
                    [f"I'm choosing between the {x.name} and the {y.name}.", f"I like the {x.name} and the {y.name}."]
                ),
                "statement",
                [_cat(x), _cat(y)],
                "",
                [],
                both,
            ),
            _turn(
                rng.choice(["how much are they?", "What do they cost?", "and their prices?"]),
                "price",
                [_cat(x), _cat(y)],
                f"{x.price:.2f} and {y.price:.2f} {b.currency}.",
                [f"{x.price:.2f}", f"{y.price:.2f}"],
                both,
            ),
        ]
        comparable = [a for a in cat.attrs if (b.attrs[a].less or b.attrs[a].more) and x.numbers[a] != y.numbers[a]]
        if comparable:
            a = b.attrs[rng.choice(comparable)]
            pick = min if a.less else max
            win = pick(both, key=lambda p: p.numbers[a.name])
            word = a.less or a.more
            turns.append(
                _turn(
                    rng.choice([f"Which one is {word}?", f"which of the two is {word}?"]),
                    "compare",
                    [_doc(x), _doc(y), *_guide(b, cat, a.name)],
                    f"The {win.name} ({win.values[a.name]}).",
                    [win.name],
                    both,
                )
            )
        out.append({"turns": turns})
    for _ in range(3):  # the same attribute of the next item: "And the Y?"
        cat = rng.choice(b.categories)
        x, y = rng.sample(by_cat[cat.name], 2)
        attr = rng.choice(cat.attrs)
        second = _fact(b, y, attr, rng)
        second["question"] = rng.choice([f"And the {y.name}?", f"what about the {y.name}?", f"Same for the {y.name}?"])
        out.append({"turns": [_fact(b, x, attr, rng), second]})
    for p in rng.sample(products, 3):  # a feature nobody states, asked as a follow-up, then a fact
        attr = rng.choice(list(p.values))
        feature = rng.choice(b.features)
        out.append(
            {
                "turns": [
                    _turn(f"Tell me about the {p.name}", "fact", [_cat(p), _doc(p)], p.name, [], [p]),
                    _turn(
                        rng.choice([f"does it have {feature}?", f"Does it come with {feature}?"]),
                        "unanswerable",
                        [],
                        "I don't know.",
                        [],
                        [p],
                    ),
                    _fact(b, p, attr, rng, follow=True),
                ]
            }
        )
    return out


def _shape_questions(b: Business, products: list[Product], rng: random.Random) -> list[dict]:
    """Shapes real customers use that the template's own wordings do not: a figure nobody states asked close to a
    stated key, a sibling model's figure, a part's warranty (all declined); follow-ups that name the item by its
    type word ("that speaker") or its price rank ("the cheaper one"), or change the attribute in other words; and
    a follow-up whose "it" could be either of two items just named, which must ask or decline, never guess."""
    out: list[dict] = []
    by_cat = {c.name: [p for p in products if p.category is c] for c in b.categories}
    for cat in b.categories:  # a figure no source of these items states, in words close to one that is stated
        for template in rng.sample(list(b.near.get(cat.name, ())), k=min(2, len(b.near.get(cat.name, ())))):
            p = rng.choice(by_cat[cat.name])
            out.append(_turn(template.format(name=p.name), "unanswerable", [], "I don't know.", [], [p]))
    for p in rng.sample(products, 3):  # a sibling model nobody sells
        attr = rng.choice(list(p.values))
        sibling = f"{p.name.removesuffix(' ' + p.category.noun.title())} Mk II {p.category.noun.title()}"
        q = rng.choice(b.attrs[attr].asks).format(name=sibling)
        out.append(_turn(q, "unanswerable", [], "I don't know.", [], [p]))
    for p in rng.sample(products, 2):  # a part's own warranty, which no source states
        part = rng.choice(b.parts)
        q = rng.choice(
            [
                f"Is the {part} of the {p.name} covered by the warranty?",
                f"How long is the {part} on the {p.name} guaranteed?",
            ]
        )
        out.append(_turn(q, "unanswerable", [], "I don't know.", [], [p]))
    for p in rng.sample(products, 4):  # the item by its type word, then an attribute in other words
        first, second = rng.sample(list(p.values), 2)
        noun = p.category.noun
        opener = rng.choice([f"I'm looking at the {p.name}.", f"Tell me about the {p.name}"])
        turn = _fact(b, p, first, rng)
        turn["question"] = rng.choice(
            [f"How much does that {noun} weigh?", f"is that {noun} heavy?"]
            if first == "weight"
            else [
                rng.choice(b.attrs[first].asks).format(name=p.name).replace(f"the {p.name}", f"that {noun}"),
                rng.choice(b.attrs[first].asks).format(name=p.name).replace(f"the {p.name}", f"the {noun}"),
            ]
        )
        out.append(
            {
                "turns": [
                    _turn(opener, "statement" if opener.startswith("I'm") else "fact", [_cat(p), _doc(p)], "", [], [p]),
                    turn,
                    _fact(b, p, second, rng, follow=True),
                ]
            }
        )
    for cat in rng.sample(list(b.categories), 3):  # two items named, then one of them by price rank, or either
        x, y = rng.sample(by_cat[cat.name], 2)
        if x.price == y.price:
            continue
        cheap, dear = sorted((x, y), key=lambda p: p.price)
        pick, word = rng.choice([(cheap, "cheaper"), (dear, "more expensive"), (cheap, "less expensive")])
        said = _turn(
            f"I'm deciding between the {x.name} and the {y.name}.", "statement", [_cat(x), _cat(y)], "", [], [x, y]
        )
        asked = _fact(b, pick, "weight", rng)
        asked["question"] = rng.choice([f"How much does the {word} one weigh?", f"what does the {word} one weigh?"])
        asked["expected_sources"] = [_doc(pick)]
        out.append({"turns": [said, asked]})
        attr = rng.choice(list(x.values))
        unclear = _turn(rng.choice(b.attrs[attr].followups), "unanswerable", [], "Which one do you mean?", [], [x, y])
        out.append({"turns": [dict(said), unclear]})
    return out


def questions(b: Business, products: list[Product], rng: random.Random) -> list[dict]:
    """Single questions and conversations, each with its references drawn from the generated data."""
    out: list[dict] = []
    n = 0

    def add(row: dict) -> None:
        nonlocal n
        n += 1
        out.append({"id": f"{b.key[:1]}{n:02d}", "documents_per_item": True, **row})

    by_cat = {c.name: [p for p in products if p.category is c] for c in b.categories}
    # Facts, one or two per product, in the template's wordings.
    for p in products:
        for attr in rng.sample(list(p.values), k=min(2, len(p.values))):
            add(_fact(b, p, attr, rng))
    for p in rng.sample(products, 4):
        add(_fact(b, p, "warranty", rng))
    for p in rng.sample(products, 4):
        add(
            _price(
                b,
                p,
                rng.choice(["How much is the {name}?", "What does the {name} cost?", "price of the {name}?"]).format(
                    name=p.name
                ),
            )
        )
    # The catalog's shape: cheapest, dearest, by brand, under a price.
    for cat in rng.sample(list(b.categories), 3):
        items = sorted(by_cat[cat.name], key=lambda p: p.price)
        low, high = items[0], items[-1]
        add(
            _turn(
                rng.choice([f"What's your cheapest {cat.noun}?", f"Which is the least expensive {cat.noun}?"]),
                "shape",
                [_cat(low)],
                f"The {low.name} at {low.price:.2f} {b.currency}.",
                [low.name],
                [low],
            )
        )
        add(
            _turn(
                f"What is the most expensive {cat.noun} you sell?",
                "shape",
                [_cat(high)],
                f"The {high.name} at {high.price:.2f} {b.currency}.",
                [high.name],
                [high],
            )
        )
        bound = round((items[0].price + items[1].price) / 2)
        under = [p for p in items if p.price < bound]
        add(
            _turn(
                f"Do you have any {cat.plural} under {bound} {b.currency}?",
                "shape",
                [_cat(p) for p in under],
                ", ".join(p.name for p in under),
                [p.name for p in under],
                under,
            )
        )
    brand = rng.choice([x for x in b.brands if any(p.brand == x for p in products)])
    theirs = [p for p in products if p.brand == brand]
    add(
        _turn(
            f"Do you sell anything from {brand}?",
            "shape",
            [_cat(p) for p in theirs],
            ", ".join(p.name for p in theirs),
            [theirs[0].name],
            theirs,
        )
    )
    # Attribute constraints and comparisons, from the manuals' figures.
    for cat in b.categories:
        items = by_cat[cat.name]
        for attr in cat.attrs:
            a = b.attrs[attr]
            ranked = sorted(items, key=lambda p: p.numbers[attr])
            if a.below and len({p.numbers[attr] for p in items}) == len(items):
                bound_v = (ranked[0].numbers[attr] + ranked[1].numbers[attr]) / 2
                bound = f"{bound_v:g} {a.units[0]}".strip() if a.units else f"{bound_v:g}"
                ok = [p for p in items if p.numbers[attr] < bound_v]
                add(
                    _turn(
                        rng.choice(a.below).format(noun=cat.noun, plural=cat.plural, bound=bound),
                        "constraint",
                        [_doc(p) for p in ok] + [_cat(p) for p in ok] + _guide(b, cat, attr),
                        ", ".join(p.name for p in ok),
                        [ok[0].name],
                        ok,
                    )
                )
            if a.above and len({p.numbers[attr] for p in items}) == len(items):
                bound_v = (ranked[-1].numbers[attr] + ranked[-2].numbers[attr]) / 2
                bound = f"{bound_v:g} {a.units[0]}".strip() if a.units else f"{bound_v:g}"
                ok = [p for p in items if p.numbers[attr] > bound_v]
                add(
                    _turn(
                        rng.choice(a.above).format(noun=cat.noun, plural=cat.plural, bound=bound),
                        "constraint",
                        [_doc(p) for p in ok] + [_cat(p) for p in ok] + _guide(b, cat, attr),
                        ", ".join(p.name for p in ok),
                        [ok[0].name],
                        ok,
                    )
                )
            word = a.less or a.more
            if word and not a.words:
                x, y = rng.sample(items, 2)
                if x.numbers[attr] == y.numbers[attr]:
                    continue
                pick = min if a.less else max
                win = pick((x, y), key=lambda p: p.numbers[attr])
                add(
                    _turn(
                        f"Which is {word}, the {x.name} or the {y.name}?",
                        "compare",
                        [_doc(x), _doc(y), *_guide(b, cat, attr)],
                        f"The {win.name} ({win.values[attr]}).",
                        [win.name],
                        [x, y],
                    )
                )
    # Questions no source answers: about a real product, and about figures only other products have.
    for p in rng.sample(products, 3):
        add(_turn(rng.choice(b.absent).format(name=p.name), "unanswerable", [], "I don't know.", [], [p]))
    every = {a for c in b.categories for a in c.attrs}
    for p in rng.sample(products, 3):
        lacking = sorted(every - set(p.values) - {"weight"})
        attr = rng.choice(lacking)
        add(_turn(rng.choice(b.attrs[attr].asks).format(name=p.name), "unanswerable", [], "I don't know.", [], [p]))
    # Store policies.
    pol, policy_doc = b.policy, {"source": "documents", "title": "policies", "section": ""}
    add(
        _turn(
            "How long do I have to return something?",
            "policy",
            [policy_doc],
            f"{pol['returns_days']} days.",
            [f"{pol['returns_days']} days"],
            [],
        )
    )
    add(
        _turn(
            "Do you charge for delivery?",
            "policy",
            [policy_doc],
            f"Free over {pol['free_shipping_over']} {b.currency}.",
            [str(pol["free_shipping_over"])],
            [],
        )
    )
    add(
        _turn(
            "How long does delivery take?",
            "policy",
            [policy_doc],
            f"{pol['delivery_days']} working days.",
            [pol["delivery_days"].split()[0]],
            [],
        )
    )
    # Conversations: a product named, then follow-ups about it; the cheapest of a kind, then about that one.
    for p in rng.sample(products, 5):
        attrs = rng.sample(list(p.values), k=min(2, len(p.values)))
        opener = rng.choice(
            [f"Tell me about the {p.name}", f"How much is the {p.name}?", f"I'm looking at the {p.name}."]
        )
        first = (
            _price(b, p, opener)
            if opener.startswith("How much")
            else _turn(
                opener,
                "statement" if opener.startswith("I'm") else "fact",
                [_cat(p), _doc(p)],
                f"The {p.name}.",
                [],
                [p],
            )
        )
        turns = [first, _fact(b, p, attrs[0], rng, follow=True), _fact(b, p, "warranty", rng, follow=True)]
        if len(attrs) > 1:
            turns.append(_fact(b, p, attrs[1], rng, follow=True))
        turns.append(_price(b, p, rng.choice(["and the price?", "how much is it?", "What does it cost?"])))
        add({"turns": turns})
    for cat in rng.sample(list(b.categories), 2):
        low = min(by_cat[cat.name], key=lambda p: p.price)
        attr = rng.choice(cat.attrs)
        add(
            {
                "turns": [
                    _turn(f"What's your cheapest {cat.noun}?", "shape", [_cat(low)], low.name, [low.name], [low]),
                    _fact(b, low, attr, rng, follow=True),
                ]
            }
        )
    # Switching items: the second product named, then "it" is the second one.
    x, y = rng.sample(products, 2)
    attr = rng.choice(list(y.values))
    add(
        {
            "turns": [
                _price(b, x, f"How much is the {x.name}?"),
                _price(b, y, f"And the {y.name}?"),
                _fact(b, y, attr, rng, follow=True),
            ]
        }
    )
    if b.variety:
        for row in _varied_questions(b, products, rng):
            add(row)
    if b.shapes:
        for row in _shape_questions(b, products, rng):
            add(row)
    for row in out:
        row["split"] = "holdout" if b.key in HOLDOUT_BUSINESSES else "dev"
    return out


def build(key: str, out: Path, seed: int = 7) -> Path:
    """Write a business's catalog, manuals, policy page and questions under `out`; returns `out`."""
    b = BUSINESSES[key]
    rng = random.Random(f"{key}-{seed}")
    products = products_of(b, rng)
    (out / "manuals").mkdir(parents=True, exist_ok=True)
    for old in (out / "manuals").glob("*.md"):
        old.unlink()
    for p in products:
        (out / "manuals" / f"{p.doc}.md").write_text((varied_manual if b.variety else manual)(b, p, rng))
    if b.variety:
        for cat in b.categories:
            mine = [p for p in products if p.category is cat]
            (out / "manuals" / f"{_guide_title(cat)}.md").write_text(range_guide(b, cat, mine, rng))
    (out / "manuals" / "policies.md").write_text(policies(b))
    (out / "products.csv").write_text(catalog_csv(b, products, rng))
    rows = questions(b, products, rng)
    (out / "questions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (out / "business.json").write_text(
        json.dumps({"key": b.key, "name": b.name, "description": b.description, "currency": b.currency})
    )
    return out
