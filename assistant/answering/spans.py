"""The shortest phrase of a quoted sentence that answers the question, when it asks for a figure,
a date, a name or a place: the answer leads with it ("**1,500**: Currently, some 1,500 French
soldiers ..."). A span is always a substring of the sentence; none is better than a wrong one."""

from __future__ import annotations

import re
from functools import lru_cache

from ingest.text import CAPITAL, FIGURE, LETTER, NAME, STOP, WORD, bare_name, figure_value, term_set, term_sets

from ..retrieval.when import MONTHS, YEAR
from .rules import ROLES, WHEN_ASKED, tense_fits
from .sources import counted_terms, thing_counted

FIGURE_ASKED = re.compile(r"\bhow (many|much|long|old|far|big|large|high|tall|deep)\b|\bwhat (percentage|number|"
                          r"amount|share|proportion)\b|\bwhat (is|was|are|were) the (\w+ )?(figure|tally|toll|number|"
                          r"total|price|cost|rate|size|population)\b", re.I)
DATE_ASKED = re.compile(rf"{WHEN_ASKED.pattern}|\bwhat (year|date|day|month|time)\b|\bon which (day|date)\b", re.I)
NAME_ASKED = re.compile(r"\bwho\b|\bwhose\b|\bwhich (company|firm|group|party|country|team|organi[sz]ation|person|"
                        r"man|woman|candidate|leader|official|minister)\b|\bwhat (company|firm|group|party|country|"
                        r"team|organi[sz]ation|is the name)\b", re.I)
PLACE_ASKED = re.compile(r"\bwhere\b|\bwhich (?:[\w-]+ )?(city|town|country|region|state|province|village)\b|"
                         r"\bin what (city|town|country|region)\b", re.I)

SCALE = r"(?:\s?(?:million|billion|trillion|thousand|hundred|percent|per cent|%|bn|m)\b)?"
CURRENCY = r"(?:[$€£¥]\s?)?"
AMOUNT = re.compile(rf"{CURRENCY}(?:{FIGURE.pattern}){SCALE}(?:\s(?:CFA [Ff]rancs|[A-Z]{{2,4}}\b|euros?|dollars?|"
                    r"pounds?|francs?|hectares|acres|kilometres|kilometers|miles|km|people|years?|days?|weeks?|months?))?")
WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
CALENDAR_WORD = re.compile(rf"(?:{WEEKDAYS}|{MONTHS})")
DATE = re.compile(rf"\b(?:(?:{WEEKDAYS}),?\s)?"
                  rf"(?:(?:{MONTHS})\.?\s\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s{YEAR})?|\d{{1,2}}(?:st|nd|rd|th)?\s(?:{MONTHS})"
                  rf"(?:,?\s{YEAR})?|(?:{MONTHS})\s{YEAR}|{YEAR})\b"
                  rf"|\b(?:on|last|this|next)\s(?:{WEEKDAYS})\b|\b(?:{WEEKDAYS})\b")
# A name: capitalised words, with the small words that join them inside names, and the full stop
# of an abbreviation ("Rep. Kevin McCarthy", "U.S. House"; a sentence holds no other before a capital).
RUN = re.compile(rf"\b[{CAPITAL}][\w'’.-]*{LETTER}"
                 rf"(?:\.?\s(?:of|de|du|al|bin|van|von|der|la|le|el|the)?\s?[{CAPITAL}][\w'’-]*{LETTER})*")
# "to" is left out: "close to Defense Minister Sebastien Lecornu", "according to Reuters".
LOCATIVE = re.compile(r"\b(?:in|at|near|from|outside|inside|across)\s(?:the\s(?:capital|city|town|region|"
                      r"province|village)(?: of)?,?\s)?$")
ADJECTIVE = re.compile(r"[A-Z][a-z]+(?:an|ian|ean|ese|ish|ic)|French|Dutch|Swiss|Greek|Thai|Welsh|Irish")
# "Who did the prime minister meet?": who is the object; the role after it is the subject's.
WHOM_ASKED = re.compile(r"\bwhom?\s+(?:did|does|do|will|would|has|have|had|can|could|should|is\s+\w+ing)\b", re.I)
ANCHOR_WORDS = 3  # a date this near one of the question's words is the date it asks about


@lru_cache(maxsize=256)
def _question_terms(question: str) -> frozenset[str]:
    return frozenset(term_set(question))


