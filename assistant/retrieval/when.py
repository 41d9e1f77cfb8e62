"""Time in a question, read against a reference date (`as_of`): the period it asks about, whether
it asks for the latest report or the first, or for how a story developed.

Patterns only find where a date is spoken of (a preposition or a day or year beside a month
name, so that "may" and "march" as verbs never become dates); dateutil reads what they find, as
it reads the articles' dates.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December|"
          "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
DAY = r"\d{1,2}(?:st|nd|rd|th)?"
YEAR = r"(?:19|20)\d\d"
PREPOSITION = r"on|in|by|since|before|after|until|till|through|during|from|as of"
# A date: ISO; "March 4", "March 4, 2024", "4 March", "4 March 2024"; "March 2024"; after a
# preposition, also a capitalised month name alone ("in May") or a year alone ("since 2023").
EXPLICIT = re.compile(
    rf"\b(?:(?P<prep>{PREPOSITION})\s+)?(?P<date>{YEAR}-\d\d-\d\d"
    rf"|(?-i:(?:{MONTHS}))\.?\s+{DAY}(?:,?\s+{YEAR})?(?!\d)"
    rf"|{DAY}\s+(?-i:(?:{MONTHS}))\b\.?(?:,?\s+{YEAR})?"
    rf"|(?-i:(?:{MONTHS}))\.?\s+{YEAR})\b"
    rf"|\b(?P<prep2>in|since|during|until|by|before|after|from)\s+(?P<bare>(?-i:(?:{MONTHS}))|{YEAR})\b",
    re.I,
)
RELATIVE = re.compile(
    r"\b(?P<what>yesterday|today|tonight|this (?:week|month|year)|last (?:week|month|year)|"
    r"(?:in |over |during )?the (?:past|last) (?:(?P<n>\d+|two|three|four|five|six|seven) )?"
    r"(?P<unit>day|week|month|year)s?|(?P<ago>\d+|two|three|four|five|six|seven) (?P<ago_unit>day|week)s? ago)\b",
    re.I,
)
NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
LATEST = re.compile(r"\b(latest|most recent|newest|now|currently|current|still|so far|to date|as of now|"
                    r"at present|yet|any more|anymore)\b"
                    # a count in the present perfect asks for the count as it stands: "how many have fallen ill?"
                    r"|\bhow (?:many|much)\b[^?]*?\b(?:have|has)\s+(?!to\b)(?:been\s+)?\w+(?:ed|en|ne|lt|ll|t)\b"
                    # whether something has happened, or who is doing it, asks how things stand now
                    r"|^\s*(?:has|have)\s+(?!to\b)[^?]*?\b\w+(?:ed|en|ne|wn|lt|ll|t)\b[^?]*\?\s*$"
                    r"|^\s*who\s+(?:is|are)\s+\w+ing\b", re.I)
# The first report asked for: "How many batches were recalled at first?", "What was initially reported?"
EARLIEST = re.compile(r"\b(?:at first|initially|originally|at the (?:start|outset|beginning)|first reported|"
                      r"(?:the )?first reports?|in the beginning)\b", re.I)
DEVELOPED = re.compile(r"\bhow (?:has|have|did)\b.*\b(develop|chang|evolv|progress|unfold|grow|grew)\w*|"
                       r"\b(timeline|chronology)\b|\bhow .* (?:developed|changed|evolved|unfolded)\b", re.I)


@dataclass(frozen=True)
class Period:
    """The publication dates that can answer the question, inclusive; None is open."""

    since: date | None
    until: date | None
    words: str  # the words of the question it was read from
    relative: bool = False  # "last week", "yesterday": always about reports, never about history
    upto: bool = False  # "by March 4": the state on that day, which the newest report before it gives
    yearless: bool = False  # "by July 4", "in March": the year is not given (read as the latest by as_of)

    def iso(self) -> tuple[str | None, str | None]:
        return (self.since.isoformat() if self.since else None, self.until.isoformat() if self.until else None)

    def years_back(self, years: int) -> Period | None:
        """The same days `years` earlier (None where a day does not exist then, 29 February)."""
        try:
            return replace(self, since=self.since and self.since.replace(year=self.since.year - years),
                           until=self.until and self.until.replace(year=self.until.year - years))
        except ValueError:
            return None


@dataclass(frozen=True)
class TimeSense:
    """What the question says about time, against the reference date."""

    as_of: date
    period: Period | None = None  # explicit or relative dates in the question
    latest: bool = False  # asks for the newest report ("latest", "now", "still", "so far")
    developed: bool = False  # asks how a story developed: the facts in date order
    earliest: bool = False  # asks for the first report ("at first", "initially", "originally")


def as_date(value: str | date | None, today: date | None = None) -> date:
    """An ISO date, a date, or None for today; anything else is a ValueError naming it."""
    if value is None or value == "":
        return today or date.today()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"the reference date '{value}' is not a date; write it as YYYY-MM-DD") from None


def read_time(question: str, as_of: date) -> TimeSense:
    period = relative_period(question, as_of) or explicit_period(question, as_of)
    earliest = bool(EARLIEST.search(question))
    latest = not earliest and (bool(LATEST.search(question)) or bool(period and period.upto))
    return TimeSense(as_of, period, latest, bool(DEVELOPED.search(question)), earliest)


def relative_period(question: str, as_of: date) -> Period | None:
    m = RELATIVE.search(question)
    if not m:
        return None
    what, words = m.group("what").lower(), m.group(0)
    if what == "yesterday":
        day = as_of - timedelta(days=1)
        return Period(day, day, words, True)
    if what in ("today", "tonight"):
        return Period(as_of, as_of, words, True)
    if m.group("ago"):
        n = _number(m.group("ago")) * (7 if m.group("ago_unit").lower() == "week" else 1)
        day = as_of - timedelta(days=n)
        return Period(day - timedelta(days=1), day + timedelta(days=1), words, True)
    if what == "this week":  # the last seven days: a week's news is read at its end, or just after
        return Period(as_of - timedelta(days=6), as_of, words, True)
    if what.startswith("this "):
        return Period(_start_of(what.split()[1], as_of), as_of, words, True)
    if what.startswith("last ") and m.group("unit") is None:
        unit = what.split()[1]
        end = _start_of(unit, as_of) - timedelta(days=1)
        return Period(_start_of(unit, end), end, words, True)
    n = _number(m.group("n") or "1")
    unit = m.group("unit").lower()
    span = {"day": timedelta(days=n), "week": timedelta(weeks=n), "month": timedelta(days=31 * n),
            "year": timedelta(days=366 * n)}[unit]
    return Period(as_of - span, as_of, words, True)


def explicit_period(question: str, as_of: date) -> Period | None:
    for m in EXPLICIT.finditer(question):
        parsed = _parse(m.group("date") or m.group("bare"), as_of)
        if parsed is None:
            continue
        first, last = parsed
        prep = (m.group("prep") or m.group("prep2") or "on").lower()
        words = m.group(0).strip()
        yearless = not re.search(YEAR, m.group("date") or m.group("bare"))
        if prep in ("by", "until", "till", "through", "before", "as of"):
            end = first - timedelta(days=1) if prep == "before" else last
            return Period(None, end, words, upto=True, yearless=yearless)
        if prep in ("since", "after", "from"):  # up to the reference date: another year is another question
            return Period(first + timedelta(days=1) if prep == "after" else first, as_of, words)
        if first == last:  # news of a day is mostly published that day or the next two
            last = min(last + timedelta(days=2), max(as_of, last))
        return Period(first, last, words, yearless=yearless)
    return None


def _parse(text: str, as_of: date) -> tuple[date, date] | None:
    """The first and last day `text` names (a day, a month or a year), the latest such on or
    before `as_of` when the year is not given."""
    from dateutil import parser

    text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text.strip().rstrip("."))
    if re.fullmatch(YEAR, text):
        year = int(text)
        return date(year, 1, 1), date(year, 12, 31)
    iso = bool(re.match(r"\d{4}-", text))
    has_day = bool(re.search(r"(^|\D)\d{1,2}(\D|$)", re.sub(YEAR, "", text))) or iso
    has_year = bool(re.search(YEAR, text))
    default = datetime(as_of.year if has_year else 2000, 1, 1)  # 2000 is a leap year: 29 February reads
    try:
        day = parser.parse(text, default=default, dayfirst=not iso).date()
    except (ValueError, OverflowError):
        return None
    if not has_year:
        day = _latest_by(day, as_of)
    if has_day:
        return day, day
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def _latest_by(day: date, as_of: date) -> date:
    """The day and month of `day` in the latest year that puts it on or before `as_of`."""
    for back in range(9):
        try:
            earlier = day.replace(year=as_of.year - back)
        except ValueError:  # 29 February of a year that has none
            continue
        if earlier <= as_of:
            return earlier
    return day


def _start_of(unit: str, day: date) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBERS[word.lower()]
