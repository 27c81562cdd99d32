"""Writes `contoso_outdoor.jsonl`: questions and reference answers written by us (the Concierge team) from the
Contoso Outdoors manuals, which we did not write. Run from the repository root: `python
concierge/evaluation/sets/make_contoso_outdoor.py`. See README.md beside it for the fields and the splits."""

import json


def doc(n, section=""):
    return {"source": "documents", "title": f"product_info_{n}", "section": section}


def cat(n):
    return {"source": "catalog", "id": f"catalog:product:{n}"}


def items(sources):
    out = {s["id"] for s in sources if s["source"] == "catalog"}
    out |= {"catalog:product:" + s["title"].rsplit("_", 1)[1] for s in sources if s["source"] == "documents"}
    return sorted(out)


def q(id, split, question, kind, sources, answer, must, **kw):
    return {
        "id": id,
        "split": split,
        "question": question,
        "kind": kind,
        "expected_sources": sources,
        "items": items(sources),
        "answer": answer,
        "must_contain": must,
        "documents_per_item": True,
        **kw,
    }


def t(question, kind, sources, answer, must):
    return {
        "question": question,
        "kind": kind,
        "expected_sources": sources,
        "items": items(sources),
        "answer": answer,
        "must_contain": must,
    }


def conv(id, split, *turns):
    """A conversation: its turns in order, each item with its own manual."""
    return {"id": id, "split": split, "documents_per_item": True, "turns": list(turns)}


def about(question, n, answer, name):
    """A conversation's opening turn that brings item `n` into focus (from its catalog row and its manual)."""
    return t(question, "fact", [cat(n), doc(n)], answer, [name])