@lru_cache(maxsize=256)
def _question_names(question: str) -> frozenset[str]:
    return frozenset(bare_name(n) for n in NAME.findall(question))


def _role_word(word: str) -> bool:
    return word.lower().rstrip(".") in ROLES


def kind_asked(question: str) -> str | None:
    """What the question asks for: "figure", "date", "name" or "place"; None for anything else."""
    for kind, pattern in (("figure", FIGURE_ASKED), ("date", DATE_ASKED), ("place", PLACE_ASKED),
                          ("name", NAME_ASKED)):
        if pattern.search(question):
            return kind
    return None


def answer_span(question: str, sentence: str) -> str | None:
    """The phrase of `sentence` that answers `question`, or None when none clearly does."""
    kind = kind_asked(question)
    if kind is None:
        return None
    span = {"figure": _figure, "date": _date, "name": _name, "place": _place}[kind](question, sentence)
    return span if span and span in sentence and span.strip() != sentence.strip() else None


def _figure(question: str, sentence: str) -> str | None:
    asked = {figure_value(f) for f in FIGURE.findall(question)}
    counted, thing = _question_terms(question), thing_counted(question)
    counting = counted_terms(sentence) if thing else {}
    best, best_score = None, -1.0
    for m in AMOUNT.finditer(sentence):
        figure = FIGURE.search(m.group(0))
        if figure is None or figure_value(figure.group(0)) in asked or _is_year_only(m.group(0)):
            continue
        after = sentence[m.end():m.end() + 40]
        if thing and thing not in counting.get(figure_value(figure.group(0)), set()):
            continue  # "how many firefighters?": not "3,200 hectares"
        score = len(counted & term_set(after)) + 0.5 * (m.group(0) != figure.group(0))
        if score > best_score:
            best, best_score = m.group(0).strip(), score
    return best


def _is_year_only(text: str) -> bool:
    return bool(re.fullmatch(YEAR, text.strip()))


def _date(question: str, sentence: str) -> str | None:
    """The date the question's words stand next to ("expired on Sunday" for "When did it
    expire?"), else the sentence's first date the question does not give itself."""
    if not tense_fits(question, sentence):
        return None  # "When will she be sworn in?": not "on Friday" of "was declared mayor on Friday"
    dates = _dates(question, sentence)
    return next((d for d, anchored in dates if anchored), dates[0][0] if dates else None)


def _dates(question: str, sentence: str) -> list[tuple[str, bool]]:
    """The sentence's dates that the question does not give, each with whether one of the
    question's words stands within `ANCHOR_WORDS` words of it."""
    low = question.lower()
    found = [m for m in DATE.finditer(sentence) if m.group(0).lower() not in low]
    if not found:
        return []
    terms, words = _question_terms(question), list(WORD.finditer(sentence))
    stems = term_sets([w.group(0) for w in words])
    out = []
    for m in found:
        inside = [i for i, w in enumerate(words) if m.start() <= w.start() < m.end()]
        if not inside:
            continue
        near = range(max(0, inside[0] - ANCHOR_WORDS), min(len(words), inside[-1] + 1 + ANCHOR_WORDS))
        out.append((m.group(0).strip(), any(stems[i] & terms for i in near if i not in inside)))
    return out


def leading(question: str, sentences: list[str]) -> tuple[int, str] | None:
    """Which of an answer's sentences (best first) the answer leads with, and the phrase of it
    that answers: the first that has one; for a date, the first whose date the question's words
    stand next to ("the July 26 coup" before "reported on Tuesday" for "When did the coup take
    place?"), else the best sentence's first date. None when no sentence has a phrase that answers."""
    if kind_asked(question) == "date":
        for i, sentence in enumerate(sentences):
            dates = _anchored_dates(question, sentence)
            if dates and dates[0] != sentence.strip():
                return i, dates[0]
    for i, sentence in enumerate(sentences):
        span = answer_span(question, sentence)
        if span:
            return i, span
    return None


def anchored(question: str, sentence: str) -> bool:
    """Whether the sentence gives the date a "when" question asks for next to the question's own
    words ("will be sworn in on 1 June" for "When will she be sworn in?"), in a tense that fits."""
    return kind_asked(question) == "date" and bool(_anchored_dates(question, sentence))


def _anchored_dates(question: str, sentence: str) -> list[str]:
    """The sentence's dates that the question's words stand next to, when its tense fits the question's."""
    return [d for d, near in _dates(question, sentence) if near] if tense_fits(question, sentence) else []


