"""Time ranges a customer names ("tomorrow afternoon", "next Saturday after 3pm"), in the tenant's time zone.

Days come from `query.dates_in`; this adds the part of the day and clock limits, so slot search can answer
"anything tomorrow afternoon?" with the afternoon's slots only.
"""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from concierge.tools.analysis.query import dates_in

Window = tuple[datetime, datetime]

PARTS_OF_DAY: dict[str, tuple[int, int]] = {
    "morning": (6, 12),
    "lunchtime": (12, 14),
    "lunch": (12, 14),
    "afternoon": (12, 17),
    "evening": (17, 23),
    "tonight": (17, 24),
    "night": (17, 24),
}
_PART = re.compile(r"\b(" + "|".join(PARTS_OF_DAY) + r")\b")
_NOT_A_DATE = (  # "from 2 December", "in 3 days", "from 10 euros" name no clock time
    r"(?!\d)(?!\s*(?:st|nd|rd|th)?\s*(?:of\s+)?"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|days?|weeks?|euros?|eur|dollars?|pounds?|%|€|\$|£))"
)
_CLOCK = r"(\d{1,2})(?::(\d{2}))?" + _NOT_A_DATE + r"\s*(am|pm|a\.m\.|p\.m\.)?|(noon|midday)"
_AFTER = re.compile(r"\b(?:after|from|between|later than)\s+(?:" + _CLOCK + r")", re.I)
_BEFORE = re.compile(r"\b(?:before|until|till|by|earlier than)\s+(?:" + _CLOCK + r")", re.I)
_UPTO = re.compile(r"\b(?:from|between)\s+\S+\s+(?:to|and|-)\s+(?:" + _CLOCK + r")", re.I)


def _clock(m: re.Match[str]) -> float | None:
    if m.group(4):
        return 12.0
    hour, minutes, ampm = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").replace(".", "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    elif not ampm and 1 <= hour <= 7:
        hour += 12  # "after 3" at a shop means 15:00
    if hour > 24 or minutes > 59:
        return None
    return hour + minutes / 60


def _at(day: date, hours: float, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tz) + timedelta(hours=hours)


def time_windows(text: str, now: datetime) -> list[Window]:
    """The ranges the question names, as aware datetimes in `now`'s zone; empty when it names no time.

    A part of the day without a day ("this afternoon", "in the evening") means today, or tomorrow once that
    part of today is over. Windows never start before `now`.
    """
    tz = now.tzinfo if isinstance(now.tzinfo, ZoneInfo) else ZoneInfo("UTC")
    low = text.lower()
    days = [date.fromisoformat(d) for d in dates_in(text, now.date())]
    lo_h, hi_h = 0.0, 24.0
    part = _PART.search(low)
    if part:
        lo_h, hi_h = map(float, PARTS_OF_DAY[part.group(1)])
    after, before = _AFTER.search(text), _BEFORE.search(text) or _UPTO.search(text)
    if after and (h := _clock(after)) is not None:
        lo_h = max(lo_h, h) if part else h
    if before and (h := _clock(before)) is not None:
        hi_h = min(hi_h, h) if part else h
    timed = part or after or before
    if not days:
        if not timed:
            return []
        days = [now.date()] if _at(now.date(), hi_h, tz) > now else [now.date() + timedelta(days=1)]
    if hi_h <= lo_h:
        return []
    windows = []
    for day in sorted(days):
        lo, hi = _at(day, lo_h, tz), _at(day, hi_h, tz)
        if hi > now:
            windows.append((max(lo, now), hi))
    return windows