single = [
    q(
        "c01",
        "dev",
        "How much does the TrailMaster X4 Tent weigh?",
        "fact",
        [doc(1)],
        "The TrailMaster X4 Tent weighs 12 lbs.",
        ["12 lbs"],
    ),
    q(
        "c02",
        "dev",
        "What's the capacity of the SummitClimber Backpack in liters?",
        "fact",
        [doc(9)],
        "The SummitClimber Backpack holds 60 liters.",
        ["60 liters"],
    ),
    q(
        "c03",
        "holdout",
        "how heavy is the Alpine Explorer Tent",
        "fact",
        [doc(8)],
        "The Alpine Explorer Tent weighs 17 lbs.",
        ["17 lbs"],
    ),
    q(
        "c04",
        "dev",
        "What is the temperature rating of the MountainDream Sleeping Bag?",
        "fact",
        [doc(14)],
        "The MountainDream Sleeping Bag is rated for 15°F to 30°F.",
        ["15"],
    ),
    q(
        "c05",
        "holdout",
        "What material is the Summit Breeze Jacket made of?",
        "fact",
        [doc(3)],
        "The Summit Breeze Jacket is made of polyester.",
        ["polyester"],
    ),
    q(
        "c06",
        "dev",
        "How long is the warranty on the Alpine Explorer Tent?",
        "fact",
        [doc(8)],
        "The Alpine Explorer Tent has a 2-year limited warranty.",
        ["2-year"],
    ),
    q(
        "c07",
        "holdout",
        "Are the TrekReady Hiking Boots waterproof?",
        "fact",
        [doc(4)],
        "Yes, the TrekReady Hiking Boots are waterproof.",
        ["yes|waterproof"],
    ),
    q(
        "c08",
        "dev",
        "What fuel does the PowerBurner Camping Stove use?",
        "fact",
        [doc(13)],
        "The PowerBurner Camping Stove uses propane or butane.",
        ["propane"],
    ),
    q(
        "c09",
        "holdout",
        "How long does the CompactCook Camping Stove take to boil a liter of water?",
        "fact",
        [doc(20)],
        "About 3.5 minutes.",
        ["3.5 minutes"],
    ),
    q(
        "c10",
        "dev",
        "How much weight can the Adventure Dining Table support?",
        "fact",
        [doc(19)],
        "Up to 100 lbs (45 kg) of evenly distributed weight.",
        ["100 lbs"],
    ),
    q(
        "c11",
        "holdout",
        "What color is the Adventurer Pro Backpack?",
        "fact",
        [doc(2)],
        "The Adventurer Pro Backpack is blue.",
        ["blue"],
    ),
    q(
        "c12",
        "dev",
        "What are the dimensions of the BaseCamp Folding Table?",
        "fact",
        [doc(5)],
        "48 inches x 24 inches x 24 inches.",
        ["48 inches"],
    ),
    q(
        "c13",
        "holdout",
        "How much does the TrailLite Daypack weigh in kg?",
        "fact",
        [doc(16)],
        "The TrailLite Daypack weighs 1.5 lbs (about 0.7 kg).",
        ["1.5 lbs"],
    ),
    q(
        "c14",
        "dev",
        "What is the waterproof rating of the TrailMaster X4 Tent's rainfly?",
        "fact",
        [doc(1)],
        "The rainfly has a waterproof rating of 2000mm.",
        ["2000"],
    ),
    q(
        "c15",
        "holdout",
        "Can the SummitClimber Backpack fit a 17-inch laptop?",
        "fact",
        [doc(9)],
        "Yes, it fits laptops up to 17 inches.",
        ["17"],
    ),
    q(
        "c16",
        "dev",
        "How many people does the Alpine Explorer Tent sleep?",
        "fact",
        [doc(8), cat(8)],
        "The Alpine Explorer Tent sleeps 8 people.",
        ["8"],
    ),
    q(
        "c17",
        "dev",
        "How much is the CozyNights Sleeping Bag?",
        "price",
        [cat(7)],
        "The CozyNights Sleeping Bag costs 100.00 USD.",
        ["100.00 USD"],
    ),
    q(
        "c18",
        "holdout",
        "what does the TrekStar Hiking Sandals cost",
        "price",
        [cat(18)],
        "The TrekStar Hiking Sandals cost 70.00 USD.",
        ["70.00 USD"],
    ),
    q(
        "c19",
        "dev",
        "What's your cheapest camping stove?",
        "shape",
        [cat(20)],
        "The CompactCook Camping Stove at 60.00 USD.",
        ["CompactCook", "60.00"],
    ),
    q(
        "c20",
        "holdout",
        "What is the most expensive tent you sell?",
        "shape",
        [cat(8)],
        "The Alpine Explorer Tent at 350.00 USD.",
        ["Alpine Explorer", "350.00"],
    ),
    q(
        "c21",
        "dev",
        "Do you sell anything from CampBuddy?",
        "shape",
        [cat(5), cat(12), cat(19)],
        "Yes: the BaseCamp Folding Table, TrekMaster Camping Chair and Adventure Dining Table.",
        ["BaseCamp Folding Table", "TrekMaster Camping Chair", "Adventure Dining Table"],
    ),
    q(
        "c22",
        "holdout",
        "Which sleeping bags do you have?",
        "shape",
        [cat(7), cat(14)],
        "The CozyNights Sleeping Bag and the MountainDream Sleeping Bag.",
        ["CozyNights", "MountainDream"],
    ),
    q(
        "c23",
        "dev",
        "What backpacks do you have under $100?",
        "shape",
        [cat(2), cat(16)],
        "The Adventurer Pro Backpack (90 USD) and the TrailLite Daypack (60 USD).",
        ["Adventurer Pro", "TrailLite"],
    ),
    q(
        "c24",
        "holdout",
        "Do you have a tent for 4 people?",
        "shape",
        [cat(1), cat(8)],
        "The TrailMaster X4 Tent sleeps 4; the Alpine Explorer Tent sleeps 8.",
        ["TrailMaster X4"],
    ),
    q(
        "c25",
        "dev",
        "Which is lighter, the TrailMaster X4 Tent or the Alpine Explorer Tent?",
        "compare",
        [doc(1), doc(8)],
        "The TrailMaster X4 Tent (12 lbs) is lighter than the Alpine Explorer Tent (17 lbs).",
        ["12 lbs", "17 lbs"],
    ),
    q(
        "c26",
        "holdout",
        "Which is cheaper, the EcoFire Camping Stove or the PowerBurner Camping Stove?",
        "compare",
        [cat(6), cat(13)],
        "The EcoFire Camping Stove (80 USD) is cheaper than the PowerBurner (100 USD).",
        ["EcoFire", "80.00"],
    ),
    q(
        "c27",
        "dev",
        "I'm a Gold member. How long do I have to return the Adventurer Pro Backpack?",
        "policy",
        [doc(2)],
        "Gold members can return it within 60 days.",
        ["60 days"],
    ),
    q(
        "c28",
        "holdout",
        "As a Platinum member, what is the return window for the TrekReady Hiking Boots?",
        "policy",
        [doc(4)],
        "Platinum members can return them within 90 days.",
        ["90 days"],
    ),
    q(
        "c29",
        "dev",
        "Can I machine wash the TrailLite Daypack?",
        "fact",
        [doc(16)],
        "No: hand wash it with mild soap and water; avoid machine washing.",
        ["hand wash|machine washing"],
    ),
    q(
        "c30",
        "holdout",
        "Can I use the PowerBurner Camping Stove indoors?",
        "fact",
        [doc(13)],
        "No, it is designed for outdoor use only.",
        ["outdoor use only|outdoor use|indoors"],
    ),
    q("u01", "dev", "Does the TrailMaster X4 Tent come with a footprint groundsheet?", "unanswerable", [], "", []),
    q("u02", "holdout", "What is the battery life of the EcoFire Camping Stove?", "unanswerable", [], "", []),
    q("u03", "dev", "Do you sell kayaks?", "unanswerable", [], "", []),
    q("u04", "holdout", "How many calories does the CompactCook Camping Stove burn?", "unanswerable", [], "", []),
    q("u05", "dev", "Does the Summit Breeze Jacket come with a detachable fleece liner?", "unanswerable", [], "", []),
    q("u06", "holdout", "Do you offer gift wrapping for the MountainDream Sleeping Bag?", "unanswerable", [], "", []),
]
convs = [
    conv(
        "cv01",
        "dev",
        t(
            "How much is the Adventurer Pro Backpack?",
            "price",
            [cat(2)],
            "The Adventurer Pro Backpack costs 90.00 USD.",
            ["90.00 USD"],
        ),
        t("How much does it weigh?", "fact", [doc(2)], "It weighs 2.5 lbs.", ["2.5 lbs"]),
        t("what's the warranty on it", "fact", [doc(2)], "A 2-year limited warranty.", ["2-year"]),
        t("how many liters does it hold?", "fact", [doc(2)], "40 liters.", ["40 liters"]),
    ),
    conv(
        "cv02",
        "holdout",
        about(
            "Tell me about the SkyView 2-Person Tent",
            15,
            "The SkyView 2-Person Tent by OutdoorLiving costs 200.00 USD.",
            "SkyView",
        ),
        t("how heavy is it?", "fact", [doc(15)], "Its packed weight is about 8 lbs.", ["8 lbs"]),
        t("and the price?", "price", [cat(15)], "200.00 USD.", ["200.00 USD"]),
    ),
    conv(
        "cv03",
        "dev",
        t(
            "What's your cheapest camping stove?",
            "shape",
            [cat(20)],
            "The CompactCook Camping Stove at 60.00 USD.",
            ["CompactCook"],
        ),
        t("how much does it weigh?", "fact", [doc(20)], "It weighs 1.62 ounces.", ["1.62 ounces"]),
        t(
            "What fuel does it use?",
            "fact",
            [doc(20)],
            "Butane, propane or isobutane canisters.",
            ["isobutane|butane"],
        ),
    ),
    conv(
        "cv04",
        "holdout",
        t(
            "Do you sell the MountainDream Sleeping Bag?",
            "fact",
            [cat(14)],
            "The MountainDream Sleeping Bag costs 130.00 USD.",
            ["MountainDream"],
        ),
        t("What temperature is it rated for?", "fact", [doc(14)], "15°F to 30°F.", ["15"]),
        t("how much is it?", "price", [cat(14)], "130.00 USD.", ["130.00 USD"]),
    ),
    conv(
        "cv05",
        "dev",
        about(
            "I'm looking at the CozyNights Sleeping Bag",
            7,
            "The CozyNights Sleeping Bag costs 100.00 USD.",
            "CozyNights",
        ),
        t("what's the temperature rating?", "fact", [doc(7)], "20F to 60F (-6C to 15C).", ["20F|20°F"]),
        t("and how much does it weigh?", "fact", [doc(7)], "3.5 lbs.", ["3.5 lbs"]),
    ),
    conv(
        "cv06",
        "holdout",
        t("I'm a Gold member.", "statement", [], "", []),
        t(
            "What's the return policy for the Summit Breeze Jacket?",
            "policy",
            [doc(3)],
            "Gold members can return it within 60 days.",
            ["60 days"],
        ),
    ),
    conv(
        "cv07",
        "dev",
        t(
            "Do you sell anything from CampBuddy?",
            "shape",
            [cat(5), cat(12), cat(19)],
            "The BaseCamp Folding Table, TrekMaster Camping Chair and Adventure Dining Table.",
            ["BaseCamp"],
        ),
        t(
            "How much weight can the Adventure Dining Table support?",
            "fact",
            [doc(19)],
            "Up to 100 lbs.",
            ["100 lbs"],
        ),
        t("and what does it weigh itself?", "fact", [doc(19)], "20 lbs.", ["20lbs|20 lbs"]),
    ),
    conv(
        "cv08",
        "holdout",
        t("How much is the RainGuard Hiking Jacket?", "price", [cat(17)], "110.00 USD.", ["110.00 USD"]),
        t("Is it waterproof?", "fact", [doc(17)], "Yes.", ["waterproof"]),
        t(
            "How do I clean it?",
            "fact",
            [doc(17)],
            "Machine wash on a gentle cycle with cold water and mild detergent.",
            ["gentle cycle|machine wash"],
        ),
    ),
    conv(
        "cv09",
        "dev",
        about("Tell me about the EcoFire Camping Stove", 6, "The EcoFire Camping Stove costs 80.00 USD.", "EcoFire"),
        t(
            "How long does it take to boil water?",
            "fact",
            [doc(6)],
            "About 4-6 minutes for 1 liter.",
            ["4-6 minutes"],
        ),
        t("Is there a battery in it?", "unanswerable", [], "", []),
    ),
    conv(
        "cv10",
        "holdout",
        t("What does the TrailBlaze Hiking Pants cost?", "price", [cat(10)], "75.00 USD.", ["75.00 USD"]),
        t("what are they made of?", "fact", [doc(10)], "Nylon.", ["nylon"]),
        t("what's the warranty on them?", "fact", [doc(10)], "A 1-year limited warranty.", ["1-year"]),
    ),
]
with open("concierge/evaluation/sets/contoso_outdoor.jsonl", "w") as f:
    for row in single + convs:
        f.write(json.dumps(row) + "\n")