def _runs(question: str, sentence: str) -> list[re.Match]:
    """Capitalised runs of the sentence that the question does not name (a run opening the
    sentence counts only when it is more than an ordinary word), without a day or month after
    the name ("told AFP Tuesday": "AFP")."""
    asked = _question_names(question)
    out = []
    for m in RUN.finditer(sentence):
        words = m.group(0).split()
        if all(CALENDAR_WORD.fullmatch(w.strip(".,")) for w in words):  # "Tuesday", "May": a date, not a name
            continue
        while CALENDAR_WORD.fullmatch(words[-1].strip(".,")):
            words.pop()
        if m.start() == 0 and len(words) == 1 and words[0].lower() in STOP | {"currently", "meanwhile", "however"}:
            continue
        if all(bare_name(w) in asked or _role_word(w) for w in words if w[:1].isupper()):
            continue
        if len(words) < len(m.group(0).split()):  # the run without the day: a match of its own
            m = re.compile(r"\s+".join(map(re.escape, words))).match(sentence, m.start()) or m
        out.append(m)
    return out


def _name(question: str, sentence: str) -> str | None:
    """The name the question's words point at: they stand just before it ("the ambassador,
    Sylvain Itte") or are its role ("Prime Minister Ali Mahaman Lamine Zeine"; the role is not
    part of the answer). Words before another name are that name's ("Minister X told AFP"); a
    name after "in", "at", "near" ... is where, not who ("French troops in Niger"); a people's or
    a party's adjective before a noun names no one ("the first American moon landing"); a name
    the question gives, after its role, is what is asked about, not the answer; nor is the name
    of the role the question's subject holds ("Prime Minister Zeine" for "Who did the prime
    minister meet?")."""
    terms, asked = _question_terms(question), _question_names(question)
    whom = bool(WHOM_ASKED.search(question))

    def asked_role(word: str) -> bool:
        return (bare_name(word) in asked or _role_word(word) and word.lower().rstrip(".") in question.lower()
                or bool(term_set(word) & terms))

    ends = [r.end() for r in RUN.finditer(sentence)]
    placed = []
    for m in _runs(question, sentence):
        words = m.group(0).split()
        role = 0
        while role + 1 < len(words) and asked_role(words[role]):
            role += 1
        start = max([0, m.start() - 40, *(e for e in ends if e <= m.start())])
        near = len(terms & term_set(" ".join([sentence[start:m.start()], *words[:role]])))
        if (not near or whom and role or LOCATIVE.search(sentence[max(0, m.start() - 30):m.start()])
                or ADJECTIVE.fullmatch(m.group(0)) and re.match(r"\s[a-z]", sentence[m.end():m.end() + 2])
                or any(bare_name(w) in asked for w in words[role:])):
            continue
        answer = words[role:] if role or words[0] != "The" else words[1:]
        placed.append((near, len(words), -m.start(), " ".join(answer)))
    return max(placed)[3] if placed else None


def _place(question: str, sentence: str) -> str | None:
    for m in _runs(question, sentence):
        if LOCATIVE.search(sentence[max(0, m.start() - 30):m.start()]):
            return m.group(0)
    return None


# "The comedian will return ..." for "Which comedian ...?", "She said ..." for "Who ...?": the
# sentence names what is asked by the question's own noun or a pronoun, so the name is before it.
REFERS_BACK = re.compile(r"(?:(?:The|This|That)\s+(?P<noun>[a-z]+)(?!\s+[A-Z]|['’]s)|(?P<pronoun>He|She))\b")
ASKED_NOUN = re.compile(r"\b(?:which|what)\s+(?P<noun>[a-z]+)\b", re.I)
WHO_ASKED = re.compile(r"\bwho\b", re.I)


def refers_back(question: str, sentence: str) -> bool:
    """Whether the sentence opens by referring to what the question asks for without naming it:
    "The comedian" for "Which comedian ...?" (not "The state Senate" for "Which state ...?"), "He" or
    "She" for "Who ...?"."""
    m = REFERS_BACK.match(sentence)
    if not m:
        return False
    if m["noun"]:
        asked = ASKED_NOUN.search(question)
        return bool(asked) and asked["noun"].lower() == m["noun"]
    return bool(WHO_ASKED.search(question))


def names_new(question: str, sentence: str) -> bool:
    """Whether the sentence names someone or something the question does not."""
    return bool(_runs(question, sentence))
