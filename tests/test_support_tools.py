"""The people-side tools on a real SQLite database: implicit satisfaction, the train/validation split, signed
tokens, and the corrections evaluation set read back by `concierge eval --corrections`."""

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from concierge.cli.main import main as cli
from concierge.tools.db.models import Answer, Correction
from concierge.tools.settings import Settings, get_settings
from concierge.tools.support.analytics import Signals, implicit_satisfaction, signals
from concierge.tools.support.signing import ExpiredToken, FeedbackLinks, InvalidToken
from concierge.tools.support.training import split
from concierge.tools.toolbox import Toolbox

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def answer(**fields) -> Answer:
    base = {"answered_at": NOW - timedelta(hours=1), "next_message_at": None, "response_s": None}
    return Answer(**{**base, "asked_human": False, "completed_action": None, **fields})


@pytest.mark.parametrize(
    ("fields", "rated", "expected"),
    [
        ({}, False, 0.2),  # nothing for an hour: abandoned
        ({"answered_at": NOW - timedelta(minutes=5)}, False, None),  # too early to say
        ({"next_message_at": NOW, "response_s": 40.0}, False, 0.7),  # continued quickly
        ({"next_message_at": NOW, "response_s": 900.0}, False, 0.5),  # came back, but not within 5 minutes
        ({"next_message_at": NOW, "response_s": 40.0, "asked_human": True}, False, 0.1),
        ({"completed_action": "purchase"}, False, 0.9),
        ({"completed_action": "booking", "next_message_at": NOW, "response_s": 10.0}, False, 1.0),
        ({}, True, 0.5),  # rated, nothing else: neutral (the rating itself is reported apart)
    ],
)
def test_implicit_satisfaction(fields: dict, rated: bool, expected: float | None) -> None:
    score = implicit_satisfaction(signals(answer(**fields), NOW, abandoned_after_s=1800, rated=rated))
    assert score == (pytest.approx(expected) if expected is not None else None)
    assert implicit_satisfaction(Signals(True, True, True, True, True)) == pytest.approx(0.4)
    assert implicit_satisfaction(Signals(False, False, False, False, False)) is None


def correction(i: int) -> Correction:
    return Correction(id=f"c{i:03d}", question=f"q{i}", draft="d", reply="r", history=[], quality=5)


def test_the_split_is_80_20_and_repeatable() -> None:
    train, validation = split([correction(i) for i in range(50)])
    assert (len(train), len(validation)) == (40, 10)
    assert not {c.id for c in train} & {c.id for c in validation}
    assert [c.id for c in split([correction(i) for i in range(50)])[1]] == [c.id for c in validation]
    assert [c.id for c in split([correction(i) for i in range(50)], seed="other")[1]] != [c.id for c in validation]
    assert [len(part) for part in split([correction(1), correction(2)])] == [1, 1]
    assert [len(part) for part in split([correction(1)])] == [1, 0]


def test_signed_tokens_are_bound_and_expire() -> None:
    links = FeedbackLinks("s3cret", ttl_s=3 * 3600)
    token = links.token(run_id="r1", key="rating", thread_id="t1", tenant_id="demo", now=NOW)
    grant = links.check(token, now=NOW + timedelta(hours=2, minutes=59))
    assert (grant.run_id, grant.key, grant.thread_id, grant.tenant_id) == ("r1", "rating", "t1", "demo")
    with pytest.raises(ExpiredToken):
        links.check(token, now=NOW + timedelta(hours=3))
    with pytest.raises(InvalidToken):
        FeedbackLinks("another secret", ttl_s=60).check(token, now=NOW)
    with pytest.raises(InvalidToken):
        links.check(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), now=NOW)
    with pytest.raises(InvalidToken):  # schemathesis found the TypeError (a 500) a non-ASCII signature raised
        links.check(token.partition(".")[0] + ".é", now=NOW)
    with pytest.raises(InvalidToken):
        links.check("é.é", now=NOW)


async def test_approved_corrections_make_numbered_eval_sets(tools: Toolbox) -> None:
    made = []
    for turn, (question, reply) in enumerate(
        [("When is the book club?", "First Saturday of the month, 10:30."), ("Do you gift wrap?", "Yes, for free.")],
        start=1,
    ):
        made.append(
            await tools.corrections.record(
                tenant_id="demo",
                thread_id="t",
                turn=turn,
                handoff_id=None,
                run_id="",
                question=question,
                history=[],
                draft="I don't know.",
                reply=reply,
                category=None,
                reason="unanswered",
                agent="niamh",
            )
        )
    again = await tools.corrections.record(
        tenant_id="demo",
        thread_id="t",
        turn=1,
        handoff_id=None,
        run_id="",
        question="When is the book club?",
        history=[],
        draft="x",
        reply="y",
        category=None,
        reason="",
        agent="niamh",
    )
    assert again is None, "the same turn is recorded once"
    assert made[0].category == "corrected"
    assert await tools.corrections.eval_set("demo") == (0, [])
    _, v1 = await tools.corrections.review("demo", made[0].id, approved=True, quality=5, reviewer="mgr")
    _, v2 = await tools.corrections.review("demo", made[1].id, approved=True, quality=3, reviewer="mgr")
    _, v3 = await tools.corrections.review("demo", made[1].id, approved=False, quality=2, reviewer="mgr")
    assert (v1, v2, v3) == (1, 2, 3)
    assert [len((await tools.corrections.eval_set("demo", v))[1]) for v in (1, 2, 3)] == [1, 2, 1]
    assert [c.id for c in await tools.corrections.approved("demo", min_quality=4)] == [made[0].id]


def test_concierge_eval_reads_the_corrections_set(settings: Settings, tmp_path: Path, capsys) -> None:
    import asyncio

    async def approve() -> None:
        tools = await Toolbox.from_settings(settings).open()
        try:
            c = await tools.corrections.record(
                tenant_id="demo",
                thread_id="t",
                turn=1,
                handoff_id=None,
                run_id="",
                question="How much is the Kestrel fountain pen?",
                history=[],
                draft="I don't know.",
                reply="The Kestrel fountain pen is 48.00 EUR.",
                category=None,
                reason="",
                agent="niamh",
            )
            await tools.corrections.review("demo", c.id, approved=True, quality=5, reviewer="mgr")
        finally:
            await tools.close()

    asyncio.run(approve())
    os.environ["CONCIERGE_DATA_DIR"] = str(settings.data_dir)
    get_settings.cache_clear()
    try:
        cli(["eval", "--corrections", "--json", str(tmp_path / "report.json")])
        with pytest.raises(SystemExit):
            cli(["eval", "--corrections", "7"])
    finally:
        del os.environ["CONCIERGE_DATA_DIR"]
        get_settings.cache_clear()
    out = capsys.readouterr()
    assert "corrections: evaluation set version 1, 1 questions" in out.out
    assert out.out.strip().splitlines()[-1].startswith("questions=1 ")
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["outcomes"][0]["kind"] == "correction" and report["summary"]["rouge_l"] > 0.3
    assert "evaluation set version 7 not found" in out.err