print(len(single), sum(len(c["turns"]) for c in convs))

# holdout2: written after the first look at "holdout"; not run until the final measurement.
h2 = [
    q(
        "h01",
        "holdout2",
        "What is the weight of the BaseCamp Folding Table?",
        "fact",
        [doc(5)],
        "The BaseCamp Folding Table weighs 15 lbs.",
        ["15 lbs"],
    ),
    q(
        "h02",
        "holdout2",
        "How much weight can the TrekMaster Camping Chair hold?",
        "fact",
        [doc(12)],
        "Up to 300 lbs (136 kg).",
        ["300 lbs|250 pounds"],
    ),
    q("h03", "holdout2", "What color is the SummitClimber Backpack?", "fact", [doc(9)], "Grey.", ["grey"]),
    q(
        "h04",
        "holdout2",
        "What's the warranty on the Summit Breeze Jacket?",
        "fact",
        [doc(3)],
        "A 1-year limited warranty.",
        ["1-year"],
    ),
    q(
        "h05",
        "holdout2",
        "Can I wear the TrekStar Hiking Sandals with socks?",
        "fact",
        [doc(18)],
        "Yes, thin moisture-wicking socks.",
        ["socks"],
    ),
    q("h06", "holdout2", "How much does the SummitClimber Backpack weigh?", "fact", [doc(9)], "3 lbs.", ["3 lbs"]),
    q(
        "h07",
        "holdout2",
        "What's the cheapest backpack you have?",
        "shape",
        [cat(16)],
        "The TrailLite Daypack at 60.00 USD.",
        ["TrailLite", "60.00"],
    ),
    q(
        "h08",
        "holdout2",
        "Do you have anything from TrekReady?",
        "shape",
        [cat(4), cat(11), cat(18)],
        "TrekReady Hiking Boots, TrailWalker Hiking Shoes, TrekStar Hiking Sandals.",
        ["TrekReady Hiking Boots", "TrailWalker", "TrekStar"],
    ),
    q(
        "h09",
        "holdout2",
        "Which is heavier, the SummitClimber Backpack or the Adventurer Pro Backpack?",
        "compare",
        [doc(9), doc(2)],
        "The SummitClimber Backpack (3 lbs) is heavier than the Adventurer Pro Backpack (2.5 lbs).",
        ["3 lbs", "2.5 lbs"],
    ),
    q("h10", "holdout2", "Does the TrailWalker Hiking Shoes have a lifetime warranty?", "unanswerable", [], "", []),
    q("h11", "holdout2", "Can I pay for the Alpine Explorer Tent in bitcoin?", "unanswerable", [], "", []),
]
h2c = [
    conv(
        "hv01",
        "holdout2",
        t("How much is the SummitClimber Backpack?", "price", [cat(9)], "120.00 USD.", ["120.00 USD"]),
        t("what's its capacity?", "fact", [doc(9)], "60 liters.", ["60 liters"]),
        t(
            "and is it compatible with a hydration bladder?",
            "fact",
            [doc(9)],
            "Yes, it has a hydration sleeve and tube port.",
            ["hydration"],
        ),
    ),
    conv(
        "hv02",
        "holdout2",
        about(
            "Tell me about the TrekMaster Camping Chair",
            12,
            "The TrekMaster Camping Chair costs 50.00 USD.",
            "TrekMaster",
        ),
        t("how compact is it when folded?", "fact", [doc(12)], "About 38in x 5in x 5in.", ["38in|38 in"]),
        t("what's the price?", "price", [cat(12)], "50.00 USD.", ["50.00 USD"]),
    ),
    conv(
        "hv03",
        "holdout2",
        t("I have a Gold membership.", "statement", [], "", []),
        t(
            "How long do I have to return the BaseCamp Folding Table?",
            "policy",
            [doc(5)],
            "Gold members: within 60 days.",
            ["60 days"],
        ),
    ),
]
with open("concierge/evaluation/sets/contoso_outdoor.jsonl", "a") as f:
    for row in h2 + h2c:
        f.write(json.dumps(row) + "\n")
print("holdout2", len(h2), sum(len(c["turns"]) for c in h2c))
