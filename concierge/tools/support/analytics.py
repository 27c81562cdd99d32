"""Per tenant and day (in the tenant's time zone): how helpful answers were, how often people stepped in, how fast.

Implicit satisfaction of one answer, from what the customer did after it (documented in the README):

    s = clamp(0.5 + 0.4·action + 0.2·continued − 0.4·asked_human − 0.3·abandoned, 0, 1)

- action: a booking or purchase was reported through the API after the answer;
- continued: the customer's next message came within 5 minutes and did not ask for a person;
- asked_human: the customer asked for a person after the answer, or accepted one after "not helpful";
- abandoned: nothing at all followed (no message, rating or action) for `abandoned_after_s` (30 minutes).

An answer followed by nothing yet, still inside the abandon window, has no score and is left out of the mean; one
followed only by a rating, or by a message after more than 5 minutes, scores the neutral 0.5.
"""

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.models import Answer, Correction, FeedbackEntry, HandoffEntry

CONTINUED_WITHIN_S = 300.0
WEIGHTS = {"base": 0.5, "action": 0.4, "continued": 0.2, "asked_human": -0.4, "abandoned": -0.3}


@dataclass(frozen=True)
class Signals:
    action: bool
    continued: bool
    asked_human: bool
    abandoned: bool
    followed: bool
    """Anything at all came after the answer: a message, a rating, an action."""


def signals(answer: Answer, now: datetime, abandoned_after_s: float, rated: bool = False) -> Signals:
    quick = answer.response_s is not None and answer.response_s <= CONTINUED_WITHIN_S
    followed = answer.next_message_at is not None or rated or answer.completed_action is not None or answer.asked_human
    return Signals(
        action=answer.completed_action is not None,
        continued=quick and not answer.asked_human,
        asked_human=answer.asked_human,
        abandoned=not followed and (now - answer.answered_at).total_seconds() >= abandoned_after_s,
        followed=followed,
    )


def implicit_satisfaction(s: Signals) -> float | None:
    """The formula above; None while nothing has happened yet."""
    if not (s.followed or s.abandoned):
        return None
    score = WEIGHTS["base"]
    score += WEIGHTS["action"] * s.action + WEIGHTS["continued"] * s.continued
    score += WEIGHTS["asked_human"] * s.asked_human + WEIGHTS["abandoned"] * s.abandoned
    return min(1.0, max(0.0, score))


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


async def daily(
    db: AppDatabase,
    tenant_id: str,
    *,
    timezone: str = "UTC",
    days: int = 7,
    abandoned_after_s: float = 1800.0,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """One row per day, oldest first, for the last `days` days of the tenant's calendar."""
    now = now or utcnow()
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), zone)

    def day_of(moment: datetime) -> date:
        return moment.astimezone(zone).date()

    async with db.session() as s:
        answers = list(
            await s.scalars(select(Answer).where(Answer.tenant_id == tenant_id, Answer.answered_at >= start))
        )
        rated_keys = {
            (f.thread_id, f.turn): f
            for f in await s.scalars(
                select(FeedbackEntry).where(FeedbackEntry.tenant_id == tenant_id, FeedbackEntry.created_at >= start)
            )
        }
        handoffs = list(
            await s.scalars(
                select(HandoffEntry).where(HandoffEntry.tenant_id == tenant_id, HandoffEntry.created_at >= start)
            )
        )
        reviewed = list(
            await s.scalars(
                select(Correction).where(
                    Correction.tenant_id == tenant_id, Correction.reviewed_at >= start, Correction.status == "approved"
                )
            )
        )

    by_day: dict[date, dict[str, Any]] = defaultdict(
        lambda: {"answers": [], "handoffs": [], "approved": 0, "turns": set()}
    )
    for a in answers:
        bucket = by_day[day_of(a.answered_at)]
        bucket["answers"].append(a)
        bucket["turns"].add((a.thread_id, a.turn))
    for h in handoffs:
        bucket = by_day[day_of(h.created_at)]
        bucket["handoffs"].append(h)
        bucket["turns"].add((h.thread_id, h.turn))
    for c in reviewed:
        by_day[day_of(c.reviewed_at)]["approved"] += 1

    rows = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        bucket = by_day.get(day, {"answers": [], "handoffs": [], "approved": 0, "turns": set()})
        day_answers: list[Answer] = bucket["answers"]
        rated = [rated_keys[(a.thread_id, a.turn)] for a in day_answers if (a.thread_id, a.turn) in rated_keys]
        judged = [f for f in rated if f.helpful is not None]
        sigs = [signals(a, now, abandoned_after_s, (a.thread_id, a.turn) in rated_keys) for a in day_answers]
        scores = [x for x in (implicit_satisfaction(sg) for sg in sigs) if x is not None]
        day_handoffs: list[HandoffEntry] = bucket["handoffs"]
        rows.append(
            {
                "day": day.isoformat(),
                "answers": len(day_answers),
                "rated": len(rated),
                "feedback_collection_rate": _share(len(rated), len(day_answers)),
                "helpful_rate": _share(sum(1 for f in judged if f.helpful), len(judged)),
                "continued": sum(sg.continued for sg in sigs),
                "completed_actions": sum(sg.action for sg in sigs),
                "asked_human": sum(sg.asked_human for sg in sigs),
                "abandoned": sum(sg.abandoned for sg in sigs),
                "median_response_s": _median([a.response_s for a in day_answers if a.response_s is not None]),
                "implicit_satisfaction": round(statistics.fmean(scores), 3) if scores else None,
                "handoffs": len(day_handoffs),
                "handoff_rate": _share(len(day_handoffs), len(bucket["turns"])),
                "handoff_reasons": dict(Counter(h.reason for h in day_handoffs)),
                "median_time_to_claim_s": _median(
                    [(h.claimed_at - h.created_at).total_seconds() for h in day_handoffs if h.claimed_at]
                ),
                "median_time_to_first_reply_s": _median(
                    [(h.first_reply_at - h.created_at).total_seconds() for h in day_handoffs if h.first_reply_at]
                ),
                "corrections_approved": bucket["approved"],
            }
        )
    return rows
